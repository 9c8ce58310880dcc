// A loss landscape: grid, lowest pass and persistence together (landscape/landscape.h).
#include "ridgeline/landscape/landscape.h"

#include <cmath>
#include <utility>

#include "ridgeline/core/format.h"

namespace ridgeline {

LandscapeResult compute_landscape(Backend& backend, const ModelArch& arch,
                                  const LandscapeBasis& basis, const Dataset* data,
                                  const LandscapeConfig& config) {
  GridRun run;
  LandscapeResult r = landscape_from_grid(
      arch, basis, evaluate_grid(backend, arch, basis, data, config.grid, config.options, &run),
      config);
  r.seconds = run.seconds;
  r.rows_resumed = run.rows_resumed;
  return r;
}

LandscapeResult landscape_from_grid(const ModelArch& arch, const LandscapeBasis& basis,
                                    LandscapeGrid grid, const LandscapeConfig& config) {
  LandscapeResult r;
  r.info = basis.info;
  r.split = arch.uses_data() ? config.split : "";
  r.subset = arch.uses_data() ? config.subset : 0;
  r.connectivity = config.connectivity;
  r.grid = std::move(grid);
  if (basis.info.kind == "plane" && config.pass) {
    const GridCell from = nearest_cell(r.grid, 0.0, 0.0), to = nearest_cell(r.grid, 1.0, 0.0);
    r.pass = lowest_pass(r.grid, from, to, config.connectivity);
    if (from.j == to.j) r.linear = row_path(r.grid, from.j, from.i, to.i);
  }
  r.persistence = persistence_pairs(r.grid, config.connectivity);
  return r;
}

std::string landscape_summary(const LandscapeResult& r) {
  std::string s;
  if (r.pass) {
    s += "lowest pass: loss barrier " + format_loss_barrier(r.pass->loss_mid) +
         " (mean-endpoint), highest loss " + format_loss(r.pass->max_loss);
    if (r.linear)
      s += "; linear path on the grid: " + format_loss_barrier(r.linear->loss_mid) +
           ", highest loss " + format_loss(r.linear->max_loss);
    s += "; ";
  }
  // The pairs are by persistence, the global minimum first (lowest_pass.h); a loaded file is
  // not trusted to be sorted, so the most persistent basin that ends is searched for.
  const PersistencePair* other = nullptr;
  for (const auto& p : r.persistence)
    if (std::isfinite(p.death) && (!other || p.persistence() > other->persistence())) other = &p;
  s += std::to_string(r.persistence.size()) + " basin(s)";
  if (!r.persistence.empty()) s += ", global minimum " + format_loss(r.persistence.front().birth);
  if (other) s += ", most persistent other basin " + format_loss_barrier(other->persistence());
  return s;
}

}  // namespace ridgeline
