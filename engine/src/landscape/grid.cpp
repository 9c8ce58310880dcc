// Loss and error on a grid of a slice, row by row, with a resume file (landscape/grid.h).
#include "ridgeline/landscape/grid.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/paths/evaluator.h"

namespace ridgeline {

namespace {

using nlohmann::json;

// FNV-1a over bytes: identifies the basis vectors and the data in the resume key.
uint64_t fnv1a(const void* data, size_t bytes, uint64_t h = 0xcbf29ce484222325ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Doubles as hex of their bytes: exact for every value (NaN and ±inf included).
std::string to_hex(const std::vector<double>& v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(v.size() * 16);
  for (double d : v) {
    unsigned char b[8];
    std::memcpy(b, &d, 8);
    for (unsigned char c : b) {
      s += digits[c >> 4];
      s += digits[c & 15];
    }
  }
  return s;
}

// Rows per evaluation batch: at least one row, and up to `batch_points` points while the
// points' parameter vectors stay within 64 Mi floats (256 MiB).
size_t rows_per_batch(const LandscapeBasis& basis, size_t nx, int batch_points) {
  const size_t t = std::max<size_t>(1, basis.vectors.empty() ? 1 : basis.vectors[0].size());
  const size_t points = std::max<size_t>(
      1, std::min<size_t>(static_cast<size_t>(std::max(1, batch_points)), (size_t{64} << 20) / t));
  return std::max<size_t>(1, points / nx);
}

// What must be equal for a resume folder's rows to be reused.
json resume_key(const LandscapeBasis& basis, const Dataset* data, const LandscapeGrid& g, int chunk,
                size_t per, Precision precision) {
  json k;
  k["kind"] = basis.info.kind;
  k["models"] = basis.info.models;
  json hashes = json::array();
  for (const auto& v : basis.vectors)
    hashes.push_back(hex64(fnv1a(v.data(), v.size() * sizeof(float))));
  k["basis"] = hashes;
  k["xs"] = to_hex(g.xs);
  k["ys"] = to_hex(g.ys);
  k["chunk"] = chunk;
  k["rows_per_batch"] = per;
  k["precision"] = to_string(precision);
  if (data) {
    uint64_t h = fnv1a(data->x.data(), data->x.size() * sizeof(float));
    h = fnv1a(data->y.data(), data->y.size() * sizeof(int32_t), h);
    k["data"] = {{"name", data->name}, {"n", data->n}, {"hash", hex64(h)}};
  }
  return k;
}

void check_grid(const GridSpec& s) {
  for (const auto& [name, n] : {std::pair{"x", s.nx}, std::pair{"y", s.ny}})
    if (n < 1 || n > 100001)
      throw InputError("grid: " + std::string(name) + " has " + std::to_string(n) +
                       " points (allowed 1 to 100001)");
  for (const auto& [name, lo, hi] : {std::tuple{"x", s.x0, s.x1}, std::tuple{"y", s.y0, s.y1}})
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
      throw InputError(std::string(name) + ": the range must be finite with lo < hi");
}

}  // namespace

std::vector<double> grid_axis(int n, double lo, double hi) {
  if (n == 1) return {lo};
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i)
    v[i] = (static_cast<double>(n - 1 - i) * lo + static_cast<double>(i) * hi) / (n - 1);
  return v;
}

PointValues evaluate_coordinates(Backend& backend, const ModelArch& arch,
                                 const LandscapeBasis& basis, const Dataset* data,
                                 const std::vector<std::pair<double, double>>& xy, int chunk) {
  ParameterPoints pts;
  for (const auto& v : basis.vectors) pts.basis.push_back(&v);
  for (const auto& [x, y] : xy) pts.coeffs.push_back(basis.row(x, y));
  return evaluate_points(backend, arch, pts, data, chunk);
}

void remove_resume_folder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n == "key.json" ||
        (n.rfind("row-", 0) == 0 && n.size() > 8 && n.substr(n.size() - 4) == ".bin"))
      fs::remove(e.path(), ec);
  }
  fs::remove(dir, ec);  // only when empty
}

LandscapeGrid evaluate_grid(Backend& backend, const ModelArch& arch, const LandscapeBasis& basis,
                            const Dataset* data, const GridSpec& spec, const GridOptions& options,
                            GridRun* run) {
  check_grid(spec);
  check_precision(arch, options.precision);  // before the resume folder is touched
  if (options.shard_count < 1 || options.shard_index < 0 ||
      options.shard_index >= options.shard_count)
    throw InputError("grid: shard " + std::to_string(options.shard_index) + " of " +
                     std::to_string(options.shard_count) + " does not exist");
  const auto t0 = std::chrono::steady_clock::now();
  LandscapeGrid g;
  g.xs = grid_axis(spec.nx, spec.x0, spec.x1);
  g.ys = grid_axis(spec.ny, spec.y0, spec.y1);
  const size_t nx = g.xs.size(), ny = g.ys.size();
  g.loss.assign(nx * ny, std::nan(""));
  g.error.assign(nx * ny, std::nan(""));
  g.precision = options.precision;
  std::vector<bool> done(ny, false);
  int resumed = 0;

  // The resume folder: key.json (what was computed) and row-<j>.bin per finished row (nx
  // loss then nx error doubles, little-endian as in memory), each written atomically.
  namespace fs = std::filesystem;
  const fs::path dir = options.resume_dir;
  const size_t per = rows_per_batch(basis, nx, options.batch_points);
  // This shard's rows: whole groups of `per` rows, round-robin over the shards.
  auto mine = [&](size_t gi) {
    return static_cast<int>(gi % static_cast<size_t>(options.shard_count)) == options.shard_index;
  };
  const json key = resume_key(basis, data, g, options.chunk, per, options.precision);
  auto row_file = [&](size_t j) { return (dir / ("row-" + std::to_string(j) + ".bin")).string(); };
  if (!options.resume_dir.empty()) {
    const std::string kf = (dir / "key.json").string();
    if (fs::exists(kf)) {
      json old;
      try {
        old = json::parse(read_file(kf));
      } catch (const json::exception&) {
        throw InputError(kf + ": not a landscape resume key (not JSON); remove " + dir.string() +
                         " to start over");
      }
      if (old != key)
        throw InputError(dir.string() +
                         ": holds rows of another computation (other models, grid, "
                         "data, chunk or precision); remove it or choose another output");
      for (size_t j = 0; j < ny; ++j) {
        if (!mine(j / per) || !fs::exists(row_file(j))) continue;
        const std::string bytes = read_file(row_file(j));
        if (bytes.size() != 2 * nx * sizeof(double))
          throw InputError(row_file(j) + ": " + std::to_string(bytes.size()) +
                           " bytes, a row has " + std::to_string(2 * nx * sizeof(double)) +
                           "; remove " + dir.string() + " to start over");
        std::memcpy(g.loss.data() + j * nx, bytes.data(), nx * sizeof(double));
        std::memcpy(g.error.data() + j * nx, bytes.data() + nx * sizeof(double),
                    nx * sizeof(double));
        done[j] = true;
        ++resumed;
      }
    } else {
      write_file_atomic(kf, key.dump(1) + "\n");
    }
  }

  ParameterPoints pts;
  for (const auto& v : basis.vectors) pts.basis.push_back(&v);
  pts.precision = options.precision;
  long long total = 0, finished = 0;
  for (size_t j = 0; j < ny; ++j) {
    if (!mine(j / per)) continue;
    total += static_cast<long long>(nx);
    if (done[j]) finished += static_cast<long long>(nx);
  }
  auto report = [&](const std::string& msg) {
    if (options.progress) options.progress({"landscape", finished, total, msg});
  };
  report(resumed ? std::to_string(resumed) + " row(s) resumed" : "");
  // Rows are evaluated in fixed groups of `per` rows (by absolute row index), so that the
  // first layer's K shared GEMMs serve more points; a resumed computation re-evaluates a
  // group with a missing row as a whole, with the same points in the same batch, hence the
  // same bits.
  const size_t groups = (ny + per - 1) / per;
  size_t rows_done_here = 0;
  for (size_t gi = 0; gi < groups; ++gi) {
    const size_t j0 = gi * per, j1 = std::min(ny, j0 + per);
    if (!mine(gi)) continue;
    bool missing = false;
    for (size_t j = j0; j < j1; ++j) missing = missing || !done[j];
    if (!missing) continue;
    if (options.cancel) options.cancel->check();
    pts.coeffs.clear();
    for (size_t j = j0; j < j1; ++j)
      for (size_t i = 0; i < nx; ++i) pts.coeffs.push_back(basis.row(g.xs[i], g.ys[j]));
    const PointValues v =
        evaluate_points(backend, arch, pts, data, options.chunk, {}, {}, options.cancel);
    for (size_t j = j0; j < j1; ++j) {
      const size_t o = (j - j0) * nx;
      std::copy(v.loss.begin() + static_cast<long>(o), v.loss.begin() + static_cast<long>(o + nx),
                g.loss.begin() + static_cast<long>(j * nx));
      std::copy(v.error.begin() + static_cast<long>(o), v.error.begin() + static_cast<long>(o + nx),
                g.error.begin() + static_cast<long>(j * nx));
      if (done[j]) continue;
      done[j] = true;
      ++rows_done_here;
      finished += static_cast<long long>(nx);
      if (!options.resume_dir.empty()) {
        std::string bytes(2 * nx * sizeof(double), '\0');
        std::memcpy(bytes.data(), g.loss.data() + j * nx, nx * sizeof(double));
        std::memcpy(bytes.data() + nx * sizeof(double), g.error.data() + j * nx,
                    nx * sizeof(double));
        write_file_atomic(row_file(j), bytes);
      }
    }
    // Time left from the rows computed in this call (resumed rows took no time here).
    const double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long long rows_left = (total - finished) / static_cast<long long>(nx);
    report("row " + std::to_string(j1) + "/" + std::to_string(ny) +
           (rows_left > 0
                ? ", about " + format_seconds(spent / rows_done_here * rows_left) + " left"
                : ""));
  }
  if (run) {
    run->rows.clear();
    for (size_t j = 0; j < ny; ++j)
      if (mine(j / per)) run->rows.push_back(static_cast<int>(j));
    run->rows_resumed = resumed;
    run->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return g;
}

GridRows pack_grid_rows(const LandscapeGrid& g, const std::vector<int>& rows) {
  const size_t nx = g.xs.size();
  GridRows out;
  out.index = rows;
  out.values.reserve(rows.size() * 2 * nx);
  for (int j : rows) {
    if (j < 0 || j >= g.ny()) throw InputError("grid rows: row " + std::to_string(j) + " is outside the grid");
    const auto o = static_cast<long>(static_cast<size_t>(j) * nx);
    out.values.insert(out.values.end(), g.loss.begin() + o, g.loss.begin() + o + static_cast<long>(nx));
    out.values.insert(out.values.end(), g.error.begin() + o, g.error.begin() + o + static_cast<long>(nx));
  }
  return out;
}

void unpack_grid_rows(LandscapeGrid& g, const GridRows& rows, bool complete) {
  const size_t nx = g.xs.size(), ny = g.ys.size();
  if (g.loss.size() != nx * ny || g.error.size() != nx * ny)
    throw InputError("grid rows: the grid's values do not match its axes");
  if (rows.values.size() != rows.index.size() * 2 * nx)
    throw InputError("grid rows: " + std::to_string(rows.values.size()) + " values for " +
                     std::to_string(rows.index.size()) + " rows of " + std::to_string(nx));
  std::vector<bool> seen(ny, false);
  for (size_t k = 0; k < rows.index.size(); ++k) {
    const int j = rows.index[k];
    if (j < 0 || static_cast<size_t>(j) >= ny || seen[static_cast<size_t>(j)])
      throw InputError("grid rows: row " + std::to_string(j) + " is outside the grid or repeated");
    seen[static_cast<size_t>(j)] = true;
    const auto src = rows.values.begin() + static_cast<long>(k * 2 * nx);
    const auto dst = static_cast<long>(static_cast<size_t>(j) * nx);
    std::copy(src, src + static_cast<long>(nx), g.loss.begin() + dst);
    std::copy(src + static_cast<long>(nx), src + static_cast<long>(2 * nx), g.error.begin() + dst);
  }
  if (complete)
    for (size_t j = 0; j < ny; ++j)
      if (!seen[j]) throw InputError("grid rows: row " + std::to_string(j) + " is missing");
}

}  // namespace ridgeline
