// libFuzzer harness: IDX arrays (plain or gzipped) and the data split built from two of them.
// Input: 2 bytes (little-endian) = where the image file ends, then the image file's bytes, then
// the label file's bytes; the whole input is also parsed as one file. InputError is fine;
// anything else is a finding, and so is an accepted array or split whose sizes disagree.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ridgeline/core/errors.h"
#include "ridgeline/data/dataset.h"

using namespace ridgeline;

namespace {

void check(const IdxArray& a) {
  uint64_t n = 1;
  for (int64_t d : a.shape) n *= static_cast<uint64_t>(d);
  if (n != a.data.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    check(parse_idx("whole.idx", bytes));
  } catch (const InputError&) {
  }
  if (size < 2) return 0;
  const size_t split = std::min<size_t>(size - 2, data[0] | (data[1] << 8));
  const std::string_view images = bytes.substr(2, split), labels = bytes.substr(2 + split);
  try {
    const IdxArray img = parse_idx("images.idx", images);
    const IdxArray lab = parse_idx("labels.idx", labels);
    check(img);
    check(lab);
    const Dataset d = idx_dataset("images.idx", img, "labels.idx", lab, "fuzz/train");
    if (d.x.size() != static_cast<size_t>(d.n) * static_cast<size_t>(d.dim) ||
        d.y.size() != static_cast<size_t>(d.n) || d.n <= 0 || d.dim <= 0 || d.classes < 1)
      std::abort();
    for (float v : d.x)
      if (!(v >= 0.0f && v <= 1.0f)) std::abort();
  } catch (const InputError&) {
  }
  return 0;
}
