// GPT-2's pre-tokenisation pattern without a regex engine (pretokenize.h).
#include "ridgeline/text/pretokenize.h"

#include "ridgeline/text/char_class.h"
#include "ridgeline/text/utf8.h"

namespace ridgeline::text {

namespace {

struct Char {
  std::size_t at, length;
  CharClass cls;
};

std::vector<Char> characters(std::string_view text) {
  std::vector<Char> out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const Utf8Char c = utf8_at(text, at);
    out.push_back({at, c.length, c.valid ? char_class(c.code_point) : CharClass::Other});
    at += c.length;
  }
  return out;
}

// The length in bytes of a contraction at text[at] (which is '\''), or 0.
std::size_t contraction(std::string_view text, std::size_t at) {
  const std::string_view rest = text.substr(at + 1);
  for (const std::string_view tail : {"re", "ve", "ll"})
    if (rest.substr(0, 2) == tail) return 3;
  if (!rest.empty() && (rest[0] == 's' || rest[0] == 't' || rest[0] == 'm' || rest[0] == 'd'))
    return 2;
  return 0;
}

}  // namespace

std::vector<std::string_view> gpt2_pretokenize(std::string_view text) {
  const std::vector<Char> chars = characters(text);
  const std::size_t n = chars.size();
  std::vector<std::string_view> pieces;
  // Characters [i, j) as a piece.
  const auto piece = [&](std::size_t i, std::size_t j) {
    const std::size_t end = j < n ? chars[j].at : text.size();
    pieces.push_back(text.substr(chars[i].at, end - chars[i].at));
  };
  std::size_t i = 0;
  while (i < n) {
    const std::size_t at = chars[i].at;
    // 's|'t|'re|'ve|'m|'ll|'d (ASCII, so bytes are characters here).
    if (text[at] == '\'') {
      if (const std::size_t len = contraction(text, at)) {
        pieces.push_back(text.substr(at, len));
        i += len;
        continue;
      }
    }
    // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: after an optional space, a run of one class. A
    // space not followed by such a run matches none of the three (it is not in any of them).
    const std::size_t start = (text[at] == ' ' && chars[i].length == 1 && i + 1 < n) ? i + 1 : i;
    const CharClass cls = chars[start].cls;
    if (cls != CharClass::Space) {
      std::size_t j = start + 1;
      while (j < n && chars[j].cls == cls) ++j;
      piece(i, j);
      i = j;
      continue;
    }
    // `\s+(?!\S)|\s+`: the run, less its last character when a non-space follows it (then the
    // first alternative backtracks one character; a run of one falls to the second).
    std::size_t j = i + 1;
    while (j < n && chars[j].cls == CharClass::Space) ++j;
    if (j < n && j - i >= 2) --j;
    piece(i, j);
    i = j;
  }
  return pieces;
}

}  // namespace ridgeline::text
