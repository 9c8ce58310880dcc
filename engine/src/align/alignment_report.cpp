// Alignment reports from live results and from their JSON (alignment_report.h).
#include "ridgeline/align/alignment_report.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/json_limited.h"
#include "io/json_number.h"
#include "ridgeline/core/errors.h"

namespace ridgeline {

using nlohmann::json;

int64_t moved_units(const Permutation& p) {
  int64_t n = 0;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != static_cast<int>(i)) ++n;
  return n;
}

AlignmentReport make_alignment_report(const AlignmentResult& r, const PermutationSpec& spec) {
  AlignmentReport rep;
  rep.method = r.method;
  rep.objective_before = r.objective_before;
  rep.objective_after = r.objective_after;
  rep.objective_per_sweep = r.objective_per_sweep;
  rep.l2_before = r.l2_before;
  rep.l2_after = r.l2_after;
  rep.sweeps = r.sweeps;
  rep.seconds = r.seconds;
  rep.function_max_diff = r.function_max_diff;
  rep.function_max_logit = r.function_max_logit;
  rep.function_passed = function_check_passes(r.function_max_diff, r.function_max_logit);
  // The same layers, and the same gain for a missing entry, as alignment_to_json writes.
  for (size_t p = 0; p < r.perms.size() && p < spec.names.size(); ++p)
    rep.layers.push_back({spec.names[p], spec.sizes[p],
                          p < r.layer_gain.size() ? r.layer_gain[p]
                                                   : std::numeric_limits<double>::quiet_NaN(),
                          moved_units(r.perms[p])});
  rep.within_heads = r.within_heads;
  return rep;
}

namespace {

// Typed reads that name the key path in their errors.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw InputError(source_ + ": " + key + ": " + problem);
  }

  const json& at(const json& obj, const std::string& name, const std::string& key) const {
    const auto it = obj.find(name);
    if (it == obj.end()) fail(key, "missing");
    return *it;
  }

  double number(const json& v, const std::string& key) const {
    if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();  // a non-finite number
    if (!v.is_number()) fail(key, std::string("expected a number, got ") + v.type_name());
    return v.get<double>();
  }

  int64_t integer(const json& v, const std::string& key, int64_t min) const {
    if (!v.is_number_integer()) fail(key, std::string("expected an integer, got ") + kind(v));
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      fail(key, "out of range");
    const int64_t i = v.get<int64_t>();
    if (i < min) fail(key, "must be >= " + std::to_string(min) + ", got " + std::to_string(i));
    return i;
  }

  const json& array(const json& v, const std::string& key) const {
    if (!v.is_array()) fail(key, std::string("expected an array, got ") + v.type_name());
    return v;
  }

  const json& object(const json& v, const std::string& key) const {
    if (!v.is_object()) fail(key, std::string("expected an object, got ") + v.type_name());
    return v;
  }

  std::string string(const json& v, const std::string& key) const {
    if (!v.is_string()) fail(key, std::string("expected a string, got ") + v.type_name());
    return v.get<std::string>();
  }

 private:
  static std::string kind(const json& v) { return v.is_number_float() ? "a non-integer number" : v.type_name(); }
  std::string source_;
};

AlignmentReport::Layer parse_layer(const Reader& rd, const json& l, const std::string& key) {
  rd.object(l, key);
  AlignmentReport::Layer layer;
  layer.name = rd.string(rd.at(l, "name", key + ".name"), key + ".name");
  layer.size = rd.integer(rd.at(l, "size", key + ".size"), key + ".size", 1);
  layer.gain = rd.number(rd.at(l, "gain", key + ".gain"), key + ".gain");
  const std::string pk = key + ".permutation";
  const json& perm = rd.array(rd.at(l, "permutation", pk), pk);
  if (static_cast<int64_t>(perm.size()) != layer.size)
    rd.fail(pk, "has " + std::to_string(perm.size()) + " entries for size " +
                    std::to_string(layer.size));
  std::vector<bool> seen(static_cast<size_t>(layer.size), false);
  for (size_t i = 0; i < perm.size(); ++i) {
    const int64_t v = rd.integer(perm[i], pk + "[" + std::to_string(i) + "]", 0);
    if (v >= layer.size || seen[static_cast<size_t>(v)])
      rd.fail(pk, "not a permutation of 0.." + std::to_string(layer.size - 1));
    seen[static_cast<size_t>(v)] = true;
    if (v != static_cast<int64_t>(i)) ++layer.moved;
  }
  return layer;
}

// A list of permutations, each of `size` entries (size < 0: any size ≥ 1).
std::vector<Permutation> parse_perm_list(const Reader& rd, const json& v, const std::string& key,
                                         int64_t size) {
  std::vector<Permutation> out;
  for (size_t k = 0; k < rd.array(v, key).size(); ++k) {
    const std::string pk = key + "[" + std::to_string(k) + "]";
    const json& p = rd.array(v[k], pk);
    if (p.empty() || (size >= 0 && static_cast<int64_t>(p.size()) != size))
      rd.fail(pk, "has " + std::to_string(p.size()) + " entries" +
                      (size >= 0 ? " for " + std::to_string(size) : std::string()));
    std::vector<bool> seen(p.size(), false);
    Permutation perm;
    for (size_t i = 0; i < p.size(); ++i) {
      const int64_t e = rd.integer(p[i], pk + "[" + std::to_string(i) + "]", 0);
      if (e >= static_cast<int64_t>(p.size()) || seen[static_cast<size_t>(e)])
        rd.fail(pk, "not a permutation of 0.." + std::to_string(p.size() - 1));
      seen[static_cast<size_t>(e)] = true;
      perm.push_back(static_cast<int>(e));
    }
    out.push_back(std::move(perm));
  }
  return out;
}

int moved_count(const std::vector<Permutation>& ps) {
  int n = 0;
  for (const Permutation& p : ps) n += moved_units(p) > 0 ? 1 : 0;
  return n;
}

WithinHeadsSummary parse_within_heads(const Reader& rd, const json& w) {
  const std::string key = "within_heads";
  rd.object(w, key);
  auto num = [&](const char* k) { return rd.number(rd.at(w, k, key + "." + k), key + "." + k); };
  auto count = [&](const char* k) {
    const int64_t v = rd.integer(rd.at(w, k, key + "." + k), key + "." + k, 0);
    if (v > 1000000) rd.fail(key + "." + k, "out of range");
    return static_cast<int>(v);
  };
  WithinHeadsSummary s;
  s.heads = count("heads");
  s.heads_moved = count("heads_moved");
  s.qk_moved = count("qk_moved");
  s.vo_moved = count("vo_moved");
  s.qk_before = num("qk_gain_before");
  s.qk_after = num("qk_gain_after");
  s.vo_before = num("vo_gain_before");
  s.vo_after = num("vo_gain_after");
  s.qk_skipped = rd.string(rd.at(w, "qk_skipped", key + ".qk_skipped"), key + ".qk_skipped");
  if (s.qk_skipped.size() > 1000 || s.qk_skipped.find_first_of("\n\r") != std::string::npos)
    rd.fail(key + ".qk_skipped", "not a one-line reason");
  s.head_perms = parse_perm_list(rd, rd.at(w, "head_perms", key + ".head_perms"), key + ".head_perms", -1);
  s.qk = parse_perm_list(rd, rd.at(w, "qk", key + ".qk"), key + ".qk", -1);
  s.vo = parse_perm_list(rd, rd.at(w, "vo", key + ".vo"), key + ".vo", -1);
  if (static_cast<int>(s.qk.size()) != s.heads || static_cast<int>(s.vo.size()) != s.heads)
    rd.fail(key, "qk and vo need one permutation per head (" + std::to_string(s.heads) + ")");
  int per_layer = 0;
  for (const Permutation& p : s.head_perms) per_layer += static_cast<int>(p.size());
  if (per_layer != s.heads) rd.fail(key + ".head_perms", "does not cover the " + std::to_string(s.heads) + " heads");
  int heads_moved = 0;
  for (const Permutation& p : s.head_perms) heads_moved += static_cast<int>(moved_units(p));
  if (heads_moved != s.heads_moved || moved_count(s.qk) != s.qk_moved || moved_count(s.vo) != s.vo_moved)
    rd.fail(key, "the moved counts do not match the permutations");
  return s;
}

}  // namespace

AlignmentReport parse_alignment_report(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    const std::string what = e.what();
    throw InputError(source + ": invalid JSON: " + what.substr(what.find(']') + 2));
  }
  const Reader rd(source);
  if (!j.is_object())
    throw InputError(source + ": expected a JSON object (an alignment result), got " +
                     j.type_name());
  auto num = [&](const char* k) { return rd.number(rd.at(j, k, k), k); };
  AlignmentReport r;
  r.method = rd.string(rd.at(j, "method", "method"), "method");
  if (r.method.empty()) rd.fail("method", "empty");
  r.objective_before = num("objective_before");
  r.objective_after = num("objective_after");
  const json& sweeps = rd.array(rd.at(j, "objective_per_sweep", "objective_per_sweep"),
                                "objective_per_sweep");
  for (size_t i = 0; i < sweeps.size(); ++i)
    r.objective_per_sweep.push_back(rd.number(sweeps[i], "objective_per_sweep[" + std::to_string(i) + "]"));
  r.l2_before = num("l2_before");
  r.l2_after = num("l2_after");
  const int64_t n_sweeps = rd.integer(rd.at(j, "sweeps", "sweeps"), "sweeps", 0);
  if (n_sweeps > std::numeric_limits<int>::max()) rd.fail("sweeps", "out of range");
  r.sweeps = static_cast<int>(n_sweeps);
  r.seconds = num("seconds");
  const json& fc = rd.object(rd.at(j, "function_check", "function_check"), "function_check");
  r.function_max_diff = rd.number(rd.at(fc, "max_abs_logit_diff", "function_check.max_abs_logit_diff"),
                                  "function_check.max_abs_logit_diff");
  r.function_max_logit = rd.number(rd.at(fc, "max_abs_logit", "function_check.max_abs_logit"),
                                   "function_check.max_abs_logit");
  const json& passed = rd.at(fc, "passed", "function_check.passed");
  if (!passed.is_boolean())
    rd.fail("function_check.passed", std::string("expected true or false, got ") + passed.type_name());
  r.function_passed = passed.get<bool>();
  const json& layers = rd.array(rd.at(j, "layers", "layers"), "layers");
  for (size_t i = 0; i < layers.size(); ++i)
    r.layers.push_back(parse_layer(rd, layers[i], "layers[" + std::to_string(i) + "]"));
  if (j.contains("within_heads")) r.within_heads = parse_within_heads(rd, j["within_heads"]);
  return r;
}

namespace {

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

// The keys every stage report (orthogonal map, learned matching) ends with.
void put_stage_tail(nlohmann::ordered_json& j, const AlignmentReport& r) {
  j["l2_before"] = finite_or_null(r.l2_before);
  j["l2_after"] = finite_or_null(r.l2_after);
  j["function_check_max_abs_logit_diff"] = finite_or_null(r.function_max_diff);
  j["function_check_max_abs_logit"] = finite_or_null(r.function_max_logit);
  j["seconds"] = finite_or_null(r.seconds);
}

// Typed reads of a stage report; each throws std::runtime_error "<key>: <problem>".
struct StageReader {
  const nlohmann::json& j;
  double number(const char* key) const {
    if (!j.contains(key)) throw std::runtime_error(std::string(key) + ": missing");
    return json_number::finite(j[key], key);
  }
  int integer(const char* key, int64_t lo, int64_t hi) const {
    if (!j.contains(key)) throw std::runtime_error(std::string(key) + ": missing");
    return static_cast<int>(json_number::integer(j[key], key, lo, hi));
  }
  std::string method() const {
    if (!j.contains("method") || !j["method"].is_string())
      throw std::runtime_error("method: not a string");
    std::string m = j["method"].get<std::string>();
    if (m.size() > 64 || m.find_first_of("\n\r") != std::string::npos)
      throw std::runtime_error("method: not a method name");
    return m;
  }
  // l2_before/after, seconds and the function check; `max_logit_optional`: files written
  // before 2026-12-01 lack the largest logit (the check then reads as failed).
  void tail(AlignmentReport& r, bool max_logit_optional) const {
    r.l2_before = number("l2_before");
    r.l2_after = number("l2_after");
    r.seconds = number("seconds");
    r.function_max_diff = number("function_check_max_abs_logit_diff");
    r.function_max_logit = max_logit_optional && !j.contains("function_check_max_abs_logit")
                               ? 0.0
                               : number("function_check_max_abs_logit");
    r.function_passed = function_check_passes(r.function_max_diff, r.function_max_logit);
  }
};

// Parses one stage report: `read` fills what is particular to it.
template <class Read>
AlignmentReport parse_stage_report(const std::string& text, const std::string& source, Read read) {
  const nlohmann::json j = parse_json_limited(text, source);
  AlignmentReport r;
  try {
    if (!j.is_object()) throw std::runtime_error("expected an object");
    read(StageReader{j}, r);
  } catch (const std::exception& e) {  // json_number's checks and the readers'
    throw InputError(source + ": " + e.what());
  }
  return r;
}

}  // namespace

std::string orthogonal_report_json(const AlignmentReport& r, const std::string& a,
                                   const std::string& b) {
  nlohmann::ordered_json j = {{"method", r.method},
                              {"a", a},
                              {"b", b},
                              {"stream_mismatch_before", finite_or_null(r.objective_before)},
                              {"stream_mismatch_after", finite_or_null(r.objective_after)}};
  put_stage_tail(j, r);
  return j.dump(2) + "\n";
}

AlignmentReport parse_orthogonal_report(const std::string& text, const std::string& source) {
  return parse_stage_report(text, source, [](const StageReader& rd, AlignmentReport& r) {
    r.method = rd.method();
    r.objective_before = rd.number("stream_mismatch_before");
    r.objective_after = rd.number("stream_mismatch_after");
    rd.tail(r, true);
  });
}

std::string learned_report_json(const AlignmentReport& r, const std::string& a, const std::string& b,
                                int best_epoch, double lambda_min, double lambda_max) {
  nlohmann::json per_epoch = nlohmann::json::array();
  for (double v : r.objective_per_sweep) per_epoch.push_back(finite_or_null(v));
  nlohmann::ordered_json j = {{"method", r.method},
                              {"a", a},
                              {"b", b},
                              {"midpoint_train_loss_before", finite_or_null(r.objective_before)},
                              {"midpoint_train_loss_after", finite_or_null(r.objective_after)},
                              {"midpoint_train_loss_per_epoch", per_epoch},
                              {"epochs", r.sweeps},
                              {"best_epoch", best_epoch},
                              {"lambda", {lambda_min, lambda_max}}};
  put_stage_tail(j, r);
  return j.dump(2) + "\n";
}

AlignmentReport parse_learned_report(const std::string& text, const std::string& source) {
  return parse_stage_report(text, source, [](const StageReader& rd, AlignmentReport& r) {
    const nlohmann::json& j = rd.j;
    r.method = rd.method();
    r.objective_before = rd.number("midpoint_train_loss_before");
    r.objective_after = rd.number("midpoint_train_loss_after");
    r.sweeps = rd.integer("epochs", 1, 100000);
    rd.integer("best_epoch", -1, r.sweeps);  // checked, not kept
    if (!j.contains("midpoint_train_loss_per_epoch") || !j["midpoint_train_loss_per_epoch"].is_array())
      throw std::runtime_error("midpoint_train_loss_per_epoch: not an array");
    const nlohmann::json& per = j["midpoint_train_loss_per_epoch"];
    if (per.size() != static_cast<size_t>(r.sweeps) + 1)
      throw std::runtime_error("midpoint_train_loss_per_epoch: " + std::to_string(per.size()) +
                               " entries for " + std::to_string(r.sweeps) + " epochs (needs epochs + 1)");
    for (const nlohmann::json& v : per)
      r.objective_per_sweep.push_back(json_number::finite(v, "midpoint_train_loss_per_epoch[]"));
    if (!j.contains("lambda") || !j["lambda"].is_array() || j["lambda"].size() != 2)
      throw std::runtime_error("lambda: not a pair [lo, hi]");
    const double lo = json_number::finite(j["lambda"][0], "lambda[0]");
    const double hi = json_number::finite(j["lambda"][1], "lambda[1]");
    if (!(lo > 0 && lo <= hi && hi < 1)) throw std::runtime_error("lambda: needs 0 < lo <= hi < 1");
    rd.tail(r, false);
  });
}

}  // namespace ridgeline
