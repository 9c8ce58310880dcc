// libFuzzer harness: a GPT-2-family checkpoint folder (models/transformer/gpt2_import.h) —
// config.json text, a NUL byte, then model.safetensors bytes — through parse_safetensors and
// gpt2_from_files. InputError with a one-line message is fine. A finding: a crash, a sanitizer
// report, another exception, a multi-line message, or an accepted model that does not fit its
// own architecture or whose logits on a short input are not finite for finite weights.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/transformer/gpt2_import.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_symmetry.h"

using namespace ridgeline;

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t nul = bytes.find('\0');
  if (nul == std::string_view::npos) return 0;
  const std::string config(bytes.substr(0, nul));
  try {
    const SafetensorsFile weights = parse_safetensors("ckpt/model.safetensors", bytes.substr(nul + 1));
    const Model m = gpt2_from_files("ckpt", config, weights);
    if (m.params.size() != m.arch->num_params()) finding("accepted a model that does not fit its arch");
    const TransformerArch& a = *as_transformer_arch(*m.arch);
    if (a.d * static_cast<int64_t>(a.vocab) > (1 << 22)) return 0;  // keep each run short
    const int n = std::min(a.seq, 3);
    const Model s = with_sequence_length(m, n);
    std::vector<float> x;
    for (int i = 0; i < n; ++i) x.push_back(static_cast<float>(i % a.vocab));
    const std::vector<float> logits = transformer_logits(s, x, 1);
    if (logits.size() != static_cast<size_t>(n) * a.vocab) finding("logits of the wrong size");
    bool finite_weights = true;
    for (float v : m.params) finite_weights = finite_weights && std::isfinite(v) && std::fabs(v) < 1e3f;
    if (finite_weights)
      for (float v : logits)
        if (std::isnan(v)) finding("NaN logits from finite, moderate weights");
  } catch (const InputError& e) {
    if (std::string(e.what()).find('\n') != std::string::npos) finding("multi-line message");
  }
  return 0;
}
