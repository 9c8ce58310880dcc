// Synthetic sequence tasks as data sets (task_data.h).
#include "ridgeline/tasks/task_data.h"

#include <cmath>
#include <sstream>

#include "ridgeline/core/errors.h"

namespace ridgeline {

bool is_task_data_name(const std::string& name) { return name.rfind("task:", 0) == 0; }

TaskDataName parse_task_data_name(const std::string& name) {
  auto bad = [&](const std::string& why) {
    throw InputError(echo_input(name) + ": " + why +
                     " (expected task:<task>[,vocab=V][,length=L][,pairs=K][,train=N][,test=N]"
                     "[,seed=S]...; tasks: " + [] {
                       std::string s;
                       for (const auto& t : task_names()) s += (s.empty() ? "" : ", ") + t;
                       return s;
                     }() + ")");
  };
  if (!is_task_data_name(name)) bad("is not a task data name");
  std::stringstream ss(name.substr(5));
  std::string task;
  std::getline(ss, task, ',');
  const auto t = parse_task(task);
  if (!t) bad("names an unknown task '" + echo_input(task) + "'");
  TaskDataName out;
  out.params = default_task_params(*t);
  auto number = [&](const std::string& key, const std::string& val, double lo, double hi) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(val, &used);
    } catch (...) {
      used = 0;
    }
    if (val.empty() || used != val.size() || !std::isfinite(v))
      bad("has a bad value for '" + echo_input(key) + "'");
    if (v < lo || v > hi) bad("has " + key + " outside its range");
    return v;
  };
  auto integer = [&](const std::string& key, const std::string& val, double lo, double hi) {
    const double v = number(key, val, lo, hi);
    if (v != std::floor(v)) bad("has a non-integer " + key);
    return static_cast<int64_t>(v);
  };
  for (std::string item; std::getline(ss, item, ',');) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) bad("has an item without '=': '" + echo_input(item) + "'");
    const std::string key = item.substr(0, eq), val = item.substr(eq + 1);
    SequenceTaskParams& p = out.params;
    if (key == "vocab") p.vocab = static_cast<int>(integer(key, val, 2, 1 << 20));
    else if (key == "length") p.length = static_cast<int>(integer(key, val, 1, 1 << 16));
    else if (key == "pairs") p.pairs = static_cast<int>(integer(key, val, 1, 1 << 16));
    else if (key == "passes") p.passes = static_cast<int>(integer(key, val, 1, 64));
    else if (key == "power_a") p.power_a = number(key, val, 0, 1e6);
    else if (key == "tokens") p.tokens = static_cast<int>(integer(key, val, 1, 1 << 16));
    else if (key == "random_non_queries") p.random_non_queries = integer(key, val, 0, 1) != 0;
    else if (key == "all_targets") p.all_targets = integer(key, val, 0, 1) != 0;
    else if (key == "train") out.train = static_cast<int>(integer(key, val, 1, 1 << 22));
    else if (key == "test") out.test = static_cast<int>(integer(key, val, 0, 1 << 22));
    else if (key == "seed") out.seed = static_cast<uint64_t>(integer(key, val, 0, 1e15));
    else bad("has an unknown key '" + echo_input(key) + "'");
  }
  if (const auto problem = task_param_problem(out.params, std::max(out.train, out.test)))
    bad(problem->param + " " + problem->problem);
  return out;
}

Dataset task_dataset(const TaskBatch& b, const std::string& name) {
  Dataset d;
  d.name = name;
  d.n = b.examples;
  d.dim = b.length;
  d.classes = b.params.vocab;
  d.label_width = b.length;
  d.x.assign(b.inputs.begin(), b.inputs.end());
  d.y = b.labels;
  return d;
}

DataSplits load_task_data(const std::string& name) {
  const TaskDataName t = parse_task_data_name(name);
  const std::string task = task_name(t.params.task);
  DataSplits s;
  s.train = task_dataset(generate_task(t.params, t.train, t.seed * 2), task + "/train");
  s.test = task_dataset(generate_task(t.params, t.test, t.seed * 2 + 1), task + "/test");
  return s;
}

}  // namespace ridgeline
