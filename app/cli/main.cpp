// Subcommand dispatch and the mapping of exceptions to exit codes (docs/ARCHITECTURE.md, "Command line").
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>

#include "cli/cli.h"
#include "cli/common.h"
#include "cli/error_line.h"
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
      {"align", cmd_align}, {"merge", cmd_merge}, {"runs", cmd_runs}, {"figure", cmd_figure}};
  return c;
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
  return "usage:\n"
         "  ridgeline                                  open the desktop application\n"
         "  ridgeline [--run-spec SPEC | --open-run DIR [--compare DIR2]] [--view NAME]\n"
         "            [--screenshot FILE [--screenshot-after S]] [--export-chart FILE.png|svg]\n"
         "            [--workspace DIR] [--out DIR] [--device D] [--threads N]\n"
         "                                             the window, scripted (docs/USER_GUIDE.md)\n"
         "  ridgeline run SPEC.json [--out DIR] [--workspace DIR] [--device auto|cpu|cuda|reference]\n"
         "                          [--threads N] [--json]\n"
         "  ridgeline train --arch mlp:784,512,512,512,10[+ln][+gelu] [--data fashion-mnist] [--seed 0]\n"
         "                  [--epochs 10] [--batch 128] [--optimizer adam|sgd] [--lr X]\n"
         "                  [--momentum X] [--weight-decay X] [--schedule constant|step|cosine|triangular]\n"
         "                  [--checkpoint-every N] [--threads N] [--device D] [--json]\n"
         "                  --out MODEL.safetensors\n"
         "  ridgeline interpolate A.safetensors B.safetensors [--data fashion-mnist] [--points 25]\n"
         "                  [--split train|test|both] [--threads N] [--device D] [--json]\n"
         "                  [--activation relu|gelu]   (PyTorch files only; default relu)\n"
         "                  [--repair [--repair-samples 5000]]\n"
         "                  (any model kind: MLPs, PyTorch state_dicts, quadratic checkpoints;\n"
         "                   quadratic models read no --data and have no error curve)\n"
         "  ridgeline align A.safetensors B.safetensors [--method wm|am|am-pearson|ste]\n"
         "                  [--data fashion-mnist] [--seed 0] [--max-sweeps 100] [--samples 10000]\n"
         "                  [--epochs 10 --lr 0.01 --batch 1000 (ste)] [--repair] [--json]\n"
         "                  --out B_to_A.safetensors\n"
         "  ridgeline merge M1.safetensors M2.safetensors M3.safetensors... [--seed 0]\n"
         "                  [--data fashion-mnist] [--json] --out MERGED.safetensors\n"
         "  ridgeline runs list [--workspace DIR] [--json]\n"
         "  ridgeline runs show ID [--workspace DIR] [--json]   (ID or a unique prefix of it)\n"
         "data: fashion-mnist (Debian dataset-fashion-mnist), a folder of MNIST-format IDX files,\n"
         "      or gmm:N_TRAIN,N_TEST,DIM,CLASSES,SEED (synthetic); --train-subset N, --test-subset N,\n"
         "      --subset-seed S, --standardize\n"
         "exit codes: 0 ok, 1 failure while running, 2 bad input, 130 cancelled\n";
}

bool is_subcommand(const std::string& w) {
  return commands().count(w) || w == "--help" || w == "-h" || w == "help" || w == "--version";
}

int run_cli(int argc, char** argv) {
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (cmd == "--version") {
    std::printf("ridgeline %s\n", RIDGELINE_VERSION);
    return 0;
  }
  for (int i = 2; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(usage().c_str(), stdout);
      return 0;
    }
  install_interrupt_handler();
  // The one place errors are printed: always exactly one sanitised line.
  auto error = [&](const std::string& what) {
    std::fprintf(stderr, "ridgeline %s: %s\n", one_line(cmd, 40).c_str(), one_line(what).c_str());
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
