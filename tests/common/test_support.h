#pragma once
// Helpers shared by the tests: scratch folders and paths into the source tree.
#include <filesystem>
#include <random>
#include <string>

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

}  // namespace ridgeline::test
