#pragma once
// The one error line `main` prints: messages may quote user input (file names, spec values,
// bytes of a broken file), which must not break the line or the terminal.
#include <string>

namespace ridgeline::cli {

/// `text` as one printable line of at most `max_bytes` bytes: newlines, tabs and other control
/// characters (C0, DEL, C1) become escapes ("\n", "\t", "\x1b"), bytes that are not valid UTF-8
/// become "\xNN", and a longer text is cut at a character boundary and ends in "...".
std::string one_line(const std::string& text, size_t max_bytes = 400);

}  // namespace ridgeline::cli
