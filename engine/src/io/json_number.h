// JSON numbers of the result files: checked reads for the parsers, and null for what is not
// finite when writing. nlohmann's implicit conversions
// turn a float such as 1e50 into an int by a cast whose result is undefined, and read a number
// too large for a double (1e400) as infinity, which writes back as null; these refuse both
// with a short reason that the parsers wrap into their one-line error.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace ridgeline::json_number {

// An integer within [lo, hi]; floats (even 3.0) are refused.
inline int64_t integer(const nlohmann::json& v, const std::string& what, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) throw std::runtime_error(what + " is not an integer");
  // nlohmann stores a non-negative literal as unsigned: compare it as unsigned on both sides
  // (a lower bound above 0 applies to it too: 0 is below lo = 1).
  const bool out = v.is_number_unsigned()
                       ? v.get<uint64_t>() > static_cast<uint64_t>(hi) ||
                             (lo > 0 && v.get<uint64_t>() < static_cast<uint64_t>(lo))
                       : v.get<int64_t>() > hi || v.get<int64_t>() < lo;
  if (out) throw std::runtime_error(what + " is out of range");
  return v.get<int64_t>();
}

// An int (any value an int holds, or from lo on).
inline int int_of(const nlohmann::json& v, const std::string& what,
                  int lo = std::numeric_limits<int>::min()) {
  return static_cast<int>(integer(v, what, lo, std::numeric_limits<int>::max()));
}

// A finite number.
inline double finite(const nlohmann::json& v, const std::string& what) {
  if (!v.is_number()) throw std::runtime_error(what + " is not a number");
  const double x = v.get<double>();
  if (!std::isfinite(x)) throw std::runtime_error(what + " is not finite");
  return x;
}

// A finite number, or NaN where the file has null (NaN has no JSON form).
inline double finite_or_null(const nlohmann::json& v, const std::string& what) {
  return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : finite(v, what);
}

inline std::vector<double> finite_array(const nlohmann::json& v, const std::string& what) {
  if (!v.is_array()) throw std::runtime_error(what + " is not an array");
  std::vector<double> out;
  out.reserve(v.size());
  for (const auto& x : v) out.push_back(finite(x, what));
  return out;
}

// A finite number under `key`, or `fallback` where the key is absent (older files).
inline double finite_value(const nlohmann::json& j, const char* key, double fallback) {
  return j.contains(key) ? finite(j.at(key), key) : fallback;
}

// Writing: a number that is not finite (NaN: undefined) becomes null, which the readers above
// take back as NaN (finite_or_null).
template <class Json = nlohmann::ordered_json>
Json or_null(double x) {
  return std::isfinite(x) ? Json(x) : Json(nullptr);
}
template <class Json = nlohmann::ordered_json>
Json or_null(const std::vector<double>& v) {
  Json a = Json::array();
  for (double x : v) a.push_back(or_null<Json>(x));
  return a;
}

}  // namespace ridgeline::json_number
