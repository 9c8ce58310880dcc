// Sequence tasks: accuracy over the labelled positions, the task's JSON, its .npy files and
// its examples as text (ridgeline/tasks/sequence_tasks.h).
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/tasks/sequence_tasks.h"

namespace ridgeline {

namespace {

// The name a special token of the task is shown by (empty for an ordinary token).
std::string special_name(const SequenceTaskParams& p, int32_t id) {
  switch (p.task) {
    case SequenceTask::AssociativeRecall:
    case SequenceTask::InductionHead:
      if (id == p.vocab - 2) return "=>";
      if (id == p.vocab - 1) return ".";
      return "";
    case SequenceTask::Copying:
    case SequenceTask::SelectiveCopying:
      if (id == 0) return "_";
      if (id == p.vocab - 1) return "|";
      return "";
    case SequenceTask::Mqar:
      return "";
  }
  return "";
}

std::string token_text(const SequenceTaskParams& p, int32_t id) {
  const std::string s = special_name(p, id);
  return s.empty() ? std::to_string(id) : s;
}

}  // namespace

TaskAccuracy task_accuracy(const std::vector<int32_t>& labels,
                           const std::vector<int32_t>& predicted, int examples, int length) {
  const size_t n = static_cast<size_t>(examples) * static_cast<size_t>(length);
  if (examples < 0 || length < 0 || labels.size() != n || predicted.size() != n)
    throw InputError("task accuracy: labels (" + std::to_string(labels.size()) +
                     ") and predictions (" + std::to_string(predicted.size()) +
                     ") must both hold examples × length = " + std::to_string(n) + " ids");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  TaskAccuracy a;
  a.per_example.assign(examples, nan);
  double sum = 0;
  int with_labels = 0;
  for (int i = 0; i < examples; ++i) {
    int64_t lab = 0, ok = 0;
    for (int t = 0; t < length; ++t) {
      const size_t k = static_cast<size_t>(i) * length + t;
      if (labels[k] == kIgnoreLabel) continue;
      ++lab;
      ok += predicted[k] == labels[k];
    }
    a.labelled += lab;
    a.correct += ok;
    if (lab > 0) {
      a.per_example[i] = static_cast<double>(ok) / static_cast<double>(lab);
      sum += a.per_example[i];
      ++with_labels;
    }
  }
  a.mean = with_labels > 0 ? sum / with_labels : nan;
  a.overall =
      a.labelled > 0 ? static_cast<double>(a.correct) / static_cast<double>(a.labelled) : nan;
  return a;
}

std::string task_json(const TaskBatch& b, int indent) {
  const SequenceTaskParams& p = b.params;
  nlohmann::ordered_json j;
  j["task"] = task_name(p.task);
  j["examples"] = b.examples;
  j["length"] = p.length;
  j["vocab"] = p.vocab;
  j["seed"] = b.seed;
  switch (p.task) {
    case SequenceTask::Mqar:
      j["pairs"] = p.pairs;
      j["passes"] = p.passes;
      j["power_a"] = p.power_a;
      j["random_non_queries"] = p.random_non_queries;
      j["layout"] =
          "Zoology multiquery_ar: labels[t] is the target of position t (already shifted); "
          "the label at a queried key's position is its value";
      break;
    case SequenceTask::AssociativeRecall:
      j["all_targets"] = p.all_targets;
      j["special_tokens"] = {{"copy_prefix", p.vocab - 2}, {"noop", p.vocab - 1}};
      j["layout"] = "safari assoc_recall: (key, value) pairs, \"=>\", key; labels[t] = token t+1";
      break;
    case SequenceTask::InductionHead:
      j["tokens"] = p.tokens;
      j["all_targets"] = p.all_targets;
      j["special_tokens"] = {{"copy_prefix", p.vocab - 2}, {"noop", p.vocab - 1}};
      j["layout"] =
          "safari induction_head: random tokens with \"=>\" and the tokens after it, "
          "\"=>\" at the end; labels[t] = token t+1";
      break;
    case SequenceTask::Copying:
    case SequenceTask::SelectiveCopying:
      j["tokens"] = p.tokens;
      j["special_tokens"] = {{"blank", 0}, {"marker", p.vocab - 1}};
      j["layout"] =
          "S4 copying: tokens among blanks, then markers; the marker positions' labels "
          "are the tokens in order";
      break;
  }
  j["ignore_label"] = kIgnoreLabel;
  j["files"] = {{"inputs", "inputs.npy"}, {"labels", "labels.npy"}};
  j["dtype"] = "int32";
  j["shape"] = {b.examples, b.length};
  return j.dump(indent);
}

void write_task(const TaskBatch& b, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir + ": cannot create the folder (" + ec.message() + ")");
  const std::vector<int64_t> shape = {b.examples, b.length};
  const std::filesystem::path d(dir);
  write_npy((d / "inputs.npy").string(), b.inputs, shape);
  write_npy((d / "labels.npy").string(), b.labels, shape);
  write_file_atomic((d / "task.json").string(), task_json(b) + "\n");
}

std::string format_example(const TaskBatch& b, int i) {
  if (i < 0 || i >= b.examples)
    throw InputError("example " + std::to_string(i) + " is not in the batch");
  const int32_t* in = b.input_row(i);
  const int32_t* lab = b.label_row(i);
  std::string t = "example " + std::to_string(i) + "\n  inputs:";
  for (int k = 0; k < b.length; ++k) t.append(" ").append(token_text(b.params, in[k]));
  t += "\n  targets (position: input → label):";
  int shown = 0;
  for (int k = 0; k < b.length; ++k) {
    if (lab[k] == kIgnoreLabel) continue;
    if (shown == 16) {
      t += " …";
      break;
    }
    t.append(" ").append(std::to_string(k)).append(": ").append(token_text(b.params, in[k]));
    t.append(" → ").append(token_text(b.params, lab[k])).append(";");
    ++shown;
  }
  if (shown > 0 && t.back() == ';') t.pop_back();
  return t + "\n";
}

}  // namespace ridgeline
