#pragma once
// Fixed synthetic results for the figure tests (no training run: deterministic). Barriers come
// from the engine's curve_barriers, as a run's results would hold them.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/study.h"
#include "ridgeline/paths/interpolation.h"

namespace ridgeline::test {

/// A path on 13 points: loss = base + hump·4α(1−α) + tilt·α (test), train a bit lower;
/// error likewise in fractions. hump = 0 with curvature < 0 gives a curve under its chord.
inline InterpolationResult synthetic_path(double hump, double tilt, double bowl = 0) {
  InterpolationResult r;
  r.alpha = alpha_grid(13);
  for (bool train : {false, true}) {
    SplitCurve c;
    for (double a : r.alpha) {
      const double shape = 4 * a * (1 - a);
      const double l = (train ? 0.42 : 0.5) + hump * shape + tilt * a + bowl * a * a;
      c.loss.push_back(l);
      c.error.push_back((train ? 0.12 : 0.15) + 0.4 * hump * shape + 0.2 * tilt * a + 0.2 * bowl * a * a);
    }
    c.barriers = curve_barriers(r.alpha, c.loss, c.error);
    (train ? r.train : r.test) = c;
  }
  return r;
}

inline AlignmentReport synthetic_report(const std::string& method, double scale) {
  AlignmentReport r;
  r.method = method;
  r.objective_before = 10 * scale;
  r.objective_after = 25 * scale;
  r.l2_before = 40;
  r.l2_after = 40 - 12 * scale;
  r.sweeps = 4;
  r.objective_per_sweep = {18 * scale, 23 * scale, 25 * scale};
  r.layers = {{"P0", 64, 9 * scale, 60}, {"P1", 64, 5 * scale, 51}, {"P2", 32, 1 * scale, 20}};
  return r;
}

/// A run: two trained models, one alignment, paths "naive" (a hump), "wm" (a small hump) and
/// "flat" (rises towards θ_B under its chord: no interior barrier).
inline RunSummary synthetic_run(ExperimentSpec* spec) {
  RunSummary run;
  run.status = "finished";
  for (int m = 0; m < 2; ++m) {
    TrainStageResult t;
    t.model = m == 0 ? "seed0" : "seed1";
    for (int e = 1; e <= 8; ++e) {
      EpochMetrics x;
      x.epoch = e;
      x.train_loss = 1.2 / (e + m * 0.5) + 0.1;
      x.train_error = 0.3 / (e + m * 0.5) + 0.04;
      x.test_loss = 1.0 / (e + m * 0.5) + 0.25;
      x.test_error = 0.25 / (e + m * 0.5) + 0.09;
      t.epochs.push_back(x);
    }
    run.results.push_back({"train-" + t.model, "train", t, -1});
  }
  AlignStepResult a;
  a.report = synthetic_report("wm", 1.0);
  run.results.push_back({"align-seed1@wm", "align", a, -1});
  run.results.push_back({"naive", "interpolate", synthetic_path(0.45, -0.02), -1});
  run.results.push_back({"wm", "interpolate", synthetic_path(0.04, 0.01), -1});
  run.results.push_back({"flat", "interpolate", synthetic_path(0, 0, 0.06), -1});
  if (spec) {
    spec->name = "synthetic";
    for (const char* id : {"naive", "wm", "flat"}) {
      StepSpec s;
      s.type = "interpolate";
      s.id = id;
      s.a = "seed0";
      s.b = std::string(id) == "naive" ? "seed1" : "seed1@wm";
      spec->steps.push_back(s);
    }
  }
  return run;
}

// A hand-made study aggregate: widths 16, 4 and 64 (unsorted); naive with 3 seed pairs, wm
// with 2 at width 4 (min–max band) and 3 elsewhere. Only the test split.
inline StudyAggregate hand_made_study() {
  StudyAggregate agg;
  agg.study = "hand";
  agg.keys = {"width"};
  agg.paths = {"naive", "wm"};
  int k = 0;
  for (double w : {16.0, 4.0, 64.0})
    for (const char* path : {"naive", "wm"}) {
      StudyGroupRow g;
      char text[16];
      std::snprintf(text, sizeof text, "%g", w);
      g.values = {{"width", text, w}};
      g.group = "width=" + std::string(text);
      g.path = path;
      g.split = "test";
      g.n = (w == 4 && std::string(path) == "wm") ? 2 : 3;
      for (size_t m = 0; m < 4; ++m)
        g.stats[m] = {0.1 * (k + 1) + 0.01 * static_cast<double>(m), 0.02 + 0.001 * k, 0.05 * k, 0.1 * (k + 2)};
      agg.groups.push_back(g);
      ++k;
    }
  return agg;
}

// A hand-made study over width {4, 16, 64} × depth {1, 2} (× lr {0.01, 0.1} when `with_lr`),
// paths naive and wm, test split, 3 seed pairs (2 for wm at width 4, depth 2). The barrier falls
// with width, rises with depth, and weight matching lowers it. Groups in cell order.
inline StudyAggregate hand_made_grid_study(bool with_lr = false) {
  StudyAggregate agg;
  agg.study = "grid";
  agg.keys = {"width", "depth"};
  if (with_lr) agg.keys.push_back("lr");
  agg.paths = {"naive", "wm"};
  const std::vector<double> lrs = with_lr ? std::vector<double>{0.01, 0.1} : std::vector<double>{0.01};
  for (double w : {4.0, 16.0, 64.0})
    for (double d : {1.0, 2.0})
      for (double lr : lrs)
        for (const char* path : {"naive", "wm"}) {
          StudyGroupRow g;
          char wt[16], dt[16], lt[16];
          std::snprintf(wt, sizeof wt, "%g", w);
          std::snprintf(dt, sizeof dt, "%g", d);
          std::snprintf(lt, sizeof lt, "%g", lr);
          g.values = {{"width", wt, w}, {"depth", dt, d}};
          g.group = std::string("width=") + wt + ",depth=" + dt;
          if (with_lr) {
            g.values.push_back({"lr", lt, lr});
            g.group += std::string(",lr=") + lt;
          }
          g.path = path;
          g.split = "test";
          const bool wm = std::string(path) == "wm";
          g.n = (wm && w == 4 && d == 2) ? 2 : 3;
          const double base = (wm ? 0.25 : 0.8) * (d == 2 ? 1.6 : 1.0) * (lr > 0.05 ? 1.2 : 1.0) / std::sqrt(w / 4);
          for (size_t m = 0; m < 4; ++m) {
            const double mean = m < 2 ? base * (1 + 0.1 * static_cast<double>(m)) : 0.12 * base;
            g.stats[m] = {mean, 0.15 * mean, 0.8 * mean, 1.25 * mean};
          }
          agg.groups.push_back(g);
        }
  return agg;
}

}  // namespace ridgeline::test
