#pragma once
/// @file npy.h
/// Reading numpy .npy files (format versions 1.0, 2.0 and 3.0, as numpy.save writes them:
/// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html). Writing is in
/// fileio.h (write_npy).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ridgeline {

/// An array read from .npy, its values widened to double (exact for every dtype read).
struct NpyArray {
  std::string descr;            ///< numpy's dtype string as written: "<f4", "|u1", ...
  std::vector<int64_t> shape;   ///< () for a scalar
  std::vector<double> values;   ///< row-major (C order), product of `shape` values
};

/// Reads a C-order array of little-endian float32/float64 ("<f4", "<f8"), int32/int64
/// ("<i4", "<i8"; int64 values beyond ±2^53 are refused, they have no exact double) or
/// unsigned bytes ("|u1"). Throws InputError naming the file for: a bad magic or version, a
/// header over numpy's 10,000-byte safety limit or not the dictionary numpy writes, an
/// unsupported dtype, Fortran order, a shape whose size overflows, or data shorter or longer
/// than the shape needs. Header text quoted in messages is cut and escaped.
NpyArray read_npy(const std::string& path);
/// Same for a file's bytes already in memory; `path` names it in errors.
NpyArray parse_npy(const std::string& path, std::string_view bytes);

}  // namespace ridgeline
