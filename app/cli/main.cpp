// Subcommand dispatch and the mapping of exceptions to exit codes (docs/ARCHITECTURE.md, "Command line").
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/error_line.h"
#include "cli/provenance.h"
#include "cli/study.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/model_io.h"

namespace ridgeline::cli {

namespace {

CancelToken g_interrupt;

extern "C" void on_signal(int) { g_interrupt.cancel(); }

using Handler = int (*)(int, char**);

const std::map<std::string, Handler>& commands() {
  static const std::map<std::string, Handler> c = {
      {"train", cmd_train}, {"interpolate", cmd_interpolate}, {"run", cmd_run},
      {"align", cmd_align}, {"merge", cmd_merge}, {"runs", cmd_runs}, {"figure", cmd_figure},
      {"study", cmd_study}, {"landscape", cmd_landscape}, {"curve", cmd_curve},
      {"spectra", cmd_spectra}, {"layerwise", cmd_layerwise},
      {"hessian", cmd_hessian}, {"tasks", cmd_tasks}, {"attention", cmd_attention}};
  return c;
}

// The commands with a CommandSpec (their --help and parser come from it), in overview order.
const std::vector<const CommandSpec*>& command_specs() {
  static const std::vector<const CommandSpec*> s = {&train_spec(), &interpolate_spec(),
                                                    &align_spec(), &merge_spec(),
                                                    &run_spec(),   &runs_spec(),
                                                    &figure_spec(), &study_spec(), &landscape_spec(), &curve_spec(),
                                                    &spectra_spec(), &layerwise_spec(), &hessian_spec(),
                                                    &tasks_spec(), &attention_spec()};
  return s;
}

const CommandSpec* find_spec(const std::string& name) {
  for (const CommandSpec* s : command_specs())
    if (s->name == name) return s;
  return nullptr;
}

bool is_help(const std::string& w) { return w == "--help" || w == "-h"; }

// "ridgeline: unknown command 'trian'; did you mean 'train'?" (exit 2).
int unknown_command(const std::string& word) {
  std::vector<std::string> names = {"help"};
  for (const auto& [name, handler] : commands()) names.push_back(name);
  const std::string near = nearest(word, names);
  std::fprintf(stderr, "ridgeline: unknown command '%s'%s\n", one_line(word, 40).c_str(),
               near.empty() ? " (see: ridgeline --help)"
                            : ("; did you mean '" + near + "'?").c_str());
  return 2;
}

// Prints a command's help: its CommandSpec's text, else the command's own (`CMD --help`).
int print_help(const std::string& name, char* argv0) {
  if (const CommandSpec* s = find_spec(name)) {
    std::fputs(help_text(*s).c_str(), stdout);
    return 0;
  }
  std::string help = "--help";
  std::string cmd = name;
  char* args[] = {argv0, cmd.data(), help.data(), nullptr};
  return commands().at(name)(3, args);
}

}  // namespace

CancelToken& interrupt_token() { return g_interrupt; }

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

const std::set<std::string>& data_option_names() {
  static const std::set<std::string> s = {"data", "train-subset", "test-subset", "subset-seed",
                                          "threads", "device"};
  return s;
}

AnyModelsAndData load_any_models_and_data(const Args& a, const std::vector<std::string>& files) {
  // PyTorch state_dicts do not record their activation; Ridgeline files do (and win).
  std::optional<Activation> activation;
  if (a.has("activation")) activation = parse_activation(a.str("activation"), "--activation");
  AnyModelsAndData r;
  for (const auto& f : files) {
    r.models.push_back(load_model(f, activation, &interrupt_token()));
    check_compatible(*r.models.front().arch, files.front(), *r.models.back().arch, f);
  }
  const ModelArch& arch = *r.models.front().arch;
  if (!arch.uses_data()) return r;  // the quadratic oracle: no data to read
  const std::string name = a.str("data", "fashion-mnist");
  r.data = load_data(name, data_options(a));
  arch.check_fits(r.data.train, files.front() + ": model");
  return r;
}

ModelsAndData load_models_and_data(const Args& a, const std::vector<std::string>& files) {
  AnyModelsAndData any = load_any_models_and_data(a, files);
  ModelsAndData r;
  for (size_t i = 0; i < any.models.size(); ++i) r.models.push_back(to_mlp(any.models[i], files[i]));
  r.data = std::move(any.data);
  return r;
}

DataOptions data_options(const Args& a) {
  DataOptions o;
  o.train_subset = static_cast<int>(a.integer("train-subset", 0, 0, 1 << 30));
  o.test_subset = static_cast<int>(a.integer("test-subset", 0, 0, 1 << 30));
  o.subset_seed = static_cast<uint64_t>(a.integer("subset-seed", 0, 0, (1ll << 62)));
  o.standardize = a.flag("standardize");
  return o;
}

std::string usage() {
  std::string t =
      "usage: ridgeline COMMAND [options]   (ridgeline COMMAND --help: its options and examples)\n"
      "       ridgeline [window options]    the desktop application\n"
      "\ncommands:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const CommandSpec* s : command_specs()) rows.emplace_back(s->name, s->summary);
  for (const auto& [name, handler] : commands())  // commands without a table yet
    if (!find_spec(name)) rows.emplace_back(name, "see: ridgeline " + name + " --help");
  rows.emplace_back("help COMMAND", "the same as ridgeline COMMAND --help");
  for (const auto& [name, summary] : rows)
    t += "  " + name + std::string(name.size() < 13 ? 14 - name.size() : 1, ' ') +
         wrap(summary, 84, std::string(16, ' ')) + "\n";
  t += "\nwindow options (docs/USER_GUIDE.md, \"Starting\"):\n"
       "  ridgeline [--run-spec SPEC | --open-run DIR [--compare DIR2]] [--view NAME]\n"
       "            [--screenshot FILE [--screenshot-after S]] [--export-chart FILE.png|svg]\n"
       "            [--workspace DIR] [--out DIR] [--device D] [--threads N]\n"
       "\ndata: fashion-mnist (Debian dataset-fashion-mnist), a folder of MNIST-format IDX files,\n"
       "      or gmm:N_TRAIN,N_TEST,DIM,CLASSES,SEED (synthetic); --train-subset N, --test-subset N,\n"
       "      --subset-seed S, --standardize\n"
       "numbers: loss to 4 significant digits, error in % (fractions in JSON), times wall-clock\n"
       "exit codes: 0 ok, 1 failure while running, 2 bad input, 130 cancelled\n";
  return t;
}

bool is_subcommand(const std::string& w) {
  // The window takes no positional arguments: a first word that is not an option is a
  // command, known or mistyped.
  return w.empty() || w[0] != '-' || is_help(w) || w == "--version";
}

int run_cli(int argc, char** argv) {
  start_wall_clock();
  const std::string cmd = argv[1];
  if (is_help(cmd) || cmd == "help") {
    if (cmd == "help" && argc > 2 && std::strcmp(argv[2], "help") != 0) {
      const std::string topic = argv[2];
      if (!commands().count(topic)) return unknown_command(topic);
      return print_help(topic, argv[0]);
    }
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (cmd == "--version") {
    std::printf("ridgeline %s\n", RIDGELINE_VERSION);
    return 0;
  }
  if (!commands().count(cmd)) return unknown_command(cmd);
  // A command with a table answers --help from it; one without handles --help itself.
  if (find_spec(cmd))
    for (int i = 2; i < argc; ++i)
      if (is_help(argv[i])) return print_help(cmd, argv[0]);
  install_interrupt_handler();
  // "ridgeline runs list: ..." names the action too.
  std::string label = cmd;
  if (cmd == "runs" && argc > 2 && (!std::strcmp(argv[2], "list") || !std::strcmp(argv[2], "show")))
    label += std::string(" ") + argv[2];
  // The one place errors are printed: always exactly one sanitised line, with the command
  // named once (a message that already starts with it, e.g. from the engine, is not prefixed
  // again).
  auto error = [&](std::string what) {
    for (const std::string& prefix : {label + ": ", cmd + ": "})
      if (what.rfind(prefix, 0) == 0) {
        what = what.substr(prefix.size());
        break;
      }
    std::fprintf(stderr, "ridgeline %s: %s\n", one_line(label, 40).c_str(), one_line(what).c_str());
  };
  try {
    return commands().at(cmd)(argc, argv);
  } catch (const InputError& e) {
    error(e.what());
    return 2;
  } catch (const Cancelled&) {
    error("cancelled; finished work is kept");
    return 130;
  } catch (const std::bad_alloc&) {
    error("out of memory");
    return 1;
  } catch (const std::exception& e) {
    error(e.what());
    return 1;
  }
}

}  // namespace ridgeline::cli
