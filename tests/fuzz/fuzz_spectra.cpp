// libFuzzer harness: a spectra result as earlier runs (or hand edits) left it — results/<id>.json
// of the spectra step or `ridgeline spectra --json`'s "spectra" object — through
// parse_spectra_json (what load_spectra, the run's result pages and figures use). InputError
// with a one-line message is fine. A finding: a crash, a sanitizer report, another exception,
// a multi-line message, or an accepted result that breaks what its readers rely on (singular
// values: min(rows, cols) of them, finite, non-negative, descending; k ≤ min(rows, cols) with
// k×k overlaps in [0, 1]; one R, r_sum and r_count per γ; increasing checkpoint epochs); and
// an accepted result must write back to JSON that reads back to the same text.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ridgeline/core/errors.h"
#include "ridgeline/spectra/spectra.h"

using namespace ridgeline;

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}

void check_models(const std::vector<ModelSpectra>& ms) {
  for (const auto& m : ms)
    for (const auto& l : m.layers) {
      if (l.rows < 1 || l.cols < 1 ||
          l.singular_values.size() != static_cast<size_t>(std::min(l.rows, l.cols)))
        finding("accepted a layer without min(rows, cols) singular values");
      for (size_t i = 0; i < l.singular_values.size(); ++i)
        if (!std::isfinite(l.singular_values[i]) || l.singular_values[i] < 0 ||
            (i > 0 && l.singular_values[i] > l.singular_values[i - 1]))
          finding("accepted singular values that are not finite, non-negative, descending");
    }
}

void check_alignments(const std::vector<SpectraAlignment>& as) {
  for (const auto& a : as) {
    if (a.r.size() != a.gammas.size()) finding("accepted an R curve without one value per γ");
    for (const auto& l : a.layers) {
      if (l.k < 0 || l.k > std::min(l.rows, l.cols)) finding("accepted k outside 0..min(rows, cols)");
      const size_t kk = static_cast<size_t>(l.k) * l.k;
      if (l.u_overlap.size() != kk || l.v_overlap.size() != kk) finding("accepted overlaps not k×k");
      if (l.r_sum.size() != a.gammas.size() || l.r_count.size() != a.gammas.size())
        finding("accepted r_sum/r_count without one value per γ");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  SpectraResult r;
  try {
    r = parse_spectra_json(text, "fuzz.json");
  } catch (const InputError& e) {
    const std::string m = e.what();
    if (m.empty() || m.find('\n') != std::string::npos || m.find('\r') != std::string::npos)
      finding("InputError message is empty or not one line: " + m);
    return 0;
  }
  check_models(r.models);
  check_alignments(r.alignments);
  int last = 0;
  for (const auto& c : r.over_training) {
    if (c.epoch <= last) finding("accepted checkpoints out of epoch order");
    last = c.epoch;
    check_models(c.models);
    check_alignments(c.alignments);
  }
  const std::string once = spectra_to_json(r, 1);
  SpectraResult back;
  try {
    back = parse_spectra_json(once, "fuzz.json");
  } catch (const InputError& e) {
    finding(std::string("the written JSON does not read back: ") + e.what());
  }
  if (spectra_to_json(back, 1) != once) finding("the written JSON reads back differently");
  return 0;
}
