#pragma once
/// @file char_class.h
/// The character classes of GPT-2's pre-tokenisation pattern (pretokenize.h): `\p{L}`, `\p{N}`
/// and `\s` as the Python `regex` module that GPT-2's released encoder uses (Radford et al.
/// 2019, §2.2) reads them: Unicode's General_Category L* (Lu Ll Lt Lm Lo) for letters and N*
/// (Nd Nl No) for numbers (UAX #44), and the White_Space property for spaces.
///
/// Without ICU the non-ASCII part is a small table, exact in some blocks only:
///  - exact: ASCII (letters A–Z a–z, digits 0–9, spaces \t \n \v \f \r and U+0020; the other
///    controls are "other"); all of White_Space (U+0085, U+00A0, U+1680, U+2000–U+200A,
///    U+2028, U+2029, U+202F, U+205F, U+3000); and letters and numbers of these blocks:
///    Latin-1 Supplement (ª µ º and U+00C0–U+00FF except × ÷ are letters, ² ³ ¹ ¼ ½ ¾
///    numbers), Latin Extended-A and -B, IPA Extensions, Spacing Modifier Letters, Greek and
///    Coptic, Cyrillic and Cyrillic Supplement, Armenian, Hebrew, Arabic (U+0600–U+06FF),
///    Devanagari, Thai, Georgian, Hangul Jamo, Latin Extended Additional, Greek Extended,
///    Superscripts and Subscripts, Number Forms, Enclosed Alphanumerics, CJK Symbols and
///    Punctuation, Hiragana, Katakana, Hangul Compatibility Jamo, CJK Unified Ideographs and
///    Extension A, Hangul Syllables, CJK Compatibility Ideographs, Halfwidth and Fullwidth
///    Forms, and the CJK ideographs of planes 2 and 3. Combining marks (Mn, Mc: U+0300–U+036F,
///    Devanagari's vowel signs, …) are not letters, as in GPT-2.
///  - approximated: every other code point is "other". About 30,500 letters and numbers lie
///    outside the table (Bengali, Tamil and the other Indic scripts after Devanagari, Ethiopic,
///    Cherokee, Yi, Latin Extended-C/D/E, Cyrillic Extended-A/B/C, Arabic Presentation Forms,
///    Mathematical Alphanumeric Symbols, historic scripts, …): a word in those scripts is split
///    into more pieces than GPT-2 splits it, so its ids can differ from GPT-2's. Nothing fails:
///    byte-level BPE encodes any piece.
///  - the table follows the current Unicode version (regex 2026.5.9); GPT-2's 2019 run saw
///    code points assigned since then (e.g. CJK Extensions G–J) as "other".
#include <string_view>

namespace ridgeline::text {

enum class CharClass { Letter, Number, Space, Other };

/// The class of a code point (see above for what is approximated).
CharClass char_class(char32_t c);

}  // namespace ridgeline::text
