// Minimal JSON Schema validation with defaults (see schema_validator.h).
#include "experiment/schema_validator.h"

#include <cmath>
#include <regex>

#include "ridgeline/core/errors.h"

namespace ridgeline::detail {
namespace {

using nlohmann::json;

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string type_name(const json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number_float()) return "number";
  return v.type_name();
}

bool has_type(const json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "boolean") return v.is_boolean();
  if (t == "integer") {
    if (v.is_number_integer() || v.is_number_unsigned()) return true;
    return v.is_number_float() && std::isfinite(v.get<double>()) &&
           v.get<double>() == std::floor(v.get<double>()) && std::fabs(v.get<double>()) < 9e15;
  }
  if (t == "number") return v.is_number();
  return false;
}

struct Validator {
  std::string source;

  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw InputError(source + ": " + (path.empty() ? "(top level)" : path) + ": " + msg);
  }

  void check(json& v, const json& s, const std::string& path) const {
    if (s.contains("type")) {
      const std::string t = s["type"];
      if (!has_type(v, t)) fail(path, "expected " + t + ", got " + type_name(v));
      if (t == "integer" && v.is_number_float()) v = static_cast<long long>(v.get<double>());
    }
    if (s.contains("enum")) {
      bool ok = false;
      std::string options;
      for (const auto& e : s["enum"]) {
        ok = ok || e == v;
        options += (options.empty() ? "" : ", ") + e.dump();
      }
      if (!ok) fail(path, v.dump() + " is not one of " + options);
    }
    if (v.is_number()) {
      const double x = v.get<double>();
      if (!std::isfinite(x)) fail(path, "must be a finite number");
      auto num = [&](const char* key) { return s[key].get<double>(); };
      if (s.contains("minimum") && x < num("minimum"))
        fail(path, "must be >= " + s["minimum"].dump() + ", got " + v.dump());
      if (s.contains("maximum") && x > num("maximum"))
        fail(path, "must be <= " + s["maximum"].dump() + ", got " + v.dump());
      if (s.contains("exclusiveMinimum") && !(x > num("exclusiveMinimum")))
        fail(path, "must be > " + s["exclusiveMinimum"].dump() + ", got " + v.dump());
      if (s.contains("exclusiveMaximum") && !(x < num("exclusiveMaximum")))
        fail(path, "must be < " + s["exclusiveMaximum"].dump() + ", got " + v.dump());
    }
    if (v.is_string() && s.contains("pattern")) {
      if (!std::regex_search(v.get<std::string>(), std::regex(s["pattern"].get<std::string>())))
        fail(path, v.dump() + " does not match the pattern " + s["pattern"].dump());
    }
    if (v.is_object()) {
      const json props = s.value("properties", json::object());
      if (s.contains("additionalProperties") && s["additionalProperties"] == false)
        for (auto it = v.begin(); it != v.end(); ++it)
          if (!props.contains(it.key())) {
            std::string known;
            for (auto p = props.begin(); p != props.end(); ++p)
              known += (known.empty() ? "" : ", ") + p.key();
            fail(join_path(path, it.key()), "unknown key (known keys: " + known + ")");
          }
      for (const auto& r : s.value("required", json::array()))
        if (!v.contains(r.get<std::string>()))
          fail(join_path(path, r.get<std::string>()), "required key is missing");
      for (auto p = props.begin(); p != props.end(); ++p) {
        if (!v.contains(p.key()) && p.value().contains("default")) v[p.key()] = p.value()["default"];
        if (v.contains(p.key())) check(v[p.key()], p.value(), join_path(path, p.key()));
      }
    }
    if (v.is_array()) {
      if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>())
        fail(path, "needs at least " + s["minItems"].dump() + " item(s)");
      if (s.contains("items"))
        for (size_t i = 0; i < v.size(); ++i)
          check(v[i], s["items"], path + "[" + std::to_string(i) + "]");
    }
  }
};

}  // namespace

void validate_and_fill(json& doc, const json& schema, const std::string& source) {
  Validator{source}.check(doc, schema, "");
}

}  // namespace ridgeline::detail
