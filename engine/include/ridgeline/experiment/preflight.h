#pragma once
/// @file preflight.h
/// Checks that run before any work starts, shared by the command line and `run_experiment`:
/// every output location is writable, and a model fits in memory. Each throws InputError
/// naming the flag or key (`who`) and the problem, so that bad input is found in a second,
/// not after an hour of training (docs/RELIABILITY.md).
#include <cstdint>
#include <string>

#include "ridgeline/models/model.h"

namespace ridgeline {

/// A file that a command will write (atomically, creating missing parent folders): not empty,
/// not a folder, and its nearest existing ancestor is a folder this process can create files
/// in (probed by creating and removing a file there, so a read-only file system or a folder
/// without write permission is found even when running as root).
/// Throws InputError "<who>: '<path>' is a folder" and the like.
void check_output_file(const std::string& path, const std::string& who);

/// A folder that a command will create (if missing) and write files into: not empty, not a
/// file, and writable (or creatable in its nearest existing ancestor).
void check_output_folder(const std::string& path, const std::string& who);

/// Bytes of memory this process may use: the smaller of the physical memory and the cgroup
/// limit (memory.max), when there is one.
uint64_t memory_limit_bytes();

/// The working set of training or evaluating `copies` models of this architecture with
/// `rows` samples per batch: parameters with their gradient and optimiser moments, plus the
/// activations of a batch (forward and backward). An estimate to order of magnitude, computed
/// without overflow (saturating at UINT64_MAX).
uint64_t estimated_memory_bytes(const ModelArch& arch, int64_t rows, int copies);

/// Throws InputError "<who>: <arch> needs about N GiB (P parameters), more than the M GiB of
/// memory available" when estimated_memory_bytes exceeds memory_limit_bytes().
void check_fits_memory(const ModelArch& arch, int64_t rows, int copies, const std::string& who);

}  // namespace ridgeline
