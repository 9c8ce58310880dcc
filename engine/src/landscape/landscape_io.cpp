// Landscape files: metadata JSON, .npy grids, the .vts for ParaView, and the loader
// (landscape/landscape.h).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/json_number.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/npy.h"
#include "ridgeline/landscape/landscape.h"

namespace ridgeline {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

// Undefined (NaN) and infinite numbers are null in JSON.
ordered_json num(double v) { return json_number::or_null(v); }
ordered_json nums(const std::vector<double>& v) { return json_number::or_null(v); }
ordered_json cell_json(GridCell c) { return ordered_json::array({c.i, c.j}); }

ordered_json path_json(const GridPath& p) {
  ordered_json cells = ordered_json::array();
  for (const GridCell& c : p.cells) cells.push_back(cell_json(c));
  ordered_json j;
  j["cells"] = cells;
  j["x"] = p.x;
  j["y"] = p.y;
  j["loss"] = nums(p.loss);
  j["error"] = nums(p.error);
  j["max_loss"] = num(p.max_loss);
  j["highest"] = cell_json(p.highest);
  j["loss_lin"] = num(p.loss_lin);
  j["loss_mid"] = num(p.loss_mid);
  j["error_lin"] = num(p.error_lin);
  j["error_mid"] = num(p.error_mid);
  return j;
}

// Reading back: every failure names the file and the key.
struct Reader {
  std::string file;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw InputError(file + ": " + key + ": " + what);
  }
  const json& at(const json& j, const std::string& key, const std::string& where) const {
    if (!j.is_object() || !j.contains(key)) fail(where + key, "missing");
    return j[key];
  }
  double number(const json& v, const std::string& key, double null_value) const {
    if (v.is_null()) return null_value;
    if (!v.is_number()) fail(key, "not a number");
    return v.get<double>();
  }
  std::vector<double> numbers(const json& v, const std::string& key) const {
    if (!v.is_array()) fail(key, "not an array");
    std::vector<double> out;
    for (const json& x : v) out.push_back(number(x, key, std::nan("")));
    return out;
  }
  GridCell cell(const json& v, const std::string& key) const {
    if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() || !v[1].is_number_integer())
      fail(key, "not a cell [i, j]");
    return {v[0].get<int>(), v[1].get<int>()};
  }
  GridPath path(const json& j, const std::string& key) const {
    GridPath p;
    const json& cells = at(j, "cells", key + ".");
    if (!cells.is_array()) fail(key + ".cells", "not an array");
    for (const json& c : cells) p.cells.push_back(cell(c, key + ".cells"));
    p.x = numbers(at(j, "x", key + "."), key + ".x");
    p.y = numbers(at(j, "y", key + "."), key + ".y");
    p.loss = numbers(at(j, "loss", key + "."), key + ".loss");
    p.error = numbers(at(j, "error", key + "."), key + ".error");
    if (p.x.size() != p.cells.size() || p.y.size() != p.cells.size() ||
        p.loss.size() != p.cells.size() || p.error.size() != p.cells.size())
      fail(key, "arrays of different lengths");
    p.max_loss = number(at(j, "max_loss", key + "."), key + ".max_loss", std::nan(""));
    p.highest = cell(at(j, "highest", key + "."), key + ".highest");
    p.loss_lin = number(at(j, "loss_lin", key + "."), key + ".loss_lin", std::nan(""));
    p.loss_mid = number(at(j, "loss_mid", key + "."), key + ".loss_mid", std::nan(""));
    p.error_lin = number(at(j, "error_lin", key + "."), key + ".error_lin", std::nan(""));
    p.error_mid = number(at(j, "error_mid", key + "."), key + ".error_mid", std::nan(""));
    return p;
  }
};

std::string base64(const std::string& bytes) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? t[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// One inline binary DataArray: VTK's layout for uncompressed data is a UInt32 byte count
// followed by the values, the two base64-encoded separately (as vtkXMLWriter writes them).
std::string vts_array(const std::string& name, int components, const std::vector<double>& v) {
  std::string data(v.size() * sizeof(double), '\0');
  std::memcpy(data.data(), v.data(), data.size());  // little-endian hosts (byte_order below)
  const uint32_t n = static_cast<uint32_t>(data.size());
  std::string header(sizeof n, '\0');
  std::memcpy(header.data(), &n, sizeof n);
  std::string s = "        <DataArray type=\"Float64\"";
  if (!name.empty()) s += " Name=\"" + name + "\"";
  s += " NumberOfComponents=\"" + std::to_string(components) + "\" format=\"binary\">\n          " +
       base64(header) + base64(data) + "\n        </DataArray>\n";
  return s;
}

std::string stem_file(const std::string& stem, const char* what) {
  return stem + "." + what + ".npy";
}

}  // namespace

std::string landscape_to_json(const LandscapeResult& r, const std::string& stem) {
  ordered_json j;
  j["kind"] = r.info.kind;
  j["models"] = r.info.models;
  if (r.info.kind == "random") {
    j["seed"] = r.info.seed;
    j["keep_1d"] = r.info.keep_1d;
  }
  if (r.info.kind == "hessian") {
    ordered_json h;
    h["pair"] = r.info.hessian_pair;
    h["eigenvalues"] = nums(r.info.eigenvalues);
    h["residuals"] = nums(r.info.eigen_residuals);
    h["converged"] = r.info.eigen_converged;
    h["batch"] = r.info.hessian_batch;
    h["seed"] = r.info.seed;
    j["hessian"] = h;
  }
  j["norms"] = {{"x", r.info.norm_x}, {"y", r.info.norm_y}, {"perp", r.info.norm_perp}};
  ordered_json coords = ordered_json::array();
  for (const auto& c : r.info.coordinates)
    coords.push_back({{"name", c.name}, {"x", c.x}, {"y", c.y}, {"off_plane", c.off_plane}});
  j["coordinates"] = coords;
  const LandscapeGrid& g = r.grid;
  j["grid"] = {{"nx", g.nx()},
               {"ny", g.ny()},
               {"x", {g.xs.front(), g.xs.back()}},
               {"y", {g.ys.front(), g.ys.back()}}};
  j["split"] = r.split;
  j["subset"] = r.subset;
  j["connectivity"] = r.connectivity;
  j["precision"] = to_string(g.precision);
  j["files"] = {{"loss", stem_file(stem, "loss")},
                {"error", stem_file(stem, "error")},
                {"xs", stem_file(stem, "xs")},
                {"ys", stem_file(stem, "ys")}};
  j["pass"] = r.pass ? path_json(*r.pass) : ordered_json(nullptr);
  j["linear"] = r.linear ? path_json(*r.linear) : ordered_json(nullptr);
  ordered_json pers = ordered_json::array();
  for (const auto& p : r.persistence) {
    const bool global = !std::isfinite(p.death);
    pers.push_back(
        {{"birth", num(p.birth)},
         {"death", num(p.death)},
         {"persistence", num(p.persistence())},
         {"minimum", cell_json(p.minimum)},
         {"minimum_xy", {g.xs[p.minimum.i], g.ys[p.minimum.j]}},
         {"saddle", global ? ordered_json(nullptr) : cell_json(p.saddle)},
         {"saddle_xy", global ? ordered_json(nullptr)
                              : ordered_json::array({g.xs[p.saddle.i], g.ys[p.saddle.j]})}});
  }
  j["persistence"] = pers;
  return j.dump(2) + "\n";
}

std::string landscape_vts(const LandscapeResult& r) {
  const LandscapeGrid& g = r.grid;
  const std::string ext =
      "0 " + std::to_string(g.nx() - 1) + " 0 " + std::to_string(g.ny() - 1) + " 0 0";
  std::vector<double> pts;
  pts.reserve(g.loss.size() * 3);
  for (int j = 0; j < g.ny(); ++j)
    for (int i = 0; i < g.nx(); ++i) {
      pts.push_back(g.xs[i]);
      pts.push_back(g.ys[j]);
      pts.push_back(g.loss_at(i, j));
    }
  std::string s =
      "<?xml version=\"1.0\"?>\n"
      "<VTKFile type=\"StructuredGrid\" version=\"0.1\" byte_order=\"LittleEndian\" "
      "header_type=\"UInt32\">\n"
      "  <StructuredGrid WholeExtent=\"" +
      ext +
      "\">\n"
      "    <Piece Extent=\"" +
      ext +
      "\">\n"
      "      <PointData Scalars=\"loss\">\n";
  s += vts_array("loss", 1, g.loss);
  s += vts_array("error", 1, g.error);
  s += "      </PointData>\n      <Points>\n";
  s += vts_array("", 3, pts);
  s += "      </Points>\n    </Piece>\n  </StructuredGrid>\n</VTKFile>\n";
  return s;
}

void write_landscape(const LandscapeResult& r, const std::string& dir, const std::string& stem,
                     const std::string& vts_path) {
  const fs::path d(dir);
  const int64_t nx = r.grid.nx(), ny = r.grid.ny();
  write_npy((d / stem_file(stem, "loss")).string(), r.grid.loss, {ny, nx});
  write_npy((d / stem_file(stem, "error")).string(), r.grid.error, {ny, nx});
  write_npy((d / stem_file(stem, "xs")).string(), r.grid.xs, {nx});
  write_npy((d / stem_file(stem, "ys")).string(), r.grid.ys, {ny});
  if (!vts_path.empty()) write_file_atomic(vts_path, landscape_vts(r));
  // The JSON last: its presence means the grids beside it are complete.
  write_file_atomic((d / (stem + ".json")).string(), landscape_to_json(r, stem));
}

LandscapeResult load_landscape(const std::string& json_path) {
  const fs::path dir = fs::path(json_path).parent_path();
  return parse_landscape_json(
      read_file(json_path), json_path,
      [&](const std::string&, const std::string& file) { return read_npy((dir / file).string()); });
}

LandscapeResult parse_landscape_json(const std::string& text, const std::string& json_path,
                                     const LandscapeArrayReader& read_array) {
  Reader rd{json_path};
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(json_path + ": not JSON (" + echo_input(e.what()) + ")");
  }
  if (!j.is_object()) rd.fail("(top level)", "not an object");
  LandscapeResult r;
  const json& kind = rd.at(j, "kind", "");
  if (kind != "plane" && kind != "random" && kind != "hessian")
    rd.fail("kind", "not plane, random or hessian");
  r.info.kind = kind.get<std::string>();
  const json& models = rd.at(j, "models", "");
  if (!models.is_array()) rd.fail("models", "not a list of names");
  for (const json& m : models) {
    if (!m.is_string()) rd.fail("models", "not a list of names");
    r.info.models.push_back(m.get<std::string>());
  }
  if (r.info.kind == "random") {
    const json& seed = rd.at(j, "seed", "");
    if (!seed.is_number_unsigned()) rd.fail("seed", "not an unsigned integer");
    r.info.seed = seed.get<uint64_t>();
    const json& keep = rd.at(j, "keep_1d", "");
    if (!keep.is_boolean()) rd.fail("keep_1d", "not true or false");
    r.info.keep_1d = keep.get<bool>();
  }
  if (r.info.kind == "hessian") {
    const json& h = rd.at(j, "hessian", "");
    const json& pair = rd.at(h, "pair", "hessian.");
    if (pair != "top2" && pair != "top_bottom") rd.fail("hessian.pair", "not top2 or top_bottom");
    r.info.hessian_pair = pair.get<std::string>();
    for (const auto& [key, out] : {std::pair{"eigenvalues", &r.info.eigenvalues},
                                   std::pair{"residuals", &r.info.eigen_residuals}}) {
      *out = rd.numbers(rd.at(h, key, "hessian."), std::string("hessian.") + key);
      if (out->size() != 2) rd.fail(std::string("hessian.") + key, "not two numbers");
    }
    const json& conv = rd.at(h, "converged", "hessian.");
    if (!conv.is_boolean()) rd.fail("hessian.converged", "not true or false");
    r.info.eigen_converged = conv.get<bool>();
    const json& batch = rd.at(h, "batch", "hessian.");
    if (!batch.is_string()) rd.fail("hessian.batch", "not a string");
    r.info.hessian_batch = batch.get<std::string>();
    const json& seed = rd.at(h, "seed", "hessian.");
    if (!seed.is_number_unsigned()) rd.fail("hessian.seed", "not an unsigned integer");
    r.info.seed = seed.get<uint64_t>();
  }
  const json& norms = rd.at(j, "norms", "");
  r.info.norm_x = rd.number(rd.at(norms, "x", "norms."), "norms.x", std::nan(""));
  r.info.norm_y = rd.number(rd.at(norms, "y", "norms."), "norms.y", std::nan(""));
  r.info.norm_perp = rd.number(rd.at(norms, "perp", "norms."), "norms.perp", std::nan(""));
  const json& coords = rd.at(j, "coordinates", "");
  if (!coords.is_array()) rd.fail("coordinates", "not an array");
  for (const json& c : coords) {
    const json& name = rd.at(c, "name", "coordinates[].");
    if (!name.is_string()) rd.fail("coordinates[].name", "not a string");
    r.info.coordinates.push_back(
        {name.get<std::string>(),
         rd.number(rd.at(c, "x", "coordinates[]."), "coordinates[].x", std::nan("")),
         rd.number(rd.at(c, "y", "coordinates[]."), "coordinates[].y", std::nan("")),
         rd.number(rd.at(c, "off_plane", "coordinates[]."), "coordinates[].off_plane",
                   std::nan(""))});
  }
  const json& split = rd.at(j, "split", "");
  if (!split.is_string()) rd.fail("split", "not a string");
  r.split = split.get<std::string>();
  const json& subset = rd.at(j, "subset", "");
  const json& conn = rd.at(j, "connectivity", "");
  if (!subset.is_number_integer() || subset.get<int64_t>() < 0 ||
      subset.get<int64_t>() >= (int64_t{1} << 31))
    rd.fail("subset", "not an integer from 0 to 2^31 - 1");
  if (!conn.is_number_integer() || (conn.get<int64_t>() != 4 && conn.get<int64_t>() != 8))
    rd.fail("connectivity", "not 4 or 8");
  r.subset = subset.get<int>();
  r.connectivity = conn.get<int>();
  // The GEMMs' precision; files written before it was recorded are fp32.
  if (j.contains("precision")) {
    const json& prec = j["precision"];
    if (!prec.is_string() || (prec != "fp32" && prec != "bf16"))
      rd.fail("precision", "not fp32 or bf16");
    r.grid.precision = parse_precision(prec.get<std::string>());
  }
  // The grids, from the files named beside the JSON.
  const json& files = rd.at(j, "files", "");
  auto array = [&](const char* key, size_t rank) {
    const json& f = rd.at(files, key, "files.");
    if (!f.is_string() || f.get<std::string>().empty() || f.get<std::string>() == "." ||
        f.get<std::string>() == ".." ||
        f.get<std::string>().find_first_of(std::string("/\\\0", 3)) != std::string::npos)
      rd.fail(std::string("files.") + key, "not a file name");
    NpyArray a = read_array(key, f.get<std::string>());
    if (a.shape.size() != rank)
      rd.fail(std::string("files.") + key, "array of rank " + std::to_string(a.shape.size()));
    return a;
  };
  r.grid.xs = array("xs", 1).values;
  r.grid.ys = array("ys", 1).values;
  const NpyArray loss = array("loss", 2), error = array("error", 2);
  const std::vector<int64_t> shape = {static_cast<int64_t>(r.grid.ys.size()),
                                      static_cast<int64_t>(r.grid.xs.size())};
  if (loss.shape != shape || error.shape != shape || r.grid.xs.empty() || r.grid.ys.empty())
    rd.fail("files", "grids do not match the axes (" + std::to_string(shape[0]) + "×" +
                         std::to_string(shape[1]) + ")");
  for (const auto& [key, axis] : {std::pair{"xs", &r.grid.xs}, std::pair{"ys", &r.grid.ys}})
    for (size_t i = 0; i < axis->size(); ++i)
      if (!std::isfinite((*axis)[i]) || (i > 0 && !((*axis)[i - 1] < (*axis)[i])))
        rd.fail(std::string("files.") + key, "the axis is not finite and strictly increasing");
  r.grid.loss = loss.values;
  r.grid.error = error.values;
  auto in_grid = [&](GridCell c, const std::string& key) {
    if (c.i < 0 || c.j < 0 || c.i >= r.grid.nx() || c.j >= r.grid.ny())
      rd.fail(key, "cell outside the grid");
    return c;
  };
  for (const char* key : {"pass", "linear"}) {
    const json& p = rd.at(j, key, "");
    if (p.is_null()) continue;
    GridPath path = rd.path(p, key);
    for (const GridCell& c : path.cells) in_grid(c, std::string(key) + ".cells");
    in_grid(path.highest, std::string(key) + ".highest");
    (std::string(key) == "pass" ? r.pass : r.linear) = std::move(path);
  }
  const json& pers = rd.at(j, "persistence", "");
  if (!pers.is_array()) rd.fail("persistence", "not an array");
  for (const json& p : pers) {
    PersistencePair q;
    q.birth = rd.number(rd.at(p, "birth", "persistence[]."), "persistence[].birth", std::nan(""));
    q.death = rd.number(rd.at(p, "death", "persistence[]."), "persistence[].death",
                        std::numeric_limits<double>::infinity());
    q.minimum = in_grid(rd.cell(rd.at(p, "minimum", "persistence[]."), "persistence[].minimum"),
                        "persistence[].minimum");
    // A basin that ends (finite death) ends at a saddle cell; the global minimum has none.
    const json& s = rd.at(p, "saddle", "persistence[].");
    if (s.is_null() != !std::isfinite(q.death))
      rd.fail("persistence[].saddle", "null exactly when death is null (the global minimum)");
    if (!s.is_null())
      q.saddle = in_grid(rd.cell(s, "persistence[].saddle"), "persistence[].saddle");
    r.persistence.push_back(q);
  }
  return r;
}

}  // namespace ridgeline
