// libFuzzer harness: a landscape's results as earlier runs (or hand edits) left them:
// <stem>.json and its four .npy grids, through parse_landscape_json (what load_landscape,
// `ridgeline runs show` and `ridgeline figure --view landscape:<id>` use). The input is the
// JSON text, optionally followed by up to four .npy files (xs, ys, loss, error), each after a
// line "--"; a missing one is an empty 1-element array. InputError with a one-line message is
// fine. A finding: a crash, a sanitizer report, another exception, a multi-line message, or an
// accepted landscape that breaks what its readers rely on: grids that are not [ny, nx], axes not
// finite and strictly increasing, a path or basin cell outside the grid, a path whose arrays
// differ in length; and an accepted landscape must write back (JSON, .vts, summary) and read
// back to the same JSON.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/npy.h"
#include "ridgeline/landscape/landscape.h"

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

void check_cell(const LandscapeGrid& g, GridCell c, const char* what) {
  if (c.i < 0 || c.j < 0 || c.i >= g.nx() || c.j >= g.ny())
    finding(std::string("accepted a cell outside the grid: ") + what);
}

void check_path(const LandscapeGrid& g, const GridPath& p, const char* what) {
  const size_t n = p.cells.size();
  if (p.x.size() != n || p.y.size() != n || p.loss.size() != n || p.error.size() != n)
    finding(std::string("accepted a path with arrays of different lengths: ") + what);
  for (const GridCell& c : p.cells) check_cell(g, c, what);
  check_cell(g, p.highest, what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() < 4) {
    const size_t sep = in.find("\n--\n", start);
    if (sep == std::string_view::npos) break;
    parts.push_back(in.substr(start, sep - start));
    start = sep + 4;
  }
  parts.push_back(in.substr(start));
  const std::string text(parts[0]);
  auto reader = [&](const std::string& key, const std::string& file) {
    const int k = key == "xs" ? 1 : key == "ys" ? 2 : key == "loss" ? 3 : 4;
    if (static_cast<size_t>(k) < parts.size()) return parse_npy(file, parts[static_cast<size_t>(k)]);
    NpyArray a;
    a.shape = key == "xs" || key == "ys" ? std::vector<int64_t>{1} : std::vector<int64_t>{1, 1};
    a.values = {0.0};
    return a;
  };
  LandscapeResult r;
  try {
    r = parse_landscape_json(text, "fuzz.json", reader);
  } catch (const InputError& e) {
    check_message(e);
    return 0;
  }
  const LandscapeGrid& g = r.grid;
  if (g.xs.empty() || g.ys.empty() || g.loss.size() != g.xs.size() * g.ys.size() ||
      g.error.size() != g.loss.size())
    finding("accepted grids that are not [ny, nx]");
  for (const std::vector<double>* axis : {&g.xs, &g.ys})
    for (size_t i = 0; i < axis->size(); ++i)
      if (!std::isfinite((*axis)[i]) || (i > 0 && !((*axis)[i - 1] < (*axis)[i])))
        finding("accepted an axis that is not finite and strictly increasing");
  if (r.pass) check_path(g, *r.pass, "pass");
  if (r.linear) check_path(g, *r.linear, "linear");
  for (const PersistencePair& p : r.persistence) {
    check_cell(g, p.minimum, "persistence minimum");
    if (std::isfinite(p.death)) check_cell(g, p.saddle, "persistence saddle");
  }
  // What the readers do with it: the summary line, the .vts, and the JSON written back, which
  // must read back to the same text.
  (void)landscape_summary(r);
  (void)landscape_vts(r);
  const std::string once = landscape_to_json(r, "fuzz");
  auto same_arrays = [&](const std::string& key, const std::string&) {
    NpyArray a;
    if (key == "xs" || key == "ys") {
      a.values = key == "xs" ? g.xs : g.ys;
      a.shape = {static_cast<int64_t>(a.values.size())};
    } else {
      a.values = key == "loss" ? g.loss : g.error;
      a.shape = {g.ny(), g.nx()};
    }
    return a;
  };
  LandscapeResult back;
  try {
    back = parse_landscape_json(once, "fuzz.json", same_arrays);
  } catch (const InputError& e) {
    finding(std::string("the written JSON does not read back: ") + e.what());
  }
  if (landscape_to_json(back, "fuzz") != once) finding("the written JSON reads back differently");
  return 0;
}
