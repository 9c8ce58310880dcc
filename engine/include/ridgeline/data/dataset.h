#pragma once
/// @file dataset.h
/// Classification data sets held in host memory: x [n×dim] float32 row-major, y class ids.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ridgeline {

struct Dataset {
  std::string name;   ///< "fashion-mnist/train", "gmm/test", ...
  int n = 0;
  int dim = 0;
  int classes = 0;
  /// Labels per row: 1 for classification; the sequence length for token data (one label per
  /// position, kIgnoreLabel = -100 where a position carries no target; tasks/sequence_tasks.h).
  int label_width = 1;
  std::vector<float> x;
  std::vector<int32_t> y;  ///< n·label_width labels, row-major
};

/// Rows [start, start + rows) of d's labels as float class ids (label_width per row), the form
/// ModelCompute::loss takes.
void labels_as_float(const Dataset& d, int start, int rows, float* out);

struct DataSplits {
  Dataset train, test;
};

struct DataOptions {
  int train_subset = 0;      ///< 0 = all; else a seeded random subset of this size
  int test_subset = 0;
  uint64_t subset_seed = 0;
  bool standardize = false;  ///< per-feature (x − mean_train)/std_train
};

/// Where "fashion-mnist" is read from: $RIDGELINE_FASHION_MNIST_DIR when set and not empty,
/// else the location of the Debian package dataset-fashion-mnist
/// (/usr/share/datasets/fashion-mnist).
std::string fashion_mnist_dir();

/// One IDX array of unsigned bytes (http://yann.lecun.com/exdb/mnist/, "file formats").
struct IdxArray {
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  ///< row-major, exactly the product of `shape` bytes
};
/// Reads one IDX file (gzipped or not; detected by magic bytes). Throws InputError naming the
/// file on a bad magic, a truncated header or data, bytes after the data, or corrupt gzip
/// data. The dimensions' product is checked against the file's size before any memory is
/// committed to the data (for gzip, against deflate's largest expansion).
IdxArray read_idx(const std::string& path);
/// Same for a file's bytes already in memory (gzipped or not); `path` names it in errors.
IdxArray parse_idx(const std::string& path, std::string_view bytes);
/// One split from its image array [n, rows, cols] and label array [n] (the files' paths name
/// them in errors): pixels become pixel/255, classes the largest label + 1. Throws InputError
/// naming the file for: wrong ranks, no images, a label count unlike the image count, images
/// with no pixels or too many.
Dataset idx_dataset(const std::string& images_path, const IdxArray& images,
                    const std::string& labels_path, const IdxArray& labels,
                    const std::string& name);

/// Loads an MNIST-format directory: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
/// Pixels become pixel/255, flattened row-major. Both splits must hold images of one size;
/// classes is the largest label of either split + 1.
DataSplits load_idx_dir(const std::string& dir, const DataOptions& opt = {});

/// Resolves a data name: "fashion-mnist" (Debian path; its labels must lie in 0..9, the 10
/// classes data_shape promises), "gmm:<n_train>,<n_test>,<dim>,<classes>,
/// <seed>" (synthetic Gaussian mixture) or a directory of IDX files.
DataSplits load_data(const std::string& name, const DataOptions& opt = {});

/// What a data name promises without loading anything.
struct DataShape {
  int features = 0;
  int classes = 0;
};

/// The shape of "fashion-mnist" (784 features, 10 classes) or of "gmm:..." (its dim and
/// classes; the name is checked as load_data checks it and an error throws InputError naming
/// it); nullopt for anything else (a folder of IDX files is known only once read).
std::optional<DataShape> data_shape(const std::string& name);

/// Seeded synthetic Gaussian mixture: class means drawn N(0, spread²), unit-variance noise.
DataSplits make_gaussian_mixture(int n_train, int n_test, int dim, int classes, uint64_t seed,
                                 float spread = 2.0f);

/// A seeded random subset of `count` samples (count ≥ n returns a copy).
Dataset subset(const Dataset& d, int count, uint64_t seed);

}  // namespace ridgeline
