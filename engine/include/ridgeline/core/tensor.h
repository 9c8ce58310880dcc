#pragma once
/// @file tensor.h
/// A host tensor: shape and float32 data, row-major. Used at the file and API boundary.
#include <cstdint>
#include <string>
#include <vector>

namespace ridgeline {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  int64_t numel() const {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
};

/// "[512, 784]"
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace ridgeline
