// The synthetic sequence tasks' generators (ridgeline/tasks/sequence_tasks.h): MQAR as
// Zoology defines it (arXiv 2312.04927), associative recall and induction heads as H3/Hyena's
// safari generators, copying and selective copying as S4's. The layouts are documented in the
// header and in docs/USER_GUIDE.md ("Attention lab: tasks and metrics").
#include "ridgeline/tasks/sequence_tasks.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "ridgeline/core/errors.h"

namespace ridgeline {

namespace {

constexpr int64_t kMaxEntries = int64_t{1} << 28;  // per array: 1 GiB of int32

struct TaskInfo {
  SequenceTask task;
  const char* name;
};
constexpr TaskInfo kTasks[] = {{SequenceTask::Mqar, "mqar"},
                               {SequenceTask::AssociativeRecall, "ar"},
                               {SequenceTask::InductionHead, "induction"},
                               {SequenceTask::Copying, "copying"},
                               {SequenceTask::SelectiveCopying, "selective-copying"}};

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// κ distinct ids from [lo, hi) in draw order: a uniformly random ordered sample, the
// distribution of numpy's choice(replace=False) without weights. `seen` is empty on entry and
// on return (a set, not a table of the vocabulary: V may be large).
void distinct_sample(TaskRng& rng, int lo, int hi, int count, std::unordered_set<int32_t>& seen,
                     int32_t* out) {
  for (int c = 0; c < count; ++c) {
    int32_t x;
    do x = lo + static_cast<int32_t>(rng.below(static_cast<uint64_t>(hi - lo)));
    while (!seen.insert(x).second);
    out[c] = x;
  }
  seen.clear();
}

// One MQAR row (Zoology's multiquery_ar, one example; the header gives the layout).
void mqar_row(const SequenceTaskParams& p, const std::vector<double>& gap_weight, TaskRng& rng,
              std::unordered_set<int32_t>& seen, int32_t* in, int32_t* lab) {
  const int L = p.length, kappa = p.pairs, half = p.vocab / 2;
  const int context = 2 * kappa * p.passes;
  std::vector<int32_t> keys(kappa), values(kappa);
  distinct_sample(rng, 1, half, kappa, seen, keys.data());
  distinct_sample(rng, half, p.vocab, kappa, seen, values.data());
  std::fill(in, in + L, 0);
  std::fill(lab, lab + L, kIgnoreLabel);
  for (int pass = 0; pass < p.passes; ++pass)
    for (int c = 0; c < kappa; ++c) {
      in[pass * 2 * kappa + 2 * c] = keys[c];
      in[pass * 2 * kappa + 2 * c + 1] = values[c];
    }
  // Gaps: κ distinct g ∈ [0, space) in the order of successive sampling without replacement
  // from p(g) (numpy's weighted choice without replacement: each new value is the first
  // draw, with replacement, that differs from those already taken). Drawn by exponential
  // clocks (Efraimidis & Spirakis 2006): g's clock is E_g / p(g) with E_g ~ Exp(1), and the
  // order of the clocks is that of successive sampling; O(space) per row, not O(κ·space).
  const int space = static_cast<int>(gap_weight.size());
  std::vector<std::pair<double, int>> clock(space);
  for (int g = 0; g < space; ++g) clock[g] = {-std::log1p(-rng.uniform()) / gap_weight[g], g};
  std::partial_sort(clock.begin(), clock.begin() + kappa, clock.end());
  for (int c = 0; c < kappa; ++c) {
    const int g = clock[c].second;
    in[context + 2 * g] = keys[c];
    lab[context + 2 * g] = values[c];
  }
  if (p.random_non_queries)
    for (int t = 0; t < L; ++t)
      if (in[t] == 0) in[t] = static_cast<int32_t>(rng.below(static_cast<uint64_t>(p.vocab)));
}

// Labels of a next-token task from its full token sequence (row length + 1 tokens): every
// next token with all_targets, else only the last `answers` of them.
void next_token_labels(const std::vector<int32_t>& seq, int L, int answers, bool all, int32_t* in,
                       int32_t* lab) {
  for (int t = 0; t < L; ++t) {
    in[t] = seq[t];
    lab[t] = (all || t >= L - answers) ? seq[t + 1] : kIgnoreLabel;
  }
}

// Associative recall (safari generate_assoc_recall, one key token, allow_dot = false).
void ar_row(const SequenceTaskParams& p, TaskRng& rng, int32_t* in, int32_t* lab) {
  const int ordinary = p.vocab - 2, n_keys = ordinary / 2, n_values = ordinary - n_keys;
  const int32_t prefix = p.vocab - 2;
  const int pairs = (p.length - 2) / 2;
  std::vector<int32_t> value_of(n_keys, -1), present;
  std::vector<int32_t> seq;
  seq.reserve(p.length + 1);
  for (int c = 0; c < pairs; ++c) {
    const auto k = static_cast<int32_t>(rng.below(n_keys));
    if (value_of[k] < 0) {
      value_of[k] = n_keys + static_cast<int32_t>(rng.below(n_values));
      present.push_back(k);
    }
    seq.push_back(k);
    seq.push_back(value_of[k]);
  }
  const int32_t q = present[rng.below(present.size())];
  seq.push_back(prefix);
  seq.push_back(q);
  seq.push_back(value_of[q]);
  next_token_labels(seq, p.length, 1, p.all_targets, in, lab);
}

// Induction head (safari generate_induction_head, one trigger).
void induction_row(const SequenceTaskParams& p, TaskRng& rng, int32_t* in, int32_t* lab) {
  const int m = p.tokens, base = p.length - m;  // safari's input_seq_len
  const int32_t prefix = p.vocab - 2;
  std::vector<int32_t> seq(base);
  for (auto& x : seq) x = static_cast<int32_t>(rng.below(static_cast<uint64_t>(p.vocab - 2)));
  seq.push_back(prefix);
  const int pos = static_cast<int>(rng.below(static_cast<uint64_t>(base - (1 + m))));
  seq[pos] = prefix;
  for (int c = 0; c < m; ++c) seq.push_back(seq[pos + 1 + c]);
  next_token_labels(seq, p.length, m, p.all_targets, in, lab);
}

// Copying and selective copying (S4 torch_copying_data; A = vocab).
void copying_row(const SequenceTaskParams& p, bool selective, TaskRng& rng, int32_t* in,
                 int32_t* lab) {
  const int M = p.tokens, slots = p.length - M;  // S4: L + M slots, then M markers
  const int32_t marker = p.vocab - 1;
  std::vector<int32_t> tokens(M);
  for (auto& x : tokens)
    x = 1 + static_cast<int32_t>(rng.below(static_cast<uint64_t>(p.vocab - 2)));
  std::vector<int32_t> where(M);
  if (selective) {  // the first M of a uniform random permutation of the slots, sorted
    std::vector<int32_t> perm(slots);
    for (int s = 0; s < slots; ++s) perm[s] = s;
    for (int c = 0; c < M; ++c)
      std::swap(perm[c], perm[c + rng.below(static_cast<uint64_t>(slots - c))]);
    std::copy(perm.begin(), perm.begin() + M, where.begin());
    std::sort(where.begin(), where.end());
  } else {
    for (int c = 0; c < M; ++c) where[c] = c;
  }
  std::fill(in, in + slots, 0);
  for (int c = 0; c < M; ++c) in[where[c]] = tokens[c];
  std::fill(lab, lab + slots, kIgnoreLabel);
  for (int c = 0; c < M; ++c) {
    in[slots + c] = marker;
    lab[slots + c] = tokens[c];
  }
}

}  // namespace

std::string task_name(SequenceTask t) {
  for (const auto& i : kTasks)
    if (i.task == t) return i.name;
  return "?";
}

std::optional<SequenceTask> parse_task(const std::string& name) {
  for (const auto& i : kTasks)
    if (name == i.name) return i.task;
  return std::nullopt;
}

std::vector<std::string> task_names() {
  std::vector<std::string> n;
  for (const auto& i : kTasks) n.push_back(i.name);
  return n;
}

SequenceTaskParams default_task_params(SequenceTask t) {
  SequenceTaskParams p;
  p.task = t;
  switch (t) {
    case SequenceTask::Mqar:
      p.vocab = 8192;
      p.length = 64;
      p.pairs = 4;
      break;
    case SequenceTask::AssociativeRecall:
      p.vocab = 20;
      p.length = 42;
      break;
    case SequenceTask::InductionHead:
      p.vocab = 20;
      p.length = 31;
      p.tokens = 1;
      break;
    case SequenceTask::Copying:
      p.vocab = 10;
      p.length = 120;
      p.tokens = 10;
      break;
    case SequenceTask::SelectiveCopying:
      p.vocab = 16;
      p.length = 256;
      p.tokens = 16;
      break;
  }
  return p;
}

uint64_t TaskRng::below(uint64_t n) {
  // Accept x < 2^64 − (2^64 mod n): each residue then has the same number of preimages.
  const uint64_t threshold = (0 - n) % n;
  for (;;) {
    const uint64_t x = g_();
    if (x >= threshold) return x % n;
  }
}

uint64_t example_seed(uint64_t seed, uint64_t index) {
  return splitmix64(splitmix64(seed) ^ index);
}

std::optional<TaskParamProblem> task_param_problem(const SequenceTaskParams& p, int64_t examples) {
  auto bad = [](const char* param, std::string problem) {
    return std::optional<TaskParamProblem>(TaskParamProblem{param, std::move(problem)});
  };
  const std::string L = std::to_string(p.length), V = std::to_string(p.vocab);
  if (examples < 1) return bad("examples", "must be at least 1");
  if (p.length < 1) return bad("length", "must be at least 1");
  if (p.vocab < 1) return bad("vocab", "must be at least 1");
  if (examples > kMaxEntries / p.length)
    return bad("examples", "times length " + L + " exceeds " + std::to_string(kMaxEntries) +
                               " tokens (1 GiB per array)");
  const bool next_token =
      p.task == SequenceTask::AssociativeRecall || p.task == SequenceTask::InductionHead;
  if (p.all_targets && !next_token) return bad("all_targets", "applies only to ar and induction");
  switch (p.task) {
    case SequenceTask::Mqar: {
      if (p.pairs < 1) return bad("pairs", "must be at least 1");
      if (p.passes < 1) return bad("passes", "must be at least 1");
      if (!(std::isfinite(p.power_a) && p.power_a > 0))
        return bad("power_a", "must be a positive number (Zoology: 0.01)");
      if (p.length % 2 != 0) return bad("length", L + " must be even (Zoology's layout)");
      if (p.vocab <= p.length)
        return bad("vocab", V + " must exceed length " + L + " (Zoology: V > L)");
      // 2κ·passes context tokens and room for κ queries at even offsets.
      const int64_t need = 2 * int64_t{p.pairs} * (int64_t{p.passes} + 1);
      if (need > p.length)
        return bad("pairs", std::to_string(p.pairs) + " pairs need length ≥ 2·pairs·(passes+1) = " +
                                std::to_string(need) + ", got " + L +
                                " (Zoology: 4κ ≤ L for one pass)");
      if (p.pairs > p.vocab / 2 - 1)
        return bad("pairs",
                   "exceed the " + std::to_string(p.vocab / 2 - 1) + " keys of vocab " + V);
      return std::nullopt;
    }
    case SequenceTask::AssociativeRecall:
      if (p.vocab < 4)
        return bad("vocab",
                   V + " leaves no key and value besides the two special tokens (need ≥ 4)");
      if (p.length < 4 || p.length % 2 != 0)
        return bad("length",
                   L + " must be even and at least 4 ((key, value) pairs, then \"=>\" and a key)");
      return std::nullopt;
    case SequenceTask::InductionHead:
      if (p.vocab < 3)
        return bad("vocab",
                   V + " leaves no ordinary token besides the two special tokens (need ≥ 3)");
      if (p.tokens < 1) return bad("tokens", "must be at least 1");
      if (p.length < 2 * int64_t{p.tokens} + 2)
        return bad("length", L + " is too short for " + std::to_string(p.tokens) +
                                 " copied token(s): need ≥ 2·tokens + 2 = " +
                                 std::to_string(2 * p.tokens + 2));
      return std::nullopt;
    case SequenceTask::Copying:
    case SequenceTask::SelectiveCopying:
      if (p.vocab < 3)
        return bad("vocab", V + " leaves no token besides blank 0 and the marker (need ≥ 3)");
      if (p.tokens < 1) return bad("tokens", "must be at least 1");
      if (p.length < 2 * int64_t{p.tokens})
        return bad("length",
                   L + " is shorter than 2·tokens = " + std::to_string(2 * int64_t{p.tokens}) +
                       " (the tokens, then as many markers)");
      return std::nullopt;
  }
  return std::nullopt;
}

void check_task_params(const SequenceTaskParams& p, int64_t examples) {
  if (auto e = task_param_problem(p, examples))
    throw InputError(task_name(p.task) + " " + e->param + ": " + e->problem);
}

TaskBatch generate_task(const SequenceTaskParams& p, int examples, uint64_t seed) {
  check_task_params(p, examples);
  TaskBatch b;
  b.params = p;
  b.seed = seed;
  b.examples = examples;
  b.length = p.length;
  const size_t n = static_cast<size_t>(examples) * p.length;
  b.inputs.assign(n, 0);
  b.labels.assign(n, kIgnoreLabel);
  std::vector<double> gap_weight;
  std::unordered_set<int32_t> seen;
  if (p.task == SequenceTask::Mqar) {
    // p(g) ∝ a·(g+1)^(a−1) over g ∈ [0, space) (Zoology: power_a · arange(1, space+1)^(a−1)).
    const int space = (p.length - 2 * p.pairs * p.passes) / 2;
    gap_weight.resize(space);
    for (int g = 0; g < space; ++g) gap_weight[g] = p.power_a * std::pow(g + 1.0, p.power_a - 1);
    seen.reserve(2 * static_cast<size_t>(p.pairs));
  }
  for (int i = 0; i < examples; ++i) {
    TaskRng rng(example_seed(seed, static_cast<uint64_t>(i)));
    int32_t* in = b.inputs.data() + static_cast<size_t>(i) * p.length;
    int32_t* lab = b.labels.data() + static_cast<size_t>(i) * p.length;
    switch (p.task) {
      case SequenceTask::Mqar:
        mqar_row(p, gap_weight, rng, seen, in, lab);
        break;
      case SequenceTask::AssociativeRecall:
        ar_row(p, rng, in, lab);
        break;
      case SequenceTask::InductionHead:
        induction_row(p, rng, in, lab);
        break;
      case SequenceTask::Copying:
        copying_row(p, false, rng, in, lab);
        break;
      case SequenceTask::SelectiveCopying:
        copying_row(p, true, rng, in, lab);
        break;
    }
  }
  return b;
}

}  // namespace ridgeline
