// GPT-2's character classes (char_class.h): ASCII by hand, the rest from a table of ranges.
#include "ridgeline/text/char_class.h"

#include <algorithm>
#include <iterator>

namespace ridgeline::text {

namespace {

struct Range {
  char32_t lo, hi;
  CharClass cls;
};

constexpr CharClass L = CharClass::Letter;
constexpr CharClass N = CharClass::Number;

// Maximal runs of \p{L} (L) and \p{N} (N) inside the blocks char_class.h lists, as the Python
// regex module 2026.5.9 classifies every code point (General_Category, UAX #44); sorted,
// disjoint. Regenerate by testing each code point of a block with regex.match(r'\p{L}', …).
// clang-format off
constexpr Range kRanges[] = {
    // Latin-1 Supplement
    {0x00AA, 0x00AA, L}, {0x00B2, 0x00B3, N}, {0x00B5, 0x00B5, L}, {0x00B9, 0x00B9, N},
    {0x00BA, 0x00BA, L}, {0x00BC, 0x00BE, N}, {0x00C0, 0x00D6, L}, {0x00D8, 0x00F6, L},
    {0x00F8, 0x00FF, L},
    // Latin Extended-A and -B
    {0x0100, 0x024F, L},
    // IPA Extensions
    {0x0250, 0x02AF, L},
    // Spacing Modifier Letters
    {0x02B0, 0x02C1, L}, {0x02C6, 0x02D1, L}, {0x02E0, 0x02E4, L}, {0x02EC, 0x02EC, L},
    {0x02EE, 0x02EE, L},
    // Greek and Coptic
    {0x0370, 0x0374, L}, {0x0376, 0x0377, L}, {0x037A, 0x037D, L}, {0x037F, 0x037F, L},
    {0x0386, 0x0386, L}, {0x0388, 0x038A, L}, {0x038C, 0x038C, L}, {0x038E, 0x03A1, L},
    {0x03A3, 0x03F5, L}, {0x03F7, 0x03FF, L},
    // Cyrillic and Cyrillic Supplement
    {0x0400, 0x0481, L}, {0x048A, 0x052F, L},
    // Armenian
    {0x0531, 0x0556, L}, {0x0559, 0x0559, L}, {0x0560, 0x0588, L},
    // Hebrew
    {0x05D0, 0x05EA, L}, {0x05EF, 0x05F2, L},
    // Arabic
    {0x0620, 0x064A, L}, {0x0660, 0x0669, N}, {0x066E, 0x066F, L}, {0x0671, 0x06D3, L},
    {0x06D5, 0x06D5, L}, {0x06E5, 0x06E6, L}, {0x06EE, 0x06EF, L}, {0x06F0, 0x06F9, N},
    {0x06FA, 0x06FC, L}, {0x06FF, 0x06FF, L},
    // Devanagari
    {0x0904, 0x0939, L}, {0x093D, 0x093D, L}, {0x0950, 0x0950, L}, {0x0958, 0x0961, L},
    {0x0966, 0x096F, N}, {0x0971, 0x097F, L},
    // Thai
    {0x0E01, 0x0E30, L}, {0x0E32, 0x0E33, L}, {0x0E40, 0x0E46, L}, {0x0E50, 0x0E59, N},
    // Georgian
    {0x10A0, 0x10C5, L}, {0x10C7, 0x10C7, L}, {0x10CD, 0x10CD, L}, {0x10D0, 0x10FA, L},
    {0x10FC, 0x10FF, L},
    // Hangul Jamo
    {0x1100, 0x11FF, L},
    // Latin Extended Additional
    {0x1E00, 0x1EFF, L},
    // Greek Extended
    {0x1F00, 0x1F15, L}, {0x1F18, 0x1F1D, L}, {0x1F20, 0x1F45, L}, {0x1F48, 0x1F4D, L},
    {0x1F50, 0x1F57, L}, {0x1F59, 0x1F59, L}, {0x1F5B, 0x1F5B, L}, {0x1F5D, 0x1F5D, L},
    {0x1F5F, 0x1F7D, L}, {0x1F80, 0x1FB4, L}, {0x1FB6, 0x1FBC, L}, {0x1FBE, 0x1FBE, L},
    {0x1FC2, 0x1FC4, L}, {0x1FC6, 0x1FCC, L}, {0x1FD0, 0x1FD3, L}, {0x1FD6, 0x1FDB, L},
    {0x1FE0, 0x1FEC, L}, {0x1FF2, 0x1FF4, L}, {0x1FF6, 0x1FFC, L},
    // Superscripts and Subscripts
    {0x2070, 0x2070, N}, {0x2071, 0x2071, L}, {0x2074, 0x2079, N}, {0x207F, 0x207F, L},
    {0x2080, 0x2089, N}, {0x2090, 0x209C, L},
    // Number Forms
    {0x2150, 0x2182, N}, {0x2183, 0x2184, L}, {0x2185, 0x2189, N},
    // Enclosed Alphanumerics
    {0x2460, 0x249B, N}, {0x24EA, 0x24FF, N},
    // CJK Symbols and Punctuation
    {0x3005, 0x3006, L}, {0x3007, 0x3007, N}, {0x3021, 0x3029, N}, {0x3031, 0x3035, L},
    {0x3038, 0x303A, N}, {0x303B, 0x303C, L},
    // Hiragana
    {0x3041, 0x3096, L}, {0x309D, 0x309F, L},
    // Katakana
    {0x30A1, 0x30FA, L}, {0x30FC, 0x30FF, L},
    // Hangul Compatibility Jamo
    {0x3131, 0x318E, L},
    // CJK Unified Ideographs Extension A
    {0x3400, 0x4DBF, L},
    // CJK Unified Ideographs
    {0x4E00, 0x9FFF, L},
    // Hangul Syllables
    {0xAC00, 0xD7A3, L},
    // CJK Compatibility Ideographs
    {0xF900, 0xFA6D, L}, {0xFA70, 0xFAD9, L},
    // Halfwidth and Fullwidth Forms
    {0xFF10, 0xFF19, N}, {0xFF21, 0xFF3A, L}, {0xFF41, 0xFF5A, L}, {0xFF66, 0xFFBE, L},
    {0xFFC2, 0xFFC7, L}, {0xFFCA, 0xFFCF, L}, {0xFFD2, 0xFFD7, L}, {0xFFDA, 0xFFDC, L},
    // Supplementary and Tertiary Ideographic Planes
    {0x20000, 0x2A6DF, L}, {0x2A700, 0x2B81D, L}, {0x2B820, 0x2CEAD, L}, {0x2CEB0, 0x2EBE0, L},
    {0x2EBF0, 0x2EE5D, L}, {0x2F800, 0x2FA1D, L}, {0x30000, 0x3134A, L}, {0x31350, 0x33479, L},
};
// clang-format on

// Unicode's White_Space property outside ASCII (UAX #44); the regex module's \s is exactly this
// set.
bool is_unicode_space(char32_t c) {
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace

CharClass char_class(char32_t c) {
  if (c < 0x80) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return CharClass::Letter;
    if (c >= '0' && c <= '9') return CharClass::Number;
    if (c == ' ' || (c >= '\t' && c <= '\r')) return CharClass::Space;
    return CharClass::Other;
  }
  if (is_unicode_space(c)) return CharClass::Space;
  // The last range starting at or before c.
  const auto it = std::upper_bound(std::begin(kRanges), std::end(kRanges), c,
                                   [](char32_t v, const Range& r) { return v < r.lo; });
  if (it == std::begin(kRanges)) return CharClass::Other;
  const Range& r = *std::prev(it);
  return c <= r.hi ? r.cls : CharClass::Other;
}

}  // namespace ridgeline::text
