#pragma once
/// @file utf8.h
/// UTF-8 code points as the tokenizer (bpe_tokenizer.h) reads and writes them (RFC 3629:
/// shortest forms only, no surrogates, nothing above U+10FFFF).
#include <cstddef>
#include <string>
#include <string_view>

namespace ridgeline::text {

/// One character at a byte offset: its code point and how many bytes it takes. A byte that does
/// not start a well-formed sequence (a stray continuation byte, an overlong form, a surrogate,
/// a truncated sequence, bytes F5–FF) is one invalid character of length 1, `valid` false and
/// `code_point` the byte itself; decoding resumes at the next byte.
struct Utf8Char {
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = true;
};

/// The character starting at `text[at]` (at < text.size()).
Utf8Char utf8_at(std::string_view text, std::size_t at);

/// Appends the UTF-8 form of `c` (c ≤ U+10FFFF and not a surrogate).
void append_utf8(std::string& out, char32_t c);

}  // namespace ridgeline::text
