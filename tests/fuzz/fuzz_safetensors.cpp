// libFuzzer harness: parse_safetensors on arbitrary bytes. Accepting or refusing with an
// InputError are both fine; a crash, a sanitizer report, any other exception, an accepted
// file whose tensors do not match their shapes, or a message that is not one line are
// findings.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/safetensors.h"

using namespace ridgeline;

namespace {

void check_one_line(const InputError& e) {
  const std::string_view msg = e.what();
  if (msg.find('\n') != std::string_view::npos || msg.find('\r') != std::string_view::npos)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (bool allow : {false, true}) {
    SafetensorsReadOptions opt;
    opt.allow_non_finite = allow;
    try {
      const SafetensorsFile f = parse_safetensors("fuzz.safetensors", bytes, opt);
      for (const auto& [name, t] : f.tensors)
        if (t.numel() != static_cast<int64_t>(t.data.size())) std::abort();
    } catch (const InputError& e) {
      check_one_line(e);
    }
  }
  return 0;
}
