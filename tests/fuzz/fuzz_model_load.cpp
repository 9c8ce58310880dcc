// libFuzzer harness: load_model on arbitrary safetensors bytes: PyTorch state_dict MLPs (the
// chain inference and LayerNorm pairing), Ridgeline's own MLP files (metadata) and other kinds
// (the quadratic). NaN/inf values are allowed through the reader so that the loaders see
// every file shape. InputError is fine; anything else is a finding, and so is a loaded model
// whose parameter count disagrees with its architecture.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/model_io.h"

using namespace ridgeline;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  SafetensorsReadOptions opt;
  opt.allow_non_finite = true;
  try {
    const SafetensorsFile f = parse_safetensors("fuzz.safetensors", bytes, opt);
    for (auto act : {std::optional<Activation>{}, std::optional<Activation>{Activation::Gelu}}) {
      try {
        const Model m = load_model("fuzz.safetensors", f, act);
        if (m.params.size() != m.arch->num_params()) std::abort();
        // The architecture's text must parse back to the same shape.
        const auto again = parse_model_arch(m.arch->to_string(), "fuzz");
        if (!again->same_shape(*m.arch)) std::abort();
      } catch (const InputError& e) {
        if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();
      }
    }
  } catch (const InputError&) {
    // not a safetensors file: fuzz_safetensors covers the reader
  }
  return 0;
}
