// Minimal JSON Schema validation with defaults (see schema_validator.h).
#include "experiment/schema_validator.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>
#include <stdexcept>

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
           v.get<double>() == std::floor(v.get<double>());
  }
  if (t == "number") return v.is_number();
  return false;
}

// Length in characters (UTF-8 code points), as JSON Schema counts it.
size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// An "if" of the supported form: {"properties": {key: {"const": value}, ...}}.
bool if_matches(const json& v, const json& cond) {
  for (const auto& [key, prop] : cond.at("properties").items())
    if (!v.contains(key) || v[key] != prop.at("const")) return false;
  return true;
}

struct Validator {
  const json& root;
  std::string source;

  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw InputError(source + ": " + (path.empty() ? "(top level)" : path) + ": " + msg);
  }

  void check_number(const json& v, const json& s, const std::string& path) const {
    const double x = v.get<double>();
    if (!std::isfinite(x)) fail(path, "must be a finite number");
    auto num = [&](const char* key) { return s[key].get<double>(); };
    // Integers compare exactly: a double cannot tell 2^63 - 1 from 2^63.
    auto above_max = [&] {
      if (v.is_number_unsigned() && s["maximum"].is_number_unsigned())
        return v.get<uint64_t>() > s["maximum"].get<uint64_t>();
      if (v.is_number_integer() && s["maximum"].is_number_integer() && !v.is_number_unsigned())
        return v.get<long long>() > s["maximum"].get<long long>();
      return x > num("maximum");
    };
    if (s.contains("minimum") && x < num("minimum"))
      fail(path, "must be >= " + s["minimum"].dump() + ", got " + echo_value(v));
    if (s.contains("maximum") && above_max())
      fail(path, "must be <= " + s["maximum"].dump() + ", got " + echo_value(v));
    if (s.contains("exclusiveMinimum") && !(x > num("exclusiveMinimum")))
      fail(path, "must be > " + s["exclusiveMinimum"].dump() + ", got " + echo_value(v));
    if (s.contains("exclusiveMaximum") && !(x < num("exclusiveMaximum")))
      fail(path, "must be < " + s["exclusiveMaximum"].dump() + ", got " + echo_value(v));
  }

  void check_string(const std::string& text, const json& s, const std::string& path) const {
    const size_t n = utf8_length(text);
    if (s.contains("maxLength") && n > s["maxLength"].get<size_t>())
      fail(path, "too long: " + std::to_string(n) + " characters (at most " +
                     s["maxLength"].dump() + ")");
    if (s.contains("minLength") && n < s["minLength"].get<size_t>())
      fail(path, "too short: at least " + s["minLength"].dump() + " characters");
    if (s.contains("pattern") && !std::regex_search(text, std::regex(s["pattern"].get<std::string>())))
      fail(path, echo_value(text) + " does not match the pattern " + s["pattern"].dump());
  }

  // Objects: the keys an "if" tests are checked first (a bad step "type" is reported as such,
  // not as the unknown keys of a kind that does not exist), then unknown keys (a misspelt key
  // is named before the required key it was meant to be), then required keys and properties
  // with their defaults, the schema's own and those of every allOf branch that applies.
  void check_object(json& v, const json& s, const std::string& path) const {
    const json no_branches = json::array();
    const json& branches = s.contains("allOf") ? s["allOf"] : no_branches;
    for (const auto& branch : branches)
      for (const auto& [key, cond] : branch.at("if").at("properties").items())
        if (v.contains(key) && s.contains("properties") && s["properties"].contains(key))
          check(v[key], s["properties"][key], join_path(path, key));
    std::vector<const json*> parts{&s};
    for (const auto& branch : branches)
      if (if_matches(v, branch.at("if"))) parts.push_back(&resolve_ref(root, branch.at("then")));
    const bool closed = (s.contains("additionalProperties") && s["additionalProperties"] == false) ||
                        (s.contains("unevaluatedProperties") && s["unevaluatedProperties"] == false);
    if (closed) {
      std::vector<std::string> known;
      for (const json* part : parts)
        if (part->contains("properties"))
          for (const auto& [key, prop] : (*part)["properties"].items()) known.push_back(key);
      for (auto it = v.begin(); it != v.end(); ++it)
        if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
          std::string list;
          for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
          std::string key = echo_value(it.key(), 40);  // quoted, escaped, maybe cut
          key = key.substr(1, key.size() - (key.back() == '"' ? 2 : 1));
          fail(join_path(path, key), "unknown key (known keys: " + list + ")");
        }
    }
    for (const json* part : parts) {
      if (part->contains("required"))
        for (const auto& r : (*part)["required"])
          if (!v.contains(r.get<std::string>()))
            fail(join_path(path, r.get<std::string>()), "required key is missing");
      if (!part->contains("properties")) continue;
      for (const auto& [key, prop] : (*part)["properties"].items()) {
        if (!v.contains(key) && prop.contains("default")) v[key] = prop["default"];
        if (v.contains(key)) check(v[key], prop, join_path(path, key));
      }
    }
  }

  void check(json& v, const json& schema, const std::string& path) const {
    const json& s = resolve_ref(root, schema);
    if (s.contains("type")) {
      const std::string t = s["type"];
      if (!has_type(v, t)) fail(path, "expected " + t + ", got " + type_name(v));
      if (t == "integer" && v.is_number_float()) {
        // 1e3 is an integer; one past 2^53 cannot be held exactly (nor 2^64 at all).
        if (std::fabs(v.get<double>()) >= 9e15)
          fail(path, "integer out of range: " + echo_value(v) +
                         (s.contains("maximum") ? " (at most " + s["maximum"].dump() + ")" : ""));
        v = static_cast<long long>(v.get<double>());
      }
    }
    if (s.contains("const") && v != s["const"])
      fail(path, "must be " + s["const"].dump() + ", got " + echo_value(v));
    if (s.contains("enum")) {
      bool ok = false;
      std::string options;
      for (const auto& e : s["enum"]) {
        ok = ok || e == v;
        options += (options.empty() ? "" : ", ") + e.dump();
      }
      if (!ok) fail(path, echo_value(v) + " is not one of " + options);
    }
    if (v.is_number()) check_number(v, s, path);
    if (v.is_string()) check_string(v.get<std::string>(), s, path);
    if (v.is_object()) check_object(v, s, path);
    if (v.is_array()) {
      if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>())
        fail(path, "needs at least " + s["minItems"].dump() + " item(s)");
      if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>())
        fail(path, "has " + std::to_string(v.size()) + " items (at most " + s["maxItems"].dump() + ")");
      if (s.contains("items"))
        for (size_t i = 0; i < v.size(); ++i)
          check(v[i], s["items"], path + "[" + std::to_string(i) + "]");
    }
  }
};

const std::set<std::string>& supported_keywords() {
  static const std::set<std::string> k = {
      "$schema", "$id", "$defs", "$ref", "title", "description", "type", "properties",
      "required", "additionalProperties", "unevaluatedProperties", "enum", "const", "minimum",
      "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
      "minItems", "maxItems", "items", "allOf", "if", "then", "default"};
  return k;
}

void check_keywords(const json& s, const std::string& where) {
  if (!s.is_object()) throw std::logic_error("experiment schema: " + where + " is not a schema");
  for (const auto& [key, value] : s.items()) {
    if (!supported_keywords().count(key))
      throw std::logic_error("experiment schema: " + where + " uses unsupported keyword " + key);
    if (key == "properties" || key == "$defs")
      for (const auto& [name, sub] : value.items()) check_keywords(sub, where + "/" + key + "/" + name);
    else if (key == "items" || key == "then")
      check_keywords(value, where + "/" + key);
    else if (key == "allOf")
      for (const auto& branch : value) {
        if (!branch.contains("if") || !branch.contains("then") || branch.size() != 2)
          throw std::logic_error("experiment schema: " + where + "/allOf: only if/then branches are supported");
        for (const auto& [name, prop] : branch["if"].at("properties").items())
          if (prop.size() != 1 || !prop.contains("const"))
            throw std::logic_error("experiment schema: " + where + "/allOf: an if may only test const of " + name);
        check_keywords(branch["then"], where + "/allOf/then");
      }
    else if (key == "$ref" && value.get<std::string>().rfind("#/$defs/", 0) != 0)
      throw std::logic_error("experiment schema: " + where + ": only #/$defs/ references are supported");
  }
}

}  // namespace

const json& resolve_ref(const json& root, const json& s) {
  if (!s.contains("$ref")) return s;
  const std::string ref = s["$ref"];
  const std::string prefix = "#/$defs/";
  if (ref.rfind(prefix, 0) != 0 || !root.contains("$defs") || !root["$defs"].contains(ref.substr(prefix.size())))
    throw std::logic_error("experiment schema: unresolved reference " + ref);
  return root["$defs"][ref.substr(prefix.size())];
}

void check_schema_keywords(const json& schema) { check_keywords(schema, "#"); }

std::string echo_value(const json& v, size_t max_chars) {
  // Containers are never dumped: a deeply nested value would recurse once per level.
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (utf8_length(text) <= max_chars) return text;
  size_t cut = 0;
  for (size_t chars = 0; cut < text.size() && chars < max_chars; ++chars) {
    ++cut;
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
  }
  return text.substr(0, cut) + "…";
}

void validate_and_fill(json& doc, const json& schema, const std::string& source) {
  Validator{schema, source}.check(doc, schema, "");
}

}  // namespace ridgeline::detail
