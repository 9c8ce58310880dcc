// Quoting input text in error messages (see core/errors.h).
#include "ridgeline/core/errors.h"

#include <cstdio>

namespace ridgeline {

std::string echo_input(std::string_view text, std::size_t max_chars) {
  std::size_t cut = text.size();
  if (cut > max_chars) {
    cut = max_chars;
    // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  }
  std::string out;
  out.reserve(cut + 8);
  for (std::size_t i = 0; i < cut; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (cut < text.size()) out += "…";
  return out;
}

}  // namespace ridgeline
