#pragma once
/// @file memory.h
/// How the process's heap returns freed memory to the system.

namespace ridgeline {

/// Keeps freed heap memory in the process for reuse instead of returning it to the system
/// (glibc: M_MMAP_THRESHOLD at its maximum, 32 MiB, and M_TRIM_THRESHOLD at 1 GiB; elsewhere
/// nothing). The engine allocates and frees buffers of a few hundred KB to a few MB per
/// forward and backward pass; with glibc's defaults each such buffer came back as fresh pages,
/// and first-touching them cost more than the arithmetic on them (a causal linear attention
/// head's forward + backward at 1,024 tokens: 5.8–12 ms against 1.0 ms with the memory kept;
/// docs/PERFORMANCE.md, "Attention variants"; the same glibc settings, given to PyTorch through
/// the environment, sped up its CPU peer too). The price: the process keeps its peak heap size.
/// Call once, early in main().
void retain_freed_memory();

}  // namespace ridgeline
