#include "cli/command_spec.h"

#include <algorithm>

namespace ridgeline::cli {

const OptionSpec* CommandSpec::find(const std::string& n) const {
  for (const auto& o : options)
    if (o.name == n) return &o;
  return nullptr;
}

namespace {
// Characters, not bytes: UTF-8 continuation bytes (10xxxxxx) do not count.
size_t columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
constexpr size_t kWidth = 100;  // of every help line
}  // namespace

std::string wrap(const std::string& text, size_t width, const std::string& indent) {
  std::string out, line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && columns(line) + 1 + columns(word) > width) {
      out += line + "\n" + indent;
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return out + line;
}

std::string help_text(const CommandSpec& s) {
  std::string t;
  for (size_t i = 0; i < s.usage.size(); ++i)
    t += (i == 0 ? "usage: ridgeline " : "       ridgeline ") + s.usage[i] + "\n";
  t += '\n';  // (appended piecewise: GCC 12 warns falsely on "\n" + std::string)
  t += wrap(s.summary, kWidth, "");
  t += '\n';
  if (!s.options.empty()) {
    t += "\noptions:\n";
    std::vector<std::string> left;
    size_t width = 0;
    for (const auto& o : s.options) {
      left.push_back("--" + o.name + (o.takes_value() ? " " + o.value : ""));
      width = std::max(width, left.back().size());
    }
    width = std::min<size_t>(width, 26);
    for (size_t i = 0; i < s.options.size(); ++i) {
      const OptionSpec& o = s.options[i];
      std::string line = "  " + left[i];
      // An option too wide for the column gets its meaning on the next line.
      if (left[i].size() > width)
        line += "\n  " + std::string(width, ' ');
      else
        line += std::string(width - left[i].size(), ' ');
      std::string text = o.help;
      if (!o.shown_default().empty()) text += " (default: " + o.shown_default() + ")";
      t += line + "  " + wrap(text, kWidth - width - 4, std::string(width + 4, ' ')) + "\n";
    }
  }
  if (!s.notes.empty()) {
    t += "\n";
    for (const auto& n : s.notes) t += wrap(n, kWidth, "") + "\n";
  }
  if (!s.examples.empty()) {
    t += "\nexamples:\n";
    for (const auto& e : s.examples) t += "  " + e + "\n";
  }
  t += "\nexit codes: 0 ok, 1 failure while running, 2 bad input, 130 cancelled\n";
  return t;
}

std::vector<OptionSpec> data_option_specs() {
  return {
      {"data", "NAME", "fashion-mnist",
       "data set: fashion-mnist, a folder of MNIST-format IDX files, task:NAME,... (a synthetic "
       "sequence task, see ridgeline tasks), or "
       "gmm:N_TRAIN,N_TEST,DIM,CLASSES,SEED (synthetic)"},
      {"train-subset", "N", "0", "use a seeded random subset of N training samples (0: all)"},
      {"test-subset", "N", "0", "use a seeded random subset of N test samples (0: all)"},
      {"subset-seed", "S", "0", "seed of the subsets"},
      {"standardize", "", "", "standardise each feature by the training split's mean and std"},
  };
}

std::vector<OptionSpec> compute_option_specs() {
  return {
      {"device", "auto|cpu|cuda|reference", "auto",
       "compute device; auto uses CUDA when a device answers, else the CPU"},
      {"threads", "N", "0", "host threads (0: all hardware threads)"},
  };
}

std::vector<OptionSpec> join(std::vector<OptionSpec> base,
                             const std::vector<std::vector<OptionSpec>>& groups) {
  for (const auto& g : groups) base.insert(base.end(), g.begin(), g.end());
  return base;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.empty()) return "";
  // A unique prefix ("--warmup" for "--warmup-epochs") is the clearest intent.
  std::string prefixed;
  int prefixes = 0;
  for (const auto& c : candidates)
    if (c.rfind(word, 0) == 0) ++prefixes, prefixed = c;
  if (prefixes == 1) return prefixed;
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  // A typo changes a few characters: up to 2, or a third of a longer word.
  return best_d <= std::max<size_t>(2, word.size() / 3) && best_d < word.size() ? best : "";
}

}  // namespace ridgeline::cli
