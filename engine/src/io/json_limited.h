// JSON from files the user hands us, parsed with a nesting limit: nlohmann's recursive parser
// would otherwise overflow the stack on a few megabytes of '['. One line of InputError naming
// `source` for invalid JSON and for nesting deeper than `max_depth`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ridgeline/core/errors.h"

namespace ridgeline {

inline nlohmann::json parse_json_limited(const std::string& text, const std::string& source,
                                         int max_depth = 64) {
  struct TooDeep {};
  try {
    return nlohmann::json::parse(text, [max_depth](int depth, nlohmann::json::parse_event_t,
                                                   nlohmann::json&) {
      if (depth > max_depth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    throw InputError(source + ": invalid JSON: nested deeper than " + std::to_string(max_depth) +
                     " levels");
  } catch (const nlohmann::json::exception& e) {
    const std::string what = e.what();
    const auto cut = what.find(']');
    throw InputError(source + ": invalid JSON: " +
                     (cut == std::string::npos ? what : what.substr(cut + 2)));
  }
}

}  // namespace ridgeline
