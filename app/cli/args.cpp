#include "cli/args.h"

#include <charconv>
#include <cmath>

#include "ridgeline/core/errors.h"

namespace ridgeline::cli {

Args::Args(int argc, char** argv, int first, const std::set<std::string>& options,
           const std::set<std::string>& flags, const std::string& command)
    : command_(command) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      pos_.push_back(a);
      continue;
    }
    std::string key = a.substr(2), value;
    bool inline_value = false;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      inline_value = true;
    }
    if (flags.count(key)) {
      if (inline_value) throw InputError("--" + key + ": takes no value");
      flags_.insert(key);
    } else if (options.count(key)) {
      if (!inline_value) {
        if (i + 1 >= argc) throw InputError("--" + key + ": missing value");
        value = argv[++i];
      }
      values_[key] = value;
    } else {
      throw InputError("unknown option --" + key + " (see: ridgeline " + command_ + " --help)");
    }
  }
}

std::string Args::str(const std::string& name, const std::string& def) const {
  auto it = values_.find(name);
  return it == values_.end() ? def : it->second;
}

std::string Args::required(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end())
    throw InputError("--" + name + " is required (see: ridgeline " + command_ + " --help)");
  return it->second;
}

double Args::number(const std::string& name, double def) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(it->second, &used);
  } catch (...) {
    used = 0;
  }
  if (used != it->second.size() || it->second.empty() || !std::isfinite(v))
    throw InputError("--" + name + ": '" + it->second + "' is not a finite number");
  return v;
}

long long Args::integer(const std::string& name, long long def, long long min, long long max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return def;
  const std::string& text = it->second;
  // Digits with an optional '-', nothing else (no spaces, '+', hex or fractions); a value
  // past long long is out of range like any other, never wrapped.
  long long v = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), v);
  const bool digits = !text.empty() && end == text.data() + text.size();
  const auto range = [&] {
    return "is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  };
  if (err == std::errc::result_out_of_range &&
      text.find_first_not_of("-0123456789") == std::string::npos)
    throw InputError("--" + name + ": " + text + " " + range());
  if (err != std::errc() || !digits)
    throw InputError("--" + name + ": '" + text + "' is not an integer");
  if (v < min || v > max) throw InputError("--" + name + ": " + text + " " + range());
  return v;
}

}  // namespace ridgeline::cli
