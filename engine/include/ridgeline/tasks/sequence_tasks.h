#pragma once
/// @file sequence_tasks.h
/// Synthetic token tasks for tiny attention models (docs/USER_GUIDE.md, "Attention lab: tasks
/// and metrics"), generated from a seed and nothing else:
///
/// - **MQAR**, multi-query associative recall, as Zoology's generator defines it (Arora,
///   Eyuboglu et al., arXiv 2312.04927): κ key–value pairs (keys from [1, V/2), values from
///   [V/2, V), no repeats inside a sequence) form the context, repeated `passes` times (JRT);
///   the query region follows, zero-filled (or uniform random tokens from [0, V) with
///   `random_non_queries`); the i-th key is queried at offset 2·g_i of the query region, the
///   distinct gaps g_i ∈ [0, (L − context)/2) drawn one after another without replacement with
///   p(g) ∝ a·(g+1)^(a−1), a = `power_a` (0.01: gaps are strongly skewed towards 0).
///   Layout (Zoology's, already shifted for next-token prediction): labels[t] is the target of
///   the prediction made at position t, so the label sits at the position of the queried key
///   itself and equals the value paired with that key; every other label is −100. Constraints:
///   L even, V > L, 2κ·(passes + 1) ≤ L (4κ ≤ L for one pass).
/// - **Associative recall** (H3/Hyena, safari `generate_assoc_recall` with one key token and
///   allow_dot = false): ordinary tokens are 0 … V−3 (keys the lower half, values the upper
///   half), V−2 is the copy prefix "=>" and V−1 the no-op "."; every key maps to a random value
///   (fresh map per example); (L−2)/2 random (key, value) pairs, then "=>", a key present
///   earlier, and the target is its value: the label at the last position.
/// - **Induction head** (safari `generate_induction_head`, one trigger): L − m random ordinary
///   tokens with "=>" inserted at a random position p followed by the m tokens after it,
///   then "=>" again; the targets are those m tokens (labels on the last m positions).
/// - **Copying** and **selective copying** (S4 `torch_copying_data`, vocabulary A = V): M
///   tokens from [1, A−2] in the first M of L−M slots (selective: at sorted random slots), 0
///   elsewhere, then M markers A−1; the labels of the M marker positions are the tokens in
///   order (S4 reads the last M outputs), all other labels −100.
///
/// For every task `length` is the row length L of inputs and labels. Safari's input_seq_len is
/// L − 2 (recall) or L − m (induction); S4's L (noise tokens) is L − 2M. With `all_targets`,
/// recall and induction rows carry every next token as a label (safari's training split),
/// not only the answers (its test split). Integer draws are exact (no std distributions, whose
/// output differs between standard libraries); only MQAR's gap order passes through the C
/// library's pow and log1p, whose last bit could differ on another libm and flip a near tie.
/// Example i is generated from its own mt19937_64 stream seeded with splitmix64(seed, i), so a
/// set's first k examples do not depend on its size.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace ridgeline {

/// The label of a position that carries no target (PyTorch's ignore_index).
inline constexpr int32_t kIgnoreLabel = -100;

enum class SequenceTask { Mqar, AssociativeRecall, InductionHead, Copying, SelectiveCopying };

/// "mqar", "ar", "induction", "copying", "selective-copying".
std::string task_name(SequenceTask t);
/// The task named `name`; nullopt for an unknown one.
std::optional<SequenceTask> parse_task(const std::string& name);
/// Every task name, in the order above.
std::vector<std::string> task_names();

struct SequenceTaskParams {
  SequenceTask task = SequenceTask::Mqar;
  int vocab = 8192;                 ///< V: token ids are in [0, V)
  int length = 64;                  ///< L: the row length of inputs and labels
  int pairs = 4;                    ///< MQAR: κ key–value pairs
  int passes = 1;                   ///< MQAR: repeats of the context (JRT; Zoology's num_passes)
  double power_a = 0.01;            ///< MQAR: the power-law exponent a of the query gaps
  bool random_non_queries = false;  ///< MQAR: fill the query region with random tokens
  int tokens = 1;            ///< copying: M tokens to copy; induction: m tokens after the trigger
  bool all_targets = false;  ///< recall and induction: label every next token
};

/// The defaults of each task (the sizes of the papers' default configs): MQAR V 8192, L 64,
/// κ 4 (Zoology fig. 2); recall V 20, L 42 (safari: input_seq_len 40); induction V 20, L 31
/// (input_seq_len 30, m 1); copying V 10, L 120, M 10 (S4's default L 100); selective copying
/// V 16, L 256, M 16 (MAD's sizes).
SequenceTaskParams default_task_params(SequenceTask t);

/// The first parameter that is out of range for its task, as {name, problem}: name is the
/// parameter's key ("vocab", "length", "pairs", "passes", "power_a", "tokens", "examples")
/// and problem one sentence without the name ("must exceed length 64 (Zoology: V > L)").
struct TaskParamProblem {
  std::string param;
  std::string problem;
};
std::optional<TaskParamProblem> task_param_problem(const SequenceTaskParams& p, int64_t examples);
/// Throws InputError "<task> <param>: <problem>" for the first problem.
void check_task_params(const SequenceTaskParams& p, int64_t examples);

/// A batch of a task: row-major [examples, length] inputs (token ids) and labels (token ids or
/// kIgnoreLabel).
struct TaskBatch {
  SequenceTaskParams params;
  uint64_t seed = 0;
  int examples = 0;
  int length = 0;
  std::vector<int32_t> inputs;
  std::vector<int32_t> labels;
  const int32_t* input_row(int i) const { return inputs.data() + static_cast<size_t>(i) * length; }
  const int32_t* label_row(int i) const { return labels.data() + static_cast<size_t>(i) * length; }
};

/// Generates `examples` rows (check_task_params first: InputError on bad parameters).
TaskBatch generate_task(const SequenceTaskParams& p, int examples, uint64_t seed);

/// Accuracy over the labelled positions (label ≠ kIgnoreLabel) from predicted ids (same
/// shape as the labels): per example the fraction of its labelled positions predicted right
/// (NaN for an example without any), their mean over the examples that have labels, and the
/// pooled fraction over all labelled positions (Zoology's accuracy).
struct TaskAccuracy {
  std::vector<double> per_example;
  double mean = 0;     ///< NaN when no example has a label
  double overall = 0;  ///< NaN when there is no label at all
  int64_t labelled = 0, correct = 0;
};
TaskAccuracy task_accuracy(const std::vector<int32_t>& labels,
                           const std::vector<int32_t>& predicted, int examples, int length);
inline TaskAccuracy task_accuracy(const TaskBatch& b, const std::vector<int32_t>& predicted) {
  return task_accuracy(b.labels, predicted, b.examples, b.length);
}

/// The parameters, seed and shapes as JSON text (what task.json holds).
std::string task_json(const TaskBatch& b, int indent = 1);
/// Writes <dir>/inputs.npy, <dir>/labels.npy (int32 [examples, length]) and <dir>/task.json,
/// each atomically; creates the folder.
void write_task(const TaskBatch& b, const std::string& dir);
/// Example i in readable text: the input row with its special tokens named, and each labelled
/// position as "position: input → target".
std::string format_example(const TaskBatch& b, int i);

/// Deterministic draws from std::mt19937_64 (whose output the C++ standard fixes; its
/// distributions it does not, so the draws below are written out): the same on every
/// standard library.
class TaskRng {
 public:
  explicit TaskRng(uint64_t seed) : g_(seed) {}
  uint64_t next() { return g_(); }
  /// Uniform in [0, n) (n ≥ 1), by rejection: no modulo bias.
  uint64_t below(uint64_t n);
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(g_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 g_;
};

/// The seed of example `index` of a set seeded with `seed` (splitmix64 of both).
uint64_t example_seed(uint64_t seed, uint64_t index);

}  // namespace ridgeline
