#pragma once
/// @file precision.h
/// The arithmetic precision of an evaluation over parameter points (paths/evaluator.h):
/// "fp32" (the default: every GEMM in float32) or "bf16" (the GEMMs of the MLP's later layers
/// with bfloat16 inputs and weights, accumulated and stored in float32, through oneDNN on CPUs
/// with AVX512-BF16; docs/USER_GUIDE.md, "Landscapes"). bf16 never falls back to fp32: where
/// it cannot run, the evaluation fails with one line saying why.
#include <string>

namespace ridgeline {

enum class Precision { Fp32, Bf16 };

/// "fp32" or "bf16".
std::string to_string(Precision p);

/// Reads "fp32" or "bf16". Throws InputError "<what>: 'TEXT' is not fp32 or bf16".
Precision parse_precision(const std::string& text, const std::string& what = "precision");

/// Empty when bf16 GEMMs can run in this process; otherwise one line saying why not (built
/// without oneDNN, or the CPU lacks AVX512-BF16).
std::string bf16_unavailable_reason();

}  // namespace ridgeline
