#pragma once
// One table per subcommand: what the argument parser accepts (cli/args.h) and what
// `ridgeline COMMAND --help` prints come from the same CommandSpec, so they cannot drift.
// A subcommand file defines `const CommandSpec& <name>_spec()` and parses with
// `Args a(argc, argv, 2, <name>_spec())`; cli/main.cpp lists the specs (command_specs()).
// Porting a command that still parses ad hoc: write its spec (options with their defaults,
// examples), construct Args from it, read defaults with the one-argument getters
// (`a.integer("epochs", 1, 100000)`), add it to command_specs(), and drop its own --help
// handling: main answers `COMMAND --help`, `-h` and `help COMMAND` from the spec, and the
// tests (tests/app/test_cli_help.py) then check it like every other command.
#include <string>
#include <vector>

namespace ridgeline::cli {

/// One option: `--name VALUE` when `value` names a placeholder ("N", "FILE"), else a flag.
struct OptionSpec {
  std::string name;   ///< without the leading "--"
  std::string value;  ///< placeholder shown in --help; empty for a flag (takes no value)
  std::string def;    ///< the literal default Args reads and --help shows; empty: none
  std::string help;   ///< one line: what it means
  /// A default that is not one literal value ("min(5, epochs)"), for --help only; the
  /// command computes it (and `def` stays empty).
  std::string described_default = "";
  bool takes_value() const { return !value.empty(); }
  std::string shown_default() const { return def.empty() ? described_default : def; }
};

struct CommandSpec {
  std::string name;                ///< "train", "runs"
  std::string summary;             ///< one line, shown by `ridgeline --help`
  std::vector<std::string> usage;  ///< synopsis lines, each after "ridgeline "
  std::vector<OptionSpec> options;
  std::vector<std::string> examples = {};  ///< whole command lines
  std::vector<std::string> notes = {};     ///< optional lines printed after the options

  /// The option named `name`, or nullptr.
  const OptionSpec* find(const std::string& name) const;
};

/// The text of `ridgeline NAME --help`: usage, summary, every option with its default and
/// meaning, notes and examples.
std::string help_text(const CommandSpec& spec);

/// `text` broken at spaces into lines of at most `width` characters (UTF-8 aware), every line
/// after the first starting with `indent`.
std::string wrap(const std::string& text, size_t width, const std::string& indent);

/// Option groups shared by several subcommands.
std::vector<OptionSpec> data_option_specs();     ///< --data, subsets, --standardize
std::vector<OptionSpec> compute_option_specs();  ///< --device, --threads
/// `base` followed by every group in `groups`.
std::vector<OptionSpec> join(std::vector<OptionSpec> base,
                             const std::vector<std::vector<OptionSpec>>& groups);

/// Edit distance with adjacent transpositions counted as one edit (optimal string alignment).
size_t edit_distance(const std::string& a, const std::string& b);
/// The candidate nearest to `word` when it is close enough to be a plausible typo (or `word`
/// is a prefix of exactly one candidate), else "".
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ridgeline::cli
