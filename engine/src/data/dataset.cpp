#include "ridgeline/data/dataset.h"

#include <optional>

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>
#include <string_view>

#include "ridgeline/core/errors.h"
#include "ridgeline/tasks/task_data.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/core/tensor.h"

namespace ridgeline {

namespace fs = std::filesystem;

namespace {

// ---- seeded random numbers, identical on every standard library ----

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Uniform integer in [0, bound) by rejection (no modulo bias). bound > 0.
uint64_t uniform_below(std::mt19937_64& g, uint64_t bound) {
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         std::numeric_limits<uint64_t>::max() % bound;
  uint64_t r;
  do r = g();
  while (r >= limit);
  return r % bound;
}

/// Standard normal by Box–Muller; caches the second value.
class Normal {
 public:
  double operator()(std::mt19937_64& g) {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = (static_cast<double>(g() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(g() >> 11) * 0x1.0p-53;          // [0, 1)
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double t = 2.0 * 3.14159265358979323846 * u2;
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }

 private:
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// ---- IDX ----

[[noreturn]] void idx_error(const std::string& path, const std::string& problem) {
  throw InputError(path + ": " + problem);
}

/// Decompresses gzip data (RFC 1952, concatenated members as gzip(1) writes them) piece by
/// piece, so that an IDX header can be checked before memory is committed to its data.
class Gunzip {
 public:
  Gunzip(const std::string& path, std::string_view in) : path_(path) {
    if (in.size() > std::numeric_limits<uInt>::max()) idx_error(path, "gzip file too large");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    if (inflateInit2(&z_, 15 + 16) != Z_OK) idx_error(path, "cannot start gzip decompression");
  }
  ~Gunzip() { inflateEnd(&z_); }
  Gunzip(const Gunzip&) = delete;
  Gunzip& operator=(const Gunzip&) = delete;

  /// Appends up to `n` decompressed bytes to `out`; fewer only at the end of the data.
  /// Throws InputError on corrupt or truncated gzip data.
  size_t read(std::string& out, size_t n) {
    const size_t old = out.size();
    out.resize(old + n);
    size_t got = 0;
    while (got < n && !done_) {
      const size_t chunk = std::min<size_t>(n - got, std::numeric_limits<uInt>::max());
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + old + got);
      z_.avail_out = static_cast<uInt>(chunk);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      got += chunk - z_.avail_out;
      if (rc == Z_STREAM_END) {
        // Another member may follow (gzip(1) concatenates them); anything else is garbage.
        if (z_.avail_in == 0) {
          done_ = true;
        } else if (z_.avail_in >= 2 && z_.next_in[0] == 0x1f && z_.next_in[1] == 0x8b) {
          inflateReset(&z_);
        } else {
          idx_error(path_, std::to_string(z_.avail_in) + " bytes of garbage after the gzip data");
        }
      } else if (rc == Z_BUF_ERROR) {  // no progress possible: the input ran out
        idx_error(path_, z_.avail_in == 0 ? "truncated gzip data" : "corrupt gzip data");
      } else if (rc != Z_OK) {
        idx_error(path_, std::string("corrupt gzip data (") + (z_.msg ? z_.msg : "inflate failed") +
                             ")");
      }
    }
    out.resize(old + got);
    return got;
  }

 private:
  std::string path_;
  z_stream z_{};
  bool done_ = false;
};

/// Deflate expands at most 1032:1 (zlib's FAQ, "What's the maximum compression ratio"): a
/// header promising more data than that per compressed byte is a lie, refused before
/// allocating.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint32_t be32(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

std::string find_idx(const std::string& dir, const std::string& stem) {
  for (const std::string& cand : {stem, stem + ".gz"}) {
    fs::path p = fs::path(dir) / cand;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  throw InputError(dir + ": missing " + stem + "[.gz]");
}

std::string dir_label(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  std::string name = p.filename().string();
  if (name.empty()) name = p.parent_path().filename().string();
  return name.empty() ? std::string("data") : name;
}

Dataset idx_split(const std::string& dir, const std::string& prefix, const std::string& label) {
  const std::string ipath = find_idx(dir, prefix + "-images-idx3-ubyte");
  const std::string lpath = find_idx(dir, prefix + "-labels-idx1-ubyte");
  return idx_dataset(ipath, read_idx(ipath), lpath, read_idx(lpath),
                     label + "/" + (prefix == "t10k" ? "test" : "train"));
}

void standardize(DataSplits& s) {
  const int dim = s.train.dim;
  const int n = s.train.n;
  if (n == 0 || dim == 0) return;
  std::vector<double> mean(dim, 0.0), var(dim, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < dim; ++j) mean[j] += s.train.x[static_cast<size_t>(i) * dim + j];
  for (int j = 0; j < dim; ++j) mean[j] /= n;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < dim; ++j) {
      double d = s.train.x[static_cast<size_t>(i) * dim + j] - mean[j];
      var[j] += d * d;
    }
  std::vector<double> inv(dim);
  for (int j = 0; j < dim; ++j) inv[j] = 1.0 / std::max(std::sqrt(var[j] / n), 1e-8);
  for (Dataset* d : {&s.train, &s.test})
    for (int i = 0; i < d->n; ++i)
      for (int j = 0; j < dim; ++j) {
        float& v = d->x[static_cast<size_t>(i) * dim + j];
        v = static_cast<float>((v - mean[j]) * inv[j]);
      }
}

DataSplits apply_options(DataSplits s, const DataOptions& opt) {
  if (opt.train_subset < 0 || opt.test_subset < 0)
    throw InputError("data options: subset sizes must be ≥ 0");
  if (opt.train_subset > 0) s.train = subset(s.train, opt.train_subset, opt.subset_seed);
  if (opt.test_subset > 0)
    s.test = subset(s.test, opt.test_subset, splitmix64(opt.subset_seed ^ 0x7e57ULL));
  if (opt.standardize) standardize(s);
  return s;
}

bool parse_int(const std::string& t, long long& out) {
  const char* b = t.data();
  const char* e = b + t.size();
  auto r = std::from_chars(b, e, out);
  return r.ec == std::errc() && r.ptr == e && !t.empty();
}

}  // namespace

std::string fashion_mnist_dir() {
  const char* env = std::getenv("RIDGELINE_FASHION_MNIST_DIR");
  return env && *env ? std::string(env) : std::string("/usr/share/datasets/fashion-mnist");
}

IdxArray read_idx(const std::string& path) { return parse_idx(path, read_file(path)); }

IdxArray parse_idx(const std::string& path, std::string_view bytes) {
  const bool gzipped = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
                       static_cast<unsigned char>(bytes[1]) == 0x8b;
  std::optional<Gunzip> gz;
  std::string inflated;
  if (gzipped) gz.emplace(path, bytes);
  // The first `n` bytes of the (decompressed) file.
  auto head = [&](size_t n) -> std::string_view {
    if (!gzipped) return bytes.substr(0, n);
    if (inflated.size() < n) gz->read(inflated, n - inflated.size());
    return std::string_view(inflated).substr(0, n);
  };
  const std::string_view magic_bytes = head(4);
  if (magic_bytes.size() < 4) idx_error(path, "too short for an IDX header");
  const uint32_t magic = be32(magic_bytes, 0);
  if (magic != 0x00000801u && magic != 0x00000803u) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", magic);
    idx_error(path, std::string("bad IDX magic ") + hex +
                        " (expected 0x00000801 or 0x00000803: unsigned bytes, 1 or 3 dims)");
  }
  const size_t ndim = magic & 0xff;
  const size_t header = 4 + 4 * ndim;
  const std::string_view hdr = head(header);
  if (hdr.size() < header) idx_error(path, "truncated IDX header");
  IdxArray a;
  uint64_t count = 1;  // checked product of the dimensions
  bool huge = false;
  for (size_t i = 0; i < ndim; ++i) {
    const uint64_t d = be32(hdr, 4 + 4 * i);
    a.shape.push_back(static_cast<int64_t>(d));
    if (d != 0 && count > std::numeric_limits<uint64_t>::max() / d) huge = true;
    else count *= d;
  }
  if (huge) count = std::numeric_limits<uint64_t>::max();
  // What the file can hold: its size when plain; the deflate bound when gzipped.
  const uint64_t avail = gzipped ? kMaxDeflateRatio * bytes.size() : bytes.size() - header;
  auto truncated = [&](uint64_t have) {
    idx_error(path, "truncated data: dimensions " + shape_string(a.shape) + " need " +
                        (huge ? std::string("more than 2^64") : std::to_string(count)) +
                        " bytes, file has " + std::to_string(have));
  };
  if (count > avail) truncated(gzipped ? inflated.size() - header : avail);
  std::string_view data;
  if (gzipped) {
    const size_t want = static_cast<size_t>(count);
    if (gz->read(inflated, want) < want) truncated(inflated.size() - header);
    std::string extra;
    if (gz->read(extra, 1) != 0)
      idx_error(path, "unexpected bytes after the data (dimensions " + shape_string(a.shape) +
                          " need " + std::to_string(count) + ")");
    data = std::string_view(inflated).substr(header);
  } else {
    if (count < avail)
      idx_error(path, std::to_string(avail - count) + " unexpected bytes after the data");
    data = bytes.substr(header);
  }
  a.data.assign(reinterpret_cast<const uint8_t*>(data.data()),
                reinterpret_cast<const uint8_t*>(data.data()) + data.size());
  return a;
}

Dataset idx_dataset(const std::string& ipath, const IdxArray& img, const std::string& lpath,
                    const IdxArray& lab, const std::string& name) {
  if (img.shape.size() != 3)
    idx_error(ipath, "expected a 3-D image array, got " + std::to_string(img.shape.size()) + "-D");
  if (lab.shape.size() != 1)
    idx_error(lpath, "expected a 1-D label array, got " + std::to_string(lab.shape.size()) + "-D");
  if (img.shape[0] == 0) idx_error(ipath, "holds no images");
  if (img.shape[0] != lab.shape[0])
    idx_error(lpath, std::to_string(lab.shape[0]) + " labels for " +
                         std::to_string(img.shape[0]) + " images in " + ipath);
  // Dimensions are 32-bit each: their product is checked, never assumed to fit.
  int64_t dim = 0;
  if (__builtin_mul_overflow(img.shape[1], img.shape[2], &dim) ||
      dim > std::numeric_limits<int>::max() || img.shape[0] > std::numeric_limits<int>::max())
    idx_error(ipath, "images of " + std::to_string(img.shape[1]) + "x" +
                         std::to_string(img.shape[2]) + " pixels, " + std::to_string(img.shape[0]) +
                         " of them: too large");
  if (dim == 0) idx_error(ipath, "images have no pixels (" + std::to_string(img.shape[1]) + "x" +
                                     std::to_string(img.shape[2]) + ")");
  if (img.data.size() != static_cast<size_t>(img.shape[0]) * static_cast<size_t>(dim) ||
      lab.data.size() != static_cast<size_t>(lab.shape[0]))
    idx_error(ipath, "data size disagrees with its dimensions");  // read_idx guarantees it
  Dataset d;
  d.name = name;
  d.n = static_cast<int>(img.shape[0]);
  d.dim = static_cast<int>(dim);
  d.x.resize(img.data.size());
  for (size_t i = 0; i < img.data.size(); ++i) d.x[i] = static_cast<float>(img.data[i]) / 255.0f;
  d.y.resize(lab.data.size());
  int maxlab = -1;
  for (size_t i = 0; i < lab.data.size(); ++i) {
    d.y[i] = lab.data[i];
    maxlab = std::max(maxlab, static_cast<int>(lab.data[i]));
  }
  d.classes = maxlab + 1;
  return d;
}

namespace {

/// Loads an IDX folder; with `classes` > 0 (a named set with a known class count) every label
/// must be below it, else the labels file is named with the first label out of range.
DataSplits load_idx_splits(const std::string& dir, const DataOptions& opt, int classes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir + ": not a folder of IDX files");
  const std::string label = dir_label(dir);
  DataSplits s;
  s.train = idx_split(dir, "train", label);
  s.test = idx_split(dir, "t10k", label);
  if (s.train.dim != s.test.dim)
    throw InputError(dir + ": train images have " + std::to_string(s.train.dim) +
                     " pixels but test images have " + std::to_string(s.test.dim));
  if (classes > 0)
    for (const auto& [d, prefix] : {std::pair{&s.train, "train"}, std::pair{&s.test, "t10k"}}) {
      const auto it = std::find_if(d->y.begin(), d->y.end(), [&](int32_t y) { return y >= classes; });
      if (it != d->y.end())
        throw InputError(find_idx(dir, std::string(prefix) + "-labels-idx1-ubyte") + ": label " +
                         std::to_string(*it) + " of sample " + std::to_string(it - d->y.begin()) +
                         " is out of range 0.." + std::to_string(classes - 1) + " for " + label);
    }
  const int found = std::max(s.train.classes, s.test.classes);
  s.train.classes = s.test.classes = classes > 0 ? classes : found;
  return apply_options(std::move(s), opt);
}

}  // namespace

DataSplits load_idx_dir(const std::string& dir, const DataOptions& opt) {
  return load_idx_splits(dir, opt, 0);
}

namespace {

/// "gmm:<n_train>,<n_test>,<dim>,<classes>,<seed>", checked; throws InputError naming it.
struct GmmName {
  long long v[5];
};

GmmName parse_gmm_name(const std::string& name) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : name.substr(4)) {
    if (c == ',') parts.push_back(cur), cur.clear();
    else cur += c;
  }
  parts.push_back(cur);
  const std::string usage = name + ": expected gmm:<n_train>,<n_test>,<dim>,<classes>,<seed>";
  if (parts.size() != 5) throw InputError(usage);
  GmmName g;
  for (int i = 0; i < 5; ++i)
    if (!parse_int(parts[i], g.v[i]) || g.v[i] < 0) throw InputError(usage);
  for (int i = 0; i < 4; ++i)
    if (g.v[i] > std::numeric_limits<int>::max()) throw InputError(usage);
  if (g.v[0] < 1 || g.v[2] < 1 || g.v[3] < 2)
    throw InputError(name + ": need n_train ≥ 1, dim ≥ 1 and classes ≥ 2");
  // The samples are generated in memory: a size that cannot be held is bad input, refused
  // here rather than met as an allocation failure (2^31 floats = 8 GiB).
  constexpr double kMaxValues = 2147483648.0;
  const double values = (double(g.v[0]) + double(g.v[1])) * double(g.v[2]);
  if (values > kMaxValues)
    throw InputError(name + ": " + std::to_string(static_cast<long long>(values / 1e6)) +
                     " million values; synthetic data sets are limited to 2^31 values (8 GiB)");
  return g;
}

}  // namespace

std::optional<DataShape> data_shape(const std::string& name) {
  if (name == "fashion-mnist") return DataShape{784, 10};
  if (is_task_data_name(name)) {
    const TaskDataName t = parse_task_data_name(name);
    return DataShape{t.params.length, t.params.vocab};
  }
  if (name.rfind("gmm:", 0) == 0) {
    const GmmName g = parse_gmm_name(name);
    return DataShape{static_cast<int>(g.v[2]), static_cast<int>(g.v[3])};
  }
  return std::nullopt;
}

DataSplits load_data(const std::string& name, const DataOptions& opt) {
  if (name == "fashion-mnist") {
    const std::string dir = fashion_mnist_dir();
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      throw InputError("fashion-mnist: not found at " + dir +
                       " (install the Debian package dataset-fashion-mnist)");
    return load_idx_splits(dir, opt, data_shape(name)->classes);
  }
  if (name.rfind("gmm:", 0) == 0) {
    const GmmName g = parse_gmm_name(name);
    const long long* v = g.v;
    DataSplits s = make_gaussian_mixture(static_cast<int>(v[0]), static_cast<int>(v[1]),
                                         static_cast<int>(v[2]), static_cast<int>(v[3]),
                                         static_cast<uint64_t>(v[4]));
    return apply_options(std::move(s), opt);
  }
  if (is_task_data_name(name)) {
    if (opt.standardize)
      throw InputError(echo_input(name) + ": token data cannot be standardized (its inputs are "
                       "token ids)");
    DataSplits s = load_task_data(name);
    return apply_options(std::move(s), opt);
  }
  std::error_code ec;
  if (!name.empty() && fs::is_directory(name, ec)) return load_idx_dir(name, opt);
  throw InputError((name.empty() ? std::string("\"\"") : name) +
                   ": unknown data set (expected fashion-mnist, gmm:<n_train>,<n_test>,<dim>,"
                   "<classes>,<seed>, task:<task>,... or a folder of IDX files)");
}

DataSplits make_gaussian_mixture(int n_train, int n_test, int dim, int classes, uint64_t seed,
                                 float spread) {
  if (n_train < 0 || n_test < 0 || dim < 1 || classes < 1)
    throw InputError("gmm: invalid sizes");
  std::vector<double> means(static_cast<size_t>(classes) * dim);
  {
    std::mt19937_64 g(splitmix64(seed));
    Normal normal;
    for (double& m : means) m = spread * normal(g);
  }
  auto make = [&](int n, uint64_t stream, const char* split) {
    Dataset d;
    d.name = std::string("gmm/") + split;
    d.n = n;
    d.dim = dim;
    d.classes = classes;
    d.x.resize(static_cast<size_t>(n) * dim);
    d.y.resize(n);
    std::mt19937_64 g(splitmix64(seed ^ stream));
    Normal normal;
    for (int i = 0; i < n; ++i) {
      const int c = static_cast<int>(uniform_below(g, static_cast<uint64_t>(classes)));
      d.y[i] = c;
      for (int j = 0; j < dim; ++j)
        d.x[static_cast<size_t>(i) * dim + j] =
            static_cast<float>(means[static_cast<size_t>(c) * dim + j] + normal(g));
    }
    return d;
  };
  DataSplits s;
  s.train = make(n_train, 0x7261696eULL, "train");  // distinct streams per split
  s.test = make(n_test, 0x74657374ULL, "test");
  return s;
}

Dataset subset(const Dataset& d, int count, uint64_t seed) {
  if (count < 0) throw InputError(d.name + ": subset size must be ≥ 0");
  if (count >= d.n) return d;
  std::vector<int> idx(d.n);
  for (int i = 0; i < d.n; ++i) idx[i] = i;
  std::mt19937_64 g(seed);
  // Partial Fisher–Yates: the first `count` slots become a uniform random sample.
  for (int i = 0; i < count; ++i) {
    const int j = i + static_cast<int>(uniform_below(g, static_cast<uint64_t>(d.n - i)));
    std::swap(idx[i], idx[j]);
  }
  idx.resize(count);
  std::sort(idx.begin(), idx.end());  // keep the original order of the chosen samples
  Dataset out;
  out.name = d.name;
  out.n = count;
  out.dim = d.dim;
  out.classes = d.classes;
  out.label_width = d.label_width;
  const size_t w = static_cast<size_t>(d.label_width);
  out.x.resize(static_cast<size_t>(count) * d.dim);
  out.y.resize(count * w);
  for (int k = 0; k < count; ++k) {
    std::copy_n(d.x.begin() + static_cast<size_t>(idx[k]) * d.dim, d.dim,
                out.x.begin() + static_cast<size_t>(k) * d.dim);
    std::copy_n(d.y.begin() + idx[k] * w, w, out.y.begin() + k * w);
  }
  return out;
}

void labels_as_float(const Dataset& d, int start, int rows, float* out) {
  const size_t w = static_cast<size_t>(d.label_width);
  const int32_t* y = d.y.data() + static_cast<size_t>(start) * w;
  for (size_t i = 0; i < static_cast<size_t>(rows) * w; ++i) out[i] = static_cast<float>(y[i]);
}

}  // namespace ridgeline
