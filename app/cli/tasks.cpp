// `ridgeline tasks`: a synthetic sequence task's data set from a seed (MQAR, associative
// recall, induction heads, copying, selective copying), written as .npy with its parameters
// (docs/USER_GUIDE.md, "Attention lab: tasks and metrics").
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/tasks/sequence_tasks.h"

namespace ridgeline::cli {

const CommandSpec& tasks_spec() {
  static const CommandSpec s{
      "tasks",
      "A synthetic sequence task's data set from a seed (MQAR as Zoology's generator, "
      "associative recall, induction heads, copying, selective copying): inputs.npy, "
      "labels.npy (int32, −100 = no target) and task.json.",
      {"tasks --task mqar|ar|induction|copying|selective-copying [--vocab V] [--length L] "
       "[--pairs K] [--examples N] [--seed S] [--out DIR] [--show N] [--json]"},
      {{"task", "NAME", "", "(required) mqar, ar, induction, copying or selective-copying"},
       {"vocab", "V", "", "vocabulary size: token ids in [0, V)",
        "8192 for mqar, 20 for ar and induction, 10 for copying, 16 for selective-copying"},
       {"length", "L", "", "row length of inputs and labels",
        "64 for mqar, 42 for ar, 31 for induction, 120 for copying, 256 for selective-copying"},
       {"pairs", "K", "4", "mqar: key–value pairs κ (needs 4κ ≤ L for one pass)"},
       {"passes", "P", "1", "mqar: repeats of the key–value context (JRT)"},
       {"power-a", "A", "0.01", "mqar: exponent a of the query gaps, p(g) ∝ a·g^(a−1)"},
       {"random-non-queries", "", "", "mqar: fill the query region with random tokens, not 0"},
       {"tokens", "M", "", "copying: tokens to copy; induction: tokens after the trigger",
        "10 for copying, 16 for selective-copying, 1 for induction"},
       {"all-targets", "", "",
        "ar and induction: label every next token (safari's training split), not only the answer"},
       {"examples", "N", "1000", "rows to generate"},
       {"seed", "S", "0", "seed: the same seed gives the same bytes"},
       {"out", "DIR", "", "folder for inputs.npy, labels.npy and task.json",
        "none: nothing written"},
       {"show", "N", "0", "print the first N examples readably"},
       {"json", "", "", "print the parameters (task.json) and provenance as one JSON object"}},
      {"ridgeline tasks --task mqar --vocab 8192 --length 64 --pairs 4 --examples 1000 --seed 0 "
       "--out mqar-64-4 --show 2",
       "ridgeline tasks --task selective-copying --examples 12800 --out selcopy",
       "ridgeline tasks --task induction --show 1"},
      {"Labels are aligned with the inputs for next-token prediction: labels[t] is the target of "
       "the output at position t (Zoology's layout; for copying, S4's: the marker positions "
       "carry the copied tokens).",
       "Constraints (mqar): L even, V > L, 2κ·(passes+1) ≤ L; a violation is one line naming "
       "the option, exit 2."}};
  return s;
}

namespace {

// The option named after a parameter of task_param_problem().
std::string option_of(const std::string& param) {
  if (param == "power_a") return "--power-a";
  if (param == "all_targets") return "--all-targets";
  return "--" + param;
}

}  // namespace

int cmd_tasks(int argc, char** argv) {
  Args a(argc, argv, 2, tasks_spec());
  if (!a.positionals().empty())
    throw InputError("unexpected argument '" + echo_input(a.positionals().front(), 40) +
                     "' (options only; see: ridgeline tasks --help)");
  if (!a.has("task"))
    throw InputError("--task is required: one of mqar, ar, induction, copying, selective-copying");
  const std::string name = a.str("task");
  const auto task = parse_task(name);
  if (!task) {
    const std::string near = nearest(name, task_names());
    throw InputError("--task: unknown task '" + echo_input(name, 40) + "'" +
                     (near.empty() ? " (mqar, ar, induction, copying or selective-copying)"
                                   : "; did you mean '" + near + "'?"));
  }
  SequenceTaskParams p = default_task_params(*task);
  const long long kBig = 1ll << 30;
  if (a.has("vocab")) p.vocab = static_cast<int>(a.integer("vocab", 0, 1, kBig));
  if (a.has("length")) p.length = static_cast<int>(a.integer("length", 0, 1, kBig));
  if (a.has("tokens")) p.tokens = static_cast<int>(a.integer("tokens", 0, 1, kBig));
  p.pairs = static_cast<int>(a.integer("pairs", 1, kBig));
  p.passes = static_cast<int>(a.integer("passes", 1, kBig));
  p.power_a = a.number("power-a");
  p.random_non_queries = a.flag("random-non-queries");
  p.all_targets = a.flag("all-targets");
  const bool mqar = *task == SequenceTask::Mqar;
  for (const char* opt : {"pairs", "passes", "power-a", "random-non-queries"})
    if (!mqar && a.has(opt))
      throw InputError(std::string("--") + opt + " applies only to --task mqar");
  if (mqar && a.has("tokens"))
    throw InputError("--tokens does not apply to --task mqar (use --pairs)");
  if (*task == SequenceTask::AssociativeRecall && a.has("tokens"))
    throw InputError("--tokens does not apply to --task ar (one key, one value)");
  const long long examples = a.integer("examples", 1, kBig);
  const auto seed = static_cast<uint64_t>(a.integer("seed", 0, (1ll << 62)));
  const int show = static_cast<int>(a.integer("show", 0, kBig));
  const bool json_out = a.flag("json");
  if (auto e = task_param_problem(p, examples))
    throw InputError(option_of(e->param) + ": " + e->problem);
  const std::string out = a.has("out") ? a.str("out") : "";
  if (a.has("out")) check_output_folder(out, "--out");

  const TaskBatch b = generate_task(p, static_cast<int>(examples), seed);
  if (!out.empty()) write_task(b, out);
  if (json_out) {
    nlohmann::json j = nlohmann::json::parse(task_json(b, -1));
    ProvenanceFacts pf;
    pf.out = out;
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("%s: %lld examples × %d tokens, vocab %d, seed %llu%s\n", task_name(p.task).c_str(),
              examples, p.length, p.vocab, static_cast<unsigned long long>(seed),
              out.empty() ? " (not written: no --out)" : (" → " + out).c_str());
  for (int i = 0; i < std::min<long long>(show, examples); ++i)
    std::fputs(format_example(b, i).c_str(), stdout);
  return 0;
}

}  // namespace ridgeline::cli
