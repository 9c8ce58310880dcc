#include "cli/error_line.h"

#include <cstdio>

namespace ridgeline::cli {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
size_t utf8_length(const std::string& s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  unsigned cp = 0;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4, cp = c & 0x07;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  // Overlong forms, surrogates, beyond U+10FFFF, and C1 controls (U+0080..U+009F).
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F))
    return 0;
  return n;
}

std::string escape_byte(unsigned char c) {
  switch (c) {
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      return buf;
    }
  }
}

}  // namespace

std::string one_line(const std::string& text, size_t max_bytes) {
  const std::string ellipsis = "...";
  std::string out;
  size_t cut = std::string::npos;  // the last piece boundary that leaves room for "..."
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::string piece;
    if (c >= 0x20 && c < 0x7F) {
      piece = std::string(1, static_cast<char>(c));
      i += 1;
    } else if (const size_t n = c >= 0x80 ? utf8_length(text, i) : 0) {
      piece = text.substr(i, n);
      i += n;
    } else {
      piece = escape_byte(c);
      i += 1;
    }
    if (cut == std::string::npos && out.size() + piece.size() + ellipsis.size() > max_bytes)
      cut = out.size();
    out += piece;
    if (out.size() > max_bytes) return out.substr(0, cut) + ellipsis;
  }
  return out;
}

}  // namespace ridgeline::cli
