#pragma once
/// @file fileio.h
/// Whole-file reads and atomic writes (temp file in the same folder, then rename).
#include <cstdint>
#include <string>
#include <vector>

namespace ridgeline {

/// Throws InputError "<path>: cannot read (reason)".
std::string read_file(const std::string& path);
/// Writes `bytes` to `path` atomically; creates parent folders. Throws RunError on failure.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// numpy .npy (format 1.0, little-endian float32 or float64), readable by numpy.load.
void write_npy(const std::string& path, const std::vector<float>& data,
               const std::vector<int64_t>& shape);
void write_npy(const std::string& path, const std::vector<double>& data,
               const std::vector<int64_t>& shape);
/// int32 ("<i4"): token ids and labels of sequence tasks (tasks/sequence_tasks.h).
void write_npy(const std::string& path, const std::vector<int32_t>& data,
               const std::vector<int64_t>& shape);

}  // namespace ridgeline
