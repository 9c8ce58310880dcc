// GPT-2's byte alphabet (byte_alphabet.h).
#include "ridgeline/text/byte_alphabet.h"

#include "ridgeline/text/utf8.h"

namespace ridgeline::text {

namespace {

bool printable(int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174; }

}  // namespace

const std::array<char32_t, 256>& byte_to_unicode() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) t[b] = printable(b) ? static_cast<char32_t>(b) : next++;
    return t;
  }();
  return table;
}

int unicode_to_byte(char32_t c) {
  // The characters are U+0021..U+0143: an inverse table over U+0000..U+0143.
  static const std::array<int, 256 + 68> inverse = [] {
    std::array<int, 256 + 68> t;
    t.fill(-1);
    const auto& forward = byte_to_unicode();
    for (int b = 0; b < 256; ++b) t[forward[b]] = b;
    return t;
  }();
  return c < inverse.size() ? inverse[c] : -1;
}

std::string to_byte_alphabet(std::string_view bytes) {
  const auto& table = byte_to_unicode();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char ch : bytes) append_utf8(out, table[static_cast<unsigned char>(ch)]);
  return out;
}

}  // namespace ridgeline::text
