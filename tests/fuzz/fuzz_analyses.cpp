// libFuzzer harness: the results of the layerwise, hessian and attention steps as earlier runs
// (or hand edits) left them — results/<id>.json, through layerwise_from_json,
// hessian_report_from_json and attention_analysis_from_json (what load_run, the result pages
// and figures use), and an align step's results/<id>.orthogonal.json (parse_orthogonal_report)
// and results/<id>.learned.json (parse_learned_report).
// Also a `ridgeline attention` folder's comparison.json and tokens.json. The first byte picks
// the reader ('A': attention; 'O': orthogonal map; 'M': learned matching; 'C' / 'T': comparison
// / tokens; else even:
// layerwise, odd: hessian); the rest is the JSON text. InputError with a one-line message is fine. A
// finding: a crash, a sanitizer report, another exception, a multi-line message, or an accepted
// result whose JSON, written back, does not read back to the same text. Seeds: a layerwise and a
// hessian result of the gmm examples (gmm-layerwise.json, gmm-hessian.json), prefixed "L" / "I",
// an attention result of the mqar-attention example, prefixed "A", and an orthogonal map and a
// learned matching of the mqar-rebasin example, prefixed "O" and "M".
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ridgeline/align/alignment_report.h"
#include "ridgeline/attention/analysis.h"
#include "ridgeline/experiment/steps/attention_step.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/hessian_report.h"
#include "ridgeline/paths/layerwise.h"

using namespace ridgeline;

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}

template <typename Read, typename Write>
void round_trip(const std::string& text, Read read, Write write) {
  std::string once;
  try {
    once = write(read(text));
  } catch (const InputError& e) {
    const std::string m = e.what();
    if (m.empty() || m.find('\n') != std::string::npos || m.find('\r') != std::string::npos)
      finding("InputError message is empty or not one line: " + m);
    return;
  }
  std::string twice;
  try {
    twice = write(read(once));
  } catch (const InputError& e) {
    finding(std::string("the written JSON does not read back: ") + e.what());
  }
  if (twice != once) finding("the written JSON reads back differently");
}

// A `ridgeline attention` folder's comparison.json ('C') or tokens.json ('T'): a one-line
// InputError, or names that are plain file names (never a path out of the folder).
void check_folder_file(const std::string& text, bool comparison) {
  try {
    const std::vector<std::string> v = comparison ? parse_attention_comparison(text, "fuzz.json")
                                                  : parse_attention_tokens(text, "fuzz.json");
    if (comparison)
      for (const std::string& name : v)
        if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos)
          finding("comparison.json accepted a model name that is a path: " + name);
  } catch (const InputError& e) {
    const std::string m = e.what();
    if (m.empty() || m.find('\n') != std::string::npos || m.find('\r') != std::string::npos)
      finding("InputError message is empty or not one line: " + m);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] == 'A')
    round_trip(text, [](const std::string& t) { return attention_analysis_from_json(t, "fuzz.json"); },
               [](const AttentionAnalysis& a) { return attention_analysis_json(a, 1); });
  else if (data[0] == 'C' || data[0] == 'T')
    check_folder_file(text, data[0] == 'C');
  else if (data[0] == 'O')
    round_trip(text, [](const std::string& t) { return parse_orthogonal_report(t, "fuzz.json"); },
               [](const AlignmentReport& r) { return orthogonal_report_json(r, "a", "b"); });
  else if (data[0] == 'M')
    round_trip(text, [](const std::string& t) { return parse_learned_report(t, "fuzz.json"); },
               [](const AlignmentReport& r) { return learned_report_json(r, "a", "b", -1, 0.4, 0.6); });
  else if (data[0] % 2 == 0)
    round_trip(text, [](const std::string& t) { return layerwise_from_json(t, "fuzz.json"); },
               [](const LayerwiseResult& r) { return layerwise_to_json(r, 1); });
  else
    round_trip(text, [](const std::string& t) { return hessian_report_from_json(t, "fuzz.json"); },
               [](const HessianReport& r) { return hessian_report_to_json(r, 1); });
  return 0;
}
