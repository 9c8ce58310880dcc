// libFuzzer harness: parse_npy on arbitrary bytes. InputError is fine; anything else is a
// finding, and so is an accepted array whose value count disagrees with its shape.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/npy.h"

using namespace ridgeline;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const NpyArray a = parse_npy("fuzz.npy", std::string_view(reinterpret_cast<const char*>(data), size));
    uint64_t n = 1;
    for (int64_t d : a.shape) n *= static_cast<uint64_t>(d);
    if (n != a.values.size()) std::abort();
  } catch (const InputError& e) {
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();
  }
  return 0;
}
