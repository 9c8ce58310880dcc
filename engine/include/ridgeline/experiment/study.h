#pragma once
/// @file study.h
/// Studies (docs/USER_GUIDE.md, "Studies"): an experiment spec with a top-level "sweep" object
/// is a grid of ordinary experiments. The sweep expands (a pure function) into cells, each an
/// ExperimentSpec with a stable name ("width=64,pair=1"); the runner runs every cell into its
/// own run folder STUDY_DIR/cells/<name>/, one after another; the aggregation reads the cells'
/// results/barriers.json and summarises each barrier per path kind over seed pairs.
///
/// Sweep variables (each a list of values; the grid is their Cartesian product, in this order,
/// the first outermost): width, depth (MLP only: every hidden layer `width` wide, `depth`
/// hidden layers), attn (transformer only: the `attn=` of model.arch, a name of
/// attention::variant_names(); its levels have no numeric value), lr, batch, epochs (the
/// training recipe), spawn_step (every spawned model's
/// `from` moved to <parent>@step<N>), and seeds: the seeds form pairs
/// (seeds[0], seeds[1]), (seeds[2], seeds[3]), ... given to the spec's two models (its two
/// spawned models when it spawns any); the cell's
/// "pair" is the pair's index. The aggregation groups cells that differ only in their pair.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ridgeline/core/progress.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"

namespace ridgeline {

/// One swept variable's value in a cell: the key ("width", "lr", "pair") and its text as the
/// cell name writes it ("64", "0.001", "1", "linear_elu"); `number` is its numeric value (NaN
/// if it has none: an attention variant's name).
struct SweptValue {
  std::string key;
  std::string text;
  double number = 0;
};

/// One list of the sweep: a variable and its values as written (JSON texts, "0.001").
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
};

struct StudySpec {
  ExperimentSpec base;  ///< the spec without its sweep
  /// In the fixed variable order (width, depth, attn, lr, batch, epochs, spawn_step, seeds).
  std::vector<SweepAxis> axes;
};

struct StudyCell {
  std::string name;                     ///< "width=64,pair=1": key=value of every swept variable
  std::vector<SweptValue> values;       ///< in name order; "pair" last when seeds are swept
  std::pair<uint64_t, uint64_t> seeds;  ///< the seeds of the spec's two models in this cell
  std::string group;    ///< the name without the pair ("width=64"; "all" if only pairs)
  ExperimentSpec spec;  ///< an ordinary spec: the base with the swept values applied
};

/// The sweep variables, in expansion order (the keys of $defs/sweep).
const std::vector<std::string>& sweep_keys();
/// True when the JSON text is an object with a top-level "sweep" key (false for any text that
/// does not parse: load_spec then reports it).
bool has_sweep(const std::string& json_text);
/// Parses a study spec: validated against the schema (errors name the key path,
/// "spec.json: sweep.width[2]: must be >= 1, got 0"), then every cell is checked by
/// expanding it. Throws InputError.
StudySpec parse_study(const std::string& json_text, const std::string& source);
StudySpec load_study(const std::string& path);
/// The study spec as JSON: the resolved base spec with its "sweep" object.
std::string study_to_json(const StudySpec& study);
/// The grid: one cell per combination of values, first axis outermost. Pure. Throws InputError
/// naming "<source>: sweep.<key>" when a value cannot apply to the base spec.
std::vector<StudyCell> expand_study(const StudySpec& study, const std::string& source = "sweep");

// ---- Running ------------------------------------------------------------------------------

/// One cell's record in STUDY_DIR/study.json.
struct StudyCellRecord {
  std::string name;
  std::string run_dir;  ///< STUDY_DIR/cells/<name>
  /// "pending", "running", "finished", "reused" (finished earlier: skipped), "cancelled",
  /// "failed".
  std::string status = "pending";
  double seconds = 0;           ///< wall time of the run that finished the cell (provenance)
  double train_seconds = 0;     ///< its training stage (sum over models)
  double analysis_seconds = 0;  ///< its steps (sum)
};

/// A study runs with a run's options: out_dir is STUDY_DIR (empty = <workspace>/studies/
/// <name>-<timestamp>), and every cell gets all `threads` (cells run one after another).
struct StudyOptions : RunOptions {};

struct StudyEvents {
  /// Before each cell (index from 0); `reused` when its finished run folder is kept.
  std::function<void(size_t index, size_t total, const StudyCell&, bool reused)> on_cell_start;
  /// After each cell, with its record.
  std::function<void(size_t index, size_t total, const StudyCellRecord&)> on_cell_done;
  RunEvents run;  ///< passed to every cell's run
};

struct StudySummary {
  std::string study_dir;
  std::string status;  ///< "finished" (run_study), or as recorded (read_study_folder)
  StudySpec spec;
  std::vector<StudyCell> cells;
  std::vector<StudyCellRecord> records;  ///< one per cell
  std::string device;
  double seconds = 0;
};

/// Runs every cell (run_experiment into STUDY_DIR/cells/<name>, all threads, one after
/// another). A cell whose run folder is finished with the same resolved spec is reused, not
/// run. STUDY_DIR/study.json (the study spec and every cell's record) is rewritten atomically
/// after each cell, and results/study.json and results/study.csv (the aggregate) at the end.
/// A folder holding another study is an InputError. On cancel the finished cells are kept,
/// study.json says "cancelled" and Cancelled is rethrown.
StudySummary run_study(const StudySpec& study, const StudyOptions& options,
                       const StudyEvents& events = {}, const CancelToken* cancel = nullptr);

/// STUDY_DIR/study.json as run_study writes it, parsed from its text alone.
struct StudyRecord {
  StudySpec spec;
  std::vector<StudyCell> cells;  ///< the spec's grid (expand_study): the record never adds cells
  std::string status;            ///< as recorded: "running", "finished", "cancelled" or "failed"
  std::string device;
  double seconds = 0;
  /// cell_status[i]: cells[i]'s recorded status ("pending" when the record does not list it).
  std::vector<std::string> cell_status;
};

/// Parses the text of a study.json (pure: reads no file). The record's spec is parsed and
/// expanded like any study spec; every listed cell must be a cell of that grid, once, with a
/// known status; its "dir", if present, must be "cells/<name>" (a cell's run folder is always
/// STUDY_DIR/cells/<name>: a record never points elsewhere). "values", "seeds" and the
/// timings are not read (the spec and the cells' provenance.json decide them). Throws
/// InputError naming `source` and the key ("study.json: cells[2].status: unknown status").
StudyRecord parse_study_record(const std::string& text, const std::string& source);

/// Reads STUDY_DIR/study.json (parse_study_record; cell status re-checked from each cell's run
/// folder). Throws InputError naming the file.
StudySummary read_study_folder(const std::string& study_dir);

// ---- Aggregation --------------------------------------------------------------------------

/// The four barriers of a path on a split, in this order (files name them so).
inline constexpr std::array<const char*, 4> kBarrierMeasures = {"loss_lin", "loss_mid", "error_lin",
                                                                "error_mid"};

/// One row of a cell's results/barriers.json: a path kind (the interpolate step's id) on a split.
struct CellBarrierRow {
  std::string path;
  std::string split;               ///< "train", "test"
  std::array<double, 4> barriers;  ///< kBarrierMeasures order; error as a fraction; NaN undefined
};

/// Parses the text of a results/barriers.json (pure: reads no file): an array of rows, each
/// with "step" (a step id), "split" ("train" or "test"; each (step, split) once) and the four
/// barriers (a number, or null / absent: undefined; errors are fractions in [-1, 1]). Other
/// keys are not read. Throws InputError naming `source`, the row and the key.
std::vector<CellBarrierRow> parse_cell_barriers(const std::string& text, const std::string& source);

/// Reads a run folder's results/barriers.json (none: no rows). Throws InputError naming the
/// file.
std::vector<CellBarrierRow> read_cell_barriers(const std::string& run_dir);

/// mean, standard deviation (sample: divided by n − 1; NaN for n = 1), min, max. All NaN when
/// a value is NaN.
struct BarrierStats {
  double mean = 0, std = 0, min = 0, max = 0;
};

struct StudyGroupRow {
  std::string group;               ///< the cells' name without the pair ("width=64", "all")
  std::vector<SweptValue> values;  ///< the swept values but the pair
  std::string path, split;
  int n = 0;  ///< seed pairs (cells) with this path and split
  std::array<BarrierStats, 4> stats;
};

struct StudyCellRow {
  std::string cell;
  std::vector<SweptValue> values;
  std::pair<uint64_t, uint64_t> seeds;
  CellBarrierRow row;
};

struct StudyAggregate {
  std::string study;                  ///< the study's name
  std::vector<std::string> keys;      ///< the swept keys but "pair", in name order
  std::vector<std::string> paths;     ///< path kinds, in order of first appearance
  std::vector<StudyCellRow> cells;    ///< per cell, path and split
  std::vector<StudyGroupRow> groups;  ///< per group (in cell order), path and split
  std::vector<std::string> missing;   ///< cells without results (not finished)
};

/// Pure: cell i's rows are rows[i] (empty: the cell has no results, listed in `missing`).
StudyAggregate aggregate_study(const std::string& study_name, const std::vector<StudyCell>& cells,
                               const std::vector<std::vector<CellBarrierRow>>& rows);
/// Reads each finished cell's barriers.json from STUDY_DIR/cells/<name> and aggregates.
StudyAggregate aggregate_study_folder(const StudySummary& study);
/// The aggregate as results/study.json holds it (full precision; NaN as null).
std::string aggregate_to_json(const StudyAggregate& agg, int indent = 2);
/// results/study.csv: one row per group, path and split; columns <keys>, group, path, split,
/// n, then <measure>_mean, _std, _min, _max for each measure (17 significant digits; an
/// undefined value is an empty field).
std::string aggregate_to_csv(const StudyAggregate& agg);
/// results/cells.csv: one row per cell, path and split.
std::string aggregate_cells_csv(const StudyAggregate& agg);
/// Writes results/study.json, study.csv and cells.csv under STUDY_DIR atomically.
void write_aggregate(const std::string& study_dir, const StudyAggregate& agg);

}  // namespace ridgeline
