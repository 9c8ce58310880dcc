#pragma once
// Helpers shared by the tests: scratch folders, paths into the source tree, and the main()
// of tests that need external data (they exit 77, ctest's skip code, when it is missing).
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "ridgeline/data/dataset.h"

namespace ridgeline::test {

/// A fresh empty folder under the system temp dir, removed by the destructor.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("ridgeline-test-" + tag + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string source_path(const std::string& rel) {
  return std::string(RIDGELINE_SOURCE_DIR) + "/" + rel;
}

/// ctest's skip code: every test is registered with SKIP_RETURN_CODE 77 (tests/CMakeLists.txt).
inline constexpr int kSkipReturnCode = 77;

/// Whether the four Fashion-MNIST IDX files (gzipped or not) are where load_data("fashion-mnist")
/// reads them (fashion_mnist_dir(): $RIDGELINE_FASHION_MNIST_DIR or the Debian package's path).
inline bool have_fashion_mnist() {
  const std::filesystem::path dir = fashion_mnist_dir();
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    std::error_code ec;
    if (!std::filesystem::exists(dir / f, ec) &&
        !std::filesystem::exists(dir / (std::string(f) + ".gz"), ec))
      return false;
  }
  return true;
}

}  // namespace ridgeline::test

/// QTEST_APPLESS_MAIN for a test class that needs external data: when `available` is false,
/// prints why on stderr and exits 77 before running anything, so ctest reports the test as
/// skipped. (A QSKIP inside a test function would still exit 0, and ctest would say passed.)
#define RIDGELINE_DATA_TEST_MAIN(TestClass, available, what)                                  \
  int main(int argc, char** argv) {                                                          \
    if (!(available)) {                                                                      \
      std::fprintf(stderr, "SKIPPED: %s\n", what);                                           \
      return ridgeline::test::kSkipReturnCode;                                               \
    }                                                                                        \
    TestClass tc;                                                                            \
    QTEST_SET_MAIN_SOURCE_PATH                                                               \
    return QTest::qExec(&tc, argc, argv);                                                    \
  }
