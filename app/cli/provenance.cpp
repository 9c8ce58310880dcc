#include "cli/provenance.h"

#include <chrono>
#include <filesystem>

#include "ridgeline/core/backend.h"

namespace ridgeline::cli {

namespace {
std::chrono::steady_clock::time_point& start() {
  static std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  return t;
}
}  // namespace

void start_wall_clock() { start() = std::chrono::steady_clock::now(); }

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start()).count();
}

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  const auto p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

nlohmann::json provenance_json(const Args& a, const ProvenanceFacts& f) {
  nlohmann::json j = {{"version", RIDGELINE_VERSION}, {"arguments", a.arguments()}};
  if (!f.models.empty()) {
    j["models"] = nlohmann::json::array();
    for (const auto& m : f.models) j["models"].push_back(absolute_path(m));
  }
  if (!f.out.empty()) j["out"] = absolute_path(f.out);
  if (f.data) {
    const auto& [name, o] = *f.data;
    // A folder of IDX files is a path: recorded absolute, like the models.
    const bool folder = std::filesystem::is_directory(name);
    j["data"] = {{"name", folder ? absolute_path(name) : name},
                 {"train_subset", o.train_subset},
                 {"test_subset", o.test_subset},
                 {"subset_seed", o.subset_seed},
                 {"standardize", o.standardize}};
  }
  if (f.points) j["points"] = *f.points;
  if (f.backend || !f.device.empty()) {
    j["device"] = f.backend ? f.backend->description() : f.device;
    j["threads"] = host_threads();
  }
  j["wall_seconds"] = wall_seconds();
  return j;
}

}  // namespace ridgeline::cli
