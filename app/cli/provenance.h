#pragma once
// What produced a `--json` output (docs/USER_GUIDE.md, "Command line"): every subcommand's
// JSON carries a "provenance" object built here.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "ridgeline/data/dataset.h"

namespace ridgeline {
class Backend;
}

namespace ridgeline::cli {

/// Starts the wall clock that provenance's "wall_seconds" reads (run_cli calls it first).
void start_wall_clock();
/// Wall-clock seconds since start_wall_clock().
double wall_seconds();

struct ProvenanceFacts {
  std::vector<std::string> models;  ///< input model files (recorded as absolute paths)
  std::string out;                  ///< output file or folder (absolute); empty: none
  /// The data set and its options; unset: the command read no data.
  std::optional<std::pair<std::string, DataOptions>> data;
  std::optional<int> points;         ///< points along a path, where relevant
  const Backend* backend = nullptr;  ///< the device actually used (its description)
  std::string device;                ///< the device when there is no backend object (run)
};

/// {"version", "arguments", "models", "out", "data", "points", "device", "threads",
/// "wall_seconds"}: keys for facts that do not apply are left out ("device" and "threads" too
/// when nothing was computed, as for `runs`).
nlohmann::json provenance_json(const Args& a, const ProvenanceFacts& f);
/// The absolute, normalised form of a path ("" stays "").
std::string absolute_path(const std::string& path);

}  // namespace ridgeline::cli
