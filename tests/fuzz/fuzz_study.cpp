// libFuzzer harness: a study folder's records, as earlier runs (or hand edits) left them. The
// input goes to both pure parsers: parse_study_record (STUDY_DIR/study.json) and
// parse_cell_barriers (a cell's results/barriers.json). InputError with a one-line message is
// fine. A finding: a crash, a sanitizer report, another exception, a multi-line message, or an
// accepted file that breaks what its readers rely on: a study record whose cells are not its
// grid's or have an unknown status, or whose cell names could leave the study folder; barrier
// rows with an unknown split, a repeated (step, split), a non-finite barrier or an error outside
// [-1, 1]; and accepted rows must aggregate and write (JSON, CSV) without an exception.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/study.h"

using namespace ridgeline;

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::abort();
}

void check_message(const InputError& e) {
  const std::string m = e.what();
  if (m.empty() || m.find('\n') != std::string::npos || m.find('\r') != std::string::npos)
    finding("InputError message is empty or not one line: " + m);
}

void study_record(const std::string& text) {
  StudyRecord r;
  try {
    r = parse_study_record(text, "study.json");
  } catch (const InputError& e) {
    check_message(e);
    return;
  }
  if (r.cell_status.size() != r.cells.size()) finding("cell_status and cells differ in size");
  const std::set<std::string> known = {"pending", "running",   "finished",
                                       "reused",  "cancelled", "failed"};
  std::set<std::string> names;
  for (size_t i = 0; i < r.cells.size(); ++i) {
    const std::string& n = r.cells[i].name;
    if (n.empty() || n == "." || n == ".." || n.find('/') != std::string::npos ||
        n.find('\0') != std::string::npos)
      finding("a cell name that is not one folder name: " + n);
    if (!names.insert(n).second) finding("two cells named " + n);
    if (!known.count(r.cell_status[i])) finding("unknown cell status " + r.cell_status[i]);
  }
  if (r.status != "running" && r.status != "finished" && r.status != "cancelled" &&
      r.status != "failed")
    finding("unknown study status " + r.status);
  // No results: every cell is missing; aggregating must still work.
  const StudyAggregate agg = aggregate_study(r.spec.base.name, r.cells, {});
  if (agg.missing.size() != r.cells.size()) finding("aggregate of no rows misses not every cell");
}

void cell_barriers(const std::string& text) {
  std::vector<CellBarrierRow> rows;
  try {
    rows = parse_cell_barriers(text, "barriers.json");
  } catch (const InputError& e) {
    check_message(e);
    return;
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (const CellBarrierRow& r : rows) {
    if (r.split != "train" && r.split != "test") finding("split " + r.split);
    if (r.path.empty() || r.path.find_first_of(",\"\n\r") != std::string::npos)
      finding("a path kind CSV and figures cannot hold: " + r.path);
    if (!seen.insert({r.path, r.split}).second) finding("two rows for " + r.path + " " + r.split);
    for (size_t m = 0; m < r.barriers.size(); ++m) {
      const double v = r.barriers[m];
      if (std::isinf(v)) finding("an infinite barrier");
      if (m >= 2 && std::fabs(v) > 1) finding("an error barrier outside [-1, 1]");
    }
  }
  // One cell with these rows (and a second with none) aggregates and writes.
  StudyCell a, b;
  a.name = "width=4,pair=0";
  a.values = {{"width", "4", 4}, {"pair", "0", 0}};
  a.group = "width=4";
  b = a;
  b.name = "width=4,pair=1";
  b.values[1] = {"pair", "1", 1};
  const StudyAggregate agg = aggregate_study("fuzz", {a, b}, {rows, {}});
  if (!rows.empty() && agg.groups.size() != rows.size()) finding("groups and rows differ");
  for (const StudyGroupRow& g : agg.groups)
    if (g.n != 1) finding("a group of one cell with n != 1");
  (void)aggregate_to_json(agg);
  (void)aggregate_to_csv(agg);
  (void)aggregate_cells_csv(agg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  study_record(text);
  cell_barriers(text);
  return 0;
}
