#pragma once
/// @file byte_alphabet.h
/// GPT-2's byte alphabet (Radford et al. 2019, "Language Models are Unsupervised Multitask
/// Learners", §2.2; the released encoder's bytes_to_unicode): byte-level BPE works on 256
/// printable characters, one per byte, so that a vocabulary file can hold any byte string as
/// text. The printable bytes 33–126, 161–172 and 174–255 stand for themselves; the other 68
/// (controls, space, DEL, NBSP, soft hyphen) are U+0100, U+0101, … in byte order: byte 0 is
/// 'Ā' (U+0100), byte 10 (\n) 'Ċ' (U+010A), byte 32 (space) 'Ġ' (U+0120).
#include <array>
#include <string>
#include <string_view>

namespace ridgeline::text {

/// The character of every byte (256 distinct code points).
const std::array<char32_t, 256>& byte_to_unicode();

/// The byte whose character is `c`, or -1 when `c` is none of the 256.
int unicode_to_byte(char32_t c);

/// `bytes` in the byte alphabet: each byte's character, as UTF-8.
std::string to_byte_alphabet(std::string_view bytes);

}  // namespace ridgeline::text
