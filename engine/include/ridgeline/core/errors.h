#pragma once
/// @file errors.h
/// Exceptions of the engine. Only `main` turns them into exit codes:
/// InputError → 2, Cancelled → 130, anything else → 1.
#include <stdexcept>
#include <string>

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

}  // namespace ridgeline
