#pragma once
// Command-line option parsing for the subcommands: "--key value", "--key=value", flags and
// positionals. Every error is an InputError naming the option.
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ridgeline::cli {

class Args {
 public:
  /// `options` take a value, `flags` do not. argv[first..] are parsed.
  Args(int argc, char** argv, int first, const std::set<std::string>& options,
       const std::set<std::string>& flags, const std::string& command);

  const std::vector<std::string>& positionals() const { return pos_; }
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string str(const std::string& name, const std::string& def = "") const;
  std::string required(const std::string& name) const;
  /// Strictly parsed, finite numbers; InputError "--lr: 'x' is not a finite number".
  double number(const std::string& name, double def) const;
  long long integer(const std::string& name, long long def, long long min, long long max) const;

 private:
  std::string command_;
  std::vector<std::string> pos_;
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

}  // namespace ridgeline::cli
