// The study's aggregate: every cell's barriers per path kind, and their statistics over the
// seed pairs of each group of cells (see study.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/study.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

BarrierStats stats_of(const std::vector<double>& x) {
  BarrierStats s;
  for (double v : x)
    if (!std::isfinite(v)) return {kNaN, kNaN, kNaN, kNaN};
  const double n = static_cast<double>(x.size());
  double sum = 0;
  s.min = s.max = x.front();
  for (double v : x) {
    sum += v;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  s.mean = sum / n;
  double ss = 0;
  for (double v : x) ss += (v - s.mean) * (v - s.mean);
  s.std = x.size() > 1 ? std::sqrt(ss / (n - 1)) : kNaN;  // sample standard deviation
  return s;
}

ordered_json values_json(const std::vector<SweptValue>& values) {
  ordered_json v = ordered_json::object();
  for (const auto& x : values)
    v[x.key] = std::isfinite(x.number) ? ordered_json::parse(x.text) : ordered_json(x.text);
  return v;
}

// NaN is null in JSON (nlohmann writes it so); kept explicit for readers of this file.
ordered_json number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

std::string csv_number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// A results/barriers.json nests three levels ("loss": [...] in a row); deeper is not one.
constexpr int kMaxBarriersDepth = 16;
struct TooDeep {};

bool is_step_id(const std::string& s) {  // the schema's step id pattern, ^[A-Za-z0-9._@+-]{1,96}$
  if (s.empty() || s.size() > 96) return false;
  for (unsigned char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '@' || c == '+' || c == '-'))
      return false;
  return true;
}

double barrier_value(const json& row, const char* key, bool error, const std::string& at) {
  const auto it = row.find(key);
  if (it == row.end() || it->is_null()) return kNaN;
  if (!it->is_number()) throw InputError(at + "." + key + ": not a number");
  const double v = it->get<double>();
  if (!std::isfinite(v)) throw InputError(at + "." + key + ": not a finite number");
  if (error && std::fabs(v) > 1)
    throw InputError(at + "." + key + ": " + echo_input(it->dump()) +
                     " is not a fraction in [-1, 1] (errors are fractions in files)");
  return v;
}

}  // namespace

std::vector<CellBarrierRow> parse_cell_barriers(const std::string& text,
                                                const std::string& source) {
  json doc;
  try {
    doc = json::parse(text, [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxBarriersDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    throw InputError(source + ": invalid JSON: nested deeper than " +
                     std::to_string(kMaxBarriersDepth) + " levels");
  } catch (const json::exception& e) {
    const std::string what = e.what();
    throw InputError(source +
                     ": invalid JSON: " + echo_input(what.substr(what.find(']') + 2), 160));
  }
  if (!doc.is_array()) throw InputError(source + ": not an array of barrier rows");
  std::vector<CellBarrierRow> rows;
  for (size_t i = 0; i < doc.size(); ++i) {
    const json& r = doc[i];
    const std::string at = source + ": [" + std::to_string(i) + "]";
    if (!r.is_object()) throw InputError(at + ": not an object");
    for (const char* key : {"step", "split"}) {
      const auto it = r.find(key);
      if (it == r.end()) throw InputError(at + ": no \"" + key + "\"");
      if (!it->is_string()) throw InputError(at + "." + key + ": not a string");
    }
    const std::string step = r["step"], split = r["split"];
    if (!is_step_id(step))
      throw InputError(at + ".step: '" + echo_input(step) +
                       "' is not a step id (1-96 of A-Z a-z 0-9 . _ @ + -)");
    if (split != "train" && split != "test")
      throw InputError(at + ".split: '" + echo_input(split) + "': must be train or test");
    for (const CellBarrierRow& seen : rows)
      if (seen.path == step && seen.split == split)
        throw InputError(at + ": a second row for step " + step + ", split " + split);
    CellBarrierRow row{step, split, {}};
    for (size_t m = 0; m < kBarrierMeasures.size(); ++m)
      row.barriers[m] = barrier_value(r, kBarrierMeasures[m], m >= 2, at);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<CellBarrierRow> read_cell_barriers(const std::string& run_dir) {
  const fs::path f = fs::path(run_dir) / "results" / "barriers.json";
  std::error_code ec;
  if (!fs::exists(f, ec)) return {};
  return parse_cell_barriers(read_file(f.string()), f.string());
}

StudyAggregate aggregate_study(const std::string& name, const std::vector<StudyCell>& cells,
                               const std::vector<std::vector<CellBarrierRow>>& rows) {
  StudyAggregate agg;
  agg.study = name;
  if (!cells.empty())
    for (const auto& v : cells.front().values)
      if (v.key != "pair") agg.keys.push_back(v.key);
  std::vector<std::string> splits, groups;
  auto add_unique = [](std::vector<std::string>& list, const std::string& x) {
    if (std::find(list.begin(), list.end(), x) == list.end()) list.push_back(x);
  };
  for (size_t i = 0; i < cells.size(); ++i) {
    const std::vector<CellBarrierRow>& cr =
        i < rows.size() ? rows[i] : std::vector<CellBarrierRow>{};
    if (cr.empty()) {
      agg.missing.push_back(cells[i].name);
      continue;
    }
    add_unique(groups, cells[i].group);
    for (const auto& r : cr) {
      add_unique(agg.paths, r.path);
      add_unique(splits, r.split);
      agg.cells.push_back({cells[i].name, cells[i].values, cells[i].seeds, r});
    }
  }
  // One pass: each cell row into its (group, path, split) bucket; then the buckets in order.
  auto index_of = [](const std::vector<std::string>& list, const std::string& x) {
    return static_cast<size_t>(std::find(list.begin(), list.end(), x) - list.begin());
  };
  struct Bucket {
    std::vector<SweptValue> values;
    std::array<std::vector<double>, 4> x;
  };
  std::map<std::tuple<size_t, size_t, size_t>, Bucket> buckets;
  std::map<std::string, const StudyCell*> by_name;
  for (const auto& c : cells) by_name[c.name] = &c;
  for (const auto& c : agg.cells) {
    const StudyCell& cell = *by_name.at(c.cell);
    Bucket& b = buckets[{index_of(groups, cell.group), index_of(agg.paths, c.row.path),
                         index_of(splits, c.row.split)}];
    if (b.values.empty())
      for (const auto& v : cell.values)
        if (v.key != "pair") b.values.push_back(v);
    for (size_t m = 0; m < b.x.size(); ++m) b.x[m].push_back(c.row.barriers[m]);
  }
  for (const auto& [key, b] : buckets) {
    StudyGroupRow row;
    row.group = groups[std::get<0>(key)];
    row.path = agg.paths[std::get<1>(key)];
    row.split = splits[std::get<2>(key)];
    row.values = b.values;
    row.n = static_cast<int>(b.x[0].size());
    for (size_t m = 0; m < b.x.size(); ++m) row.stats[m] = stats_of(b.x[m]);
    agg.groups.push_back(std::move(row));
  }
  return agg;
}

StudyAggregate aggregate_study_folder(const StudySummary& s) {
  std::vector<std::vector<CellBarrierRow>> rows;
  for (size_t i = 0; i < s.cells.size(); ++i) {
    const std::string& st = i < s.records.size() ? s.records[i].status : "";
    rows.push_back(st == "finished" || st == "reused" ? read_cell_barriers(s.records[i].run_dir)
                                                      : std::vector<CellBarrierRow>{});
  }
  return aggregate_study(s.spec.base.name, s.cells, rows);
}

std::string aggregate_to_json(const StudyAggregate& agg, int indent) {
  ordered_json groups = ordered_json::array(), cells = ordered_json::array();
  for (const auto& g : agg.groups) {
    ordered_json j = {{"group", g.group},
                      {"values", values_json(g.values)},
                      {"path", g.path},
                      {"split", g.split},
                      {"n", g.n}};
    for (size_t m = 0; m < kBarrierMeasures.size(); ++m)
      j[kBarrierMeasures[m]] = {{"mean", number(g.stats[m].mean)},
                                {"std", number(g.stats[m].std)},
                                {"min", number(g.stats[m].min)},
                                {"max", number(g.stats[m].max)}};
    groups.push_back(std::move(j));
  }
  for (const auto& c : agg.cells) {
    ordered_json j = {{"cell", c.cell},
                      {"values", values_json(c.values)},
                      {"seeds", {c.seeds.first, c.seeds.second}},
                      {"path", c.row.path},
                      {"split", c.row.split}};
    for (size_t m = 0; m < kBarrierMeasures.size(); ++m)
      j[kBarrierMeasures[m]] = number(c.row.barriers[m]);
    cells.push_back(std::move(j));
  }
  const ordered_json doc = {
      {"study", agg.study},
      {"keys", agg.keys},
      {"paths", agg.paths},
      {"std",
       "sample standard deviation (divided by n - 1) over the seed pairs of a group; "
       "null for n = 1"},
      {"error_unit", "fraction"},
      {"groups", groups},
      {"cells", cells},
      {"missing", agg.missing}};
  return doc.dump(indent);
}

std::string aggregate_to_csv(const StudyAggregate& agg) {
  std::ostringstream out;
  for (const auto& k : agg.keys) out << k << ",";
  out << "group,path,split,n";
  for (const char* m : kBarrierMeasures)
    for (const char* s : {"mean", "std", "min", "max"}) out << "," << m << "_" << s;
  out << "\n";
  for (const auto& g : agg.groups) {
    for (const auto& k : agg.keys) {
      std::string t;
      for (const auto& v : g.values)
        if (v.key == k) t = v.text;
      out << csv_field(t) << ",";
    }
    out << csv_field(g.group) << "," << csv_field(g.path) << "," << g.split << "," << g.n;
    for (const auto& st : g.stats)
      for (double v : {st.mean, st.std, st.min, st.max}) out << "," << csv_number(v);
    out << "\n";
  }
  return out.str();
}

std::string aggregate_cells_csv(const StudyAggregate& agg) {
  std::ostringstream out;
  std::vector<std::string> keys;
  if (!agg.cells.empty())
    for (const auto& v : agg.cells.front().values) keys.push_back(v.key);
  out << "cell";
  for (const auto& k : keys) out << "," << k;
  out << ",seed_a,seed_b,path,split";
  for (const char* m : kBarrierMeasures) out << "," << m;
  out << "\n";
  for (const auto& c : agg.cells) {
    out << csv_field(c.cell);
    for (const auto& k : keys) {
      std::string t;
      for (const auto& v : c.values)
        if (v.key == k) t = v.text;
      out << "," << csv_field(t);
    }
    out << "," << c.seeds.first << "," << c.seeds.second << "," << csv_field(c.row.path) << ","
        << c.row.split;
    for (double v : c.row.barriers) out << "," << csv_number(v);
    out << "\n";
  }
  return out.str();
}

void write_aggregate(const std::string& study_dir, const StudyAggregate& agg) {
  const fs::path res = fs::path(study_dir) / "results";
  std::error_code ec;
  fs::create_directories(res, ec);
  if (ec) throw RunError(res.string() + ": cannot create (" + ec.message() + ")");
  write_file_atomic((res / "study.json").string(), aggregate_to_json(agg) + "\n");
  write_file_atomic((res / "study.csv").string(), aggregate_to_csv(agg));
  write_file_atomic((res / "cells.csv").string(), aggregate_cells_csv(agg));
}

}  // namespace ridgeline
