#pragma once
/// @file quadratic.h
/// The quadratic model: L(θ) = ½(θ−θ*)ᵀA(θ−θ*) + c on n parameters, with A = QΛQᵀ for a
/// seeded random orthogonal Q and eigenvalues Λ log-spaced in [0.1, 10] (the indefinite
/// variant negates the first ⌈n/4⌉ of them), θ* seeded. It needs no data and has no accuracy
/// (errors are NaN). Every analysis has a closed form on it — paths, planes, gradients,
/// Hessians, barrier predictions — so it is the oracle the analyses are tested against
/// (docs/ARCHITECTURE.md, "Models").
///
/// Architecture text: "quadratic:dim=N[,seed=S][,c=C][,indefinite]".
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ridgeline/models/model.h"

namespace ridgeline {

struct QuadraticArch {
  int dim = 8;
  uint64_t seed = 0;
  double c = 1.0;
  bool indefinite = false;

  std::string to_string() const;
};

/// Parses "quadratic:dim=8,seed=1,c=0.5,indefinite". Throws InputError naming `what`.
QuadraticArch parse_quadratic_arch(const std::string& text, const std::string& what);

/// The closed-form pieces, in float64: A (n×n row-major), its eigenvalues, θ*.
struct QuadraticForm {
  int n = 0;
  std::vector<double> A, eigenvalues, theta_star;
  double c = 0;
  /// L(θ) and, when grad is not null, ∇L = A(θ − θ*).
  double loss(const std::vector<double>& theta, std::vector<double>* grad = nullptr) const;
};
QuadraticForm quadratic_form(const QuadraticArch& arch);

std::shared_ptr<const ModelArch> quadratic_model_arch(const QuadraticArch& arch);
/// The QuadraticArch behind an architecture object, or null when it is another kind.
const QuadraticArch* as_quadratic_arch(const ModelArch& arch);

}  // namespace ridgeline
