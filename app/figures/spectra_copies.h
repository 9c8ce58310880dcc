#pragma once
/// @file spectra_copies.h
/// Which models of a run are permuted copies of which (π(B) of B): the outputs of its align
/// steps (`seed1@wm` = π(seed1) by weight matching). The spectra result itself cannot tell a
/// permuted copy from a checkpoint (`seed1@epoch3`); the window's spectra page and the spectra
/// figure both read it from the run's spec here.
#include <vector>

#include "ridgeline/experiment/spec.h"
#include "widgets/spectra/spectra_data.h"

namespace ridgeline::figures {

/// The permuted copies the spec's align steps produce (empty without a spec).
std::vector<widgets::PermutedCopy> permuted_copies(const ExperimentSpec* spec);

}  // namespace ridgeline::figures
