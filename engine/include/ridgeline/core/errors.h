#pragma once
/// @file errors.h
/// Exceptions of the engine. Only `main` turns them into exit codes:
/// InputError → 2, Cancelled → 130, anything else → 1.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ridgeline {

/// Bad input: an unreadable, malformed or inconsistent file, an invalid spec or argument.
/// The message is one line naming the file (or key path) and the problem.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failure while running valid input (diverging training, a device error).
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The user cancelled; everything finished before the cancel is kept.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

/// Text taken from an input (a tensor name, a metadata value, a key) made safe to quote in a
/// one-line error message: control characters and DEL become escapes (\n, \t, \xNN), and text
/// longer than `max_chars` bytes is cut (never inside a UTF-8 sequence) and ends with "…".
/// Every message that echoes file contents passes them through this.
std::string echo_input(std::string_view text, std::size_t max_chars = 80);

}  // namespace ridgeline
