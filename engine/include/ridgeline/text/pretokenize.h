#pragma once
/// @file pretokenize.h
/// GPT-2's pre-tokenisation (Radford et al. 2019, §2.2): text is cut into pieces before BPE so
/// that merges never cross a category boundary. The released encoder finds, left to right,
///   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// (the first alternative that matches wins; each is greedy):
///  - the contractions 's 't 're 've 'm 'll 'd (lower case only, even inside a word: "'sup" is
///    "'s" + "up");
///  - an optional single space (U+0020, no other whitespace) and a run of letters, of numbers,
///    or of other characters (neither space, letter nor number: punctuation, symbols,
///    controls);
///  - whitespace: a run of it, less its last character when a non-space follows, so that a
///    single space can start the next word (`\s+(?!\S)` backtracks one character; a run of
///    one is taken by `\s+`): "a  b" is "a", " ", " b"; "a\n\nb" is "a", "\n", "\n", "b";
///    "a\tb" is "a", "\t", "b"; trailing whitespace is one piece.
/// Classes are char_class.h's (exact for ASCII; see there what is approximated elsewhere).
/// The text is read as UTF-8 code points; a byte that is not part of a well-formed UTF-8
/// sequence (utf8.h) is one "other" character. The pieces cover the text exactly: joined
/// they give it back.
#include <string_view>
#include <vector>

namespace ridgeline::text {

/// The pieces of `text`, views into it, in order.
std::vector<std::string_view> gpt2_pretokenize(std::string_view text);

}  // namespace ridgeline::text
