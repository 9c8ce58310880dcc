#include "cli/args.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "ridgeline/core/errors.h"

namespace ridgeline::cli {

Args::Args(int argc, char** argv, int first, const CommandSpec& spec)
    : command_(spec.name), spec_(&spec) {
  for (const auto& o : spec.options) (o.takes_value() ? options_ : flag_names_).insert(o.name);
  parse(argc, argv, first);
}

Args::Args(int argc, char** argv, int first, const std::set<std::string>& options,
           const std::set<std::string>& flags, const std::string& command)
    : command_(command), options_(options), flag_names_(flags) {
  parse(argc, argv, first);
}

void Args::parse(int argc, char** argv, int first) {
  for (int i = 1; i < argc; ++i) argv_.push_back(argv[i]);
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    // "-x..." (not a negative number, not "-") is a mistyped option, not a file name.
    const bool dashed =
        a.size() > 1 && a[0] == '-' && std::isalpha(static_cast<unsigned char>(a[1]));
    if (a.rfind("--", 0) != 0 && !dashed) {
      pos_.push_back(a);
      continue;
    }
    if (a == "--") {
      pos_.push_back(a);
      continue;
    }
    std::string key = a.substr(a.rfind("--", 0) == 0 ? 2 : 1), value;
    bool inline_value = false;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      inline_value = true;
    }
    if (a.rfind("--", 0) == 0 && flag_names_.count(key)) {
      if (inline_value) throw InputError("--" + key + ": takes no value");
      flags_.insert(key);
    } else if (a.rfind("--", 0) == 0 && options_.count(key)) {
      if (!inline_value) {
        if (i + 1 >= argc) throw InputError("--" + key + ": missing value");
        value = argv[++i];
      }
      values_[key] = value;
    } else {
      std::vector<std::string> names;
      for (const auto* set : {&options_, &flag_names_})
        for (const auto& n : *set) names.push_back(n);
      const std::string near = nearest(key, names);
      const std::string given = a.substr(0, a.find('='));
      throw InputError("unknown option '" + given + "'" +
                       (near.empty() ? " (see: ridgeline " + command_ + " --help)"
                                     : "; did you mean '--" + near + "'?"));
    }
  }
}

void Args::known(const std::string& name) const {
  if (spec_ && !spec_->find(name))
    throw std::logic_error("ridgeline " + command_ + ": option --" + name +
                           " is read but not in its spec");
}

const std::string& Args::spec_default(const std::string& name) const {
  static const std::string none;
  known(name);
  const OptionSpec* o = spec_ ? spec_->find(name) : nullptr;
  return o ? o->def : none;
}

bool Args::flag(const std::string& name) const {
  known(name);
  return flags_.count(name) > 0;
}

bool Args::has(const std::string& name) const {
  known(name);
  return values_.count(name) > 0;
}

std::string Args::str(const std::string& name) const { return str(name, spec_default(name)); }

std::string Args::str(const std::string& name, const std::string& def) const {
  known(name);
  auto it = values_.find(name);
  return it == values_.end() ? def : it->second;
}

std::string Args::required(const std::string& name) const {
  known(name);
  auto it = values_.find(name);
  if (it == values_.end())
    throw InputError("--" + name + " is required (see: ridgeline " + command_ + " --help)");
  return it->second;
}

double Args::number(const std::string& name, double def) const {
  known(name);
  auto it = values_.find(name);
  return it == values_.end() ? def : parse_number(name, it->second);
}

double Args::number(const std::string& name) const {
  auto it = values_.find(name);
  return parse_number(name, it == values_.end() ? spec_default(name) : it->second);
}

long long Args::integer(const std::string& name, long long def, long long min,
                        long long max) const {
  known(name);
  auto it = values_.find(name);
  return it == values_.end() ? def : parse_integer(name, it->second, min, max);
}

long long Args::integer(const std::string& name, long long min, long long max) const {
  auto it = values_.find(name);
  return parse_integer(name, it == values_.end() ? spec_default(name) : it->second, min, max);
}

double Args::parse_number(const std::string& name, const std::string& text) const {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(v))
    throw InputError("--" + name + ": '" + text + "' is not a finite number");
  return v;
}

long long Args::parse_integer(const std::string& name, const std::string& text, long long min,
                              long long max) const {
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
