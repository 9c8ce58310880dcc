#pragma once
// Command-line option parsing for the subcommands: "--key value", "--key=value", flags and
// positionals. What is accepted comes from the command's CommandSpec (cli/command_spec.h), the
// same table `--help` prints. Every error is an InputError naming the option; an unknown option
// names the nearest known one.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/command_spec.h"

namespace ridgeline::cli {

class Args {
 public:
  /// Parses argv[first..] against `spec` (which must outlive the Args). Reading an option the
  /// spec lacks is a programming error (std::logic_error), so code and --help cannot drift.
  Args(int argc, char** argv, int first, const CommandSpec& spec);
  /// Ad-hoc form for a command without a CommandSpec yet: `options` take a value, `flags` do not.
  Args(int argc, char** argv, int first, const std::set<std::string>& options,
       const std::set<std::string>& flags, const std::string& command);

  const std::vector<std::string>& positionals() const { return pos_; }
  /// argv[1..]: the command line as given (for provenance).
  const std::vector<std::string>& arguments() const { return argv_; }
  bool flag(const std::string& name) const;
  bool has(const std::string& name) const;
  /// The value, else the spec's default (else "").
  std::string str(const std::string& name) const;
  std::string str(const std::string& name, const std::string& def) const;
  std::string required(const std::string& name) const;
  /// Strictly parsed, finite numbers; InputError "--lr: 'x' is not a finite number".
  double number(const std::string& name, double def) const;
  /// Same, defaulting to the spec's default.
  double number(const std::string& name) const;
  long long integer(const std::string& name, long long def, long long min, long long max) const;
  /// Same, defaulting to the spec's default.
  long long integer(const std::string& name, long long min, long long max) const;

 private:
  void parse(int argc, char** argv, int first);
  void known(const std::string& name) const;
  const std::string& spec_default(const std::string& name) const;
  double parse_number(const std::string& name, const std::string& text) const;
  long long parse_integer(const std::string& name, const std::string& text, long long min,
                          long long max) const;

  std::string command_;
  const CommandSpec* spec_ = nullptr;
  std::set<std::string> options_, flag_names_;
  std::vector<std::string> argv_;
  std::vector<std::string> pos_;
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

}  // namespace ridgeline::cli
