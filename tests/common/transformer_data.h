#pragma once
// Seeded random data for transformer tests (tests/models/transformer): token sequences with a
// label at every position, and grayscale images with one class each.
#include <cstdint>
#include <random>

#include "ridgeline/data/dataset.h"

namespace ridgeline::test {

inline Dataset random_tokens(int n, int seq, int vocab, uint64_t seed) {
  std::mt19937_64 g(seed);
  Dataset d;
  d.name = "tokens";
  d.n = n;
  d.dim = seq;
  d.classes = vocab;
  d.label_width = seq;
  for (int i = 0; i < n * seq; ++i) {
    d.x.push_back(static_cast<float>(g() % vocab));
    d.y.push_back(static_cast<int32_t>(g() % vocab));
  }
  return d;
}

inline Dataset random_images(int n, int h, int w, int classes, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Dataset d;
  d.name = "images";
  d.n = n;
  d.dim = h * w;
  d.classes = classes;
  for (int i = 0; i < n * h * w; ++i) d.x.push_back(u(g));
  for (int i = 0; i < n; ++i) d.y.push_back(static_cast<int32_t>(g() % classes));
  return d;
}

}  // namespace ridgeline::test
