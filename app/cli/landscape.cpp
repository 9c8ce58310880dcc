// `ridgeline landscape`: loss and error on a grid of a plane through three models or around
// one model, the lowest pass between the plane's first two models, and the files
// (.json, .npy, .vts for ParaView).
#include "ridgeline/landscape/landscape.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/mpi_shard.h"
#include "cli/progress.h"
#include "ridgeline/curvature/hessian_plane.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/paths/evaluator.h"

namespace ridgeline::cli {

namespace {

// "21x21" → (21, 21).
std::pair<int, int> parse_grid(const std::string& text) {
  const size_t x = text.find('x');
  auto part = [&](const std::string& s) {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
      throw InputError("--grid: '" + echo_input(text) + "' is not NxM (e.g. 21x21)");
    const int n = std::stoi(s);
    if (n < 2 || n > 1001)
      throw InputError("--grid: " + s + " points (allowed 2 to 1001 per axis)");
    return n;
  };
  if (x == std::string::npos)
    throw InputError("--grid: '" + echo_input(text) + "' is not NxM (e.g. 21x21)");
  return {part(text.substr(0, x)), part(text.substr(x + 1))};
}

// "-0.5:1.5" → (-0.5, 1.5).
std::pair<double, double> parse_range(const std::string& text, const std::string& opt) {
  const size_t c = text.find(':', 1);
  auto num = [&](const std::string& s) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != s.size() || !std::isfinite(v) || std::abs(v) > 1e6)
      throw InputError(opt + ": '" + echo_input(text) +
                       "' is not LO:HI (finite numbers, e.g. -0.5:1.5)");
    return v;
  };
  if (c == std::string::npos)
    throw InputError(opt + ": '" + echo_input(text) + "' is not LO:HI (e.g. -0.5:1.5)");
  const double lo = num(text.substr(0, c)), hi = num(text.substr(c + 1));
  if (!(lo < hi)) throw InputError(opt + ": LO must be below HI in '" + echo_input(text) + "'");
  return {lo, hi};
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t c = s.find(',', start);
    out.push_back(s.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return out;
}

}  // namespace

const CommandSpec& landscape_spec() {
  static const CommandSpec s{
      "landscape",
      "Loss and error on a grid of the plane through three models (or around one model along "
      "filter-normalised random directions or Hessian eigenvectors), the lowest pass between "
      "the first two, and files "
      "for ParaView and numpy. Under MPI (mpirun -np N ridgeline landscape ...) the grid's rows "
      "are shared among N processes and process 0 writes the same files as one process.",
      {"landscape A.safetensors B.safetensors C.safetensors --out DIR [options]",
       "landscape M.safetensors --random --out DIR [options]",
       "landscape M.safetensors --hessian top2|top_bottom --out DIR [options]"},
      join({{"out", "DIR", "",
             "(required) folder for NAME.json, NAME.{loss,error,xs,ys}.npy and NAME.vts"},
            {"name", "NAME", "landscape", "file name stem inside --out"},
            {"random", "", "",
             "two seeded Gaussian directions around one model, filter-normalised (Li et al. 2018)"},
            {"hessian", "top2|top_bottom", "",
             "two unit eigenvectors of the loss Hessian around one model: the top two, or the top "
             "and the most negative (a saddle shows as a saddle); axes are parameter-space "
             "distances", "none"},
            {"hessian-split", "train|test", "train", "--hessian: the split of the Hessian's batch"},
            {"hessian-samples", "N", "1000",
             "--hessian: a seeded subset of N samples of that split (0: all)"},
            {"hessian-max-iter", "N", "100",
             "--hessian: Lanczos steps (Hessian-vector products) at most per eigenproblem"},
            {"seed", "S", "0", "--random: the directions' seed; --hessian: Lanczos' and the batch's"},
            {"keep-1d", "", "",
             "--random: keep one-dimensional blocks (biases, normalisation) as copies of the "
             "model's instead of zeroing them"},
            {"grid", "NxM", "21x21", "points along x and y, endpoints included"},
            {"x", "LO:HI", "", "x range", "-0.5:1.5 (plane), -1:1 (--random, --hessian)"},
            {"y", "LO:HI", "", "y range (--random, --hessian: symmetric, -R:R)",
             "-0.5:1.5 (plane), -1:1 (--random, --hessian)"},
            {"split", "train|test", "test", "the split evaluated at every point"},
            {"subset", "N", "0", "a seeded random subset of N samples of the split (0: all)"},
            {"project", "FILES", "", "other model files placed in the slice, comma-separated",
             "none"},
            {"no-pass", "", "", "skip the lowest pass (planes)"},
            {"connectivity", "4|8", "4", "grid neighbours of the lowest pass and the basins"},
            {"resume", "", "",
             "reuse the finished rows in DIR/NAME.resume of an interrupted run with the same "
             "models, grid, data and chunk (without it, they are discarded)"},
            {"activation", "relu|gelu", "relu",
             "activation of PyTorch files without Ridgeline metadata (Ridgeline files record "
             "theirs)"},
            {"chunk", "N", "1000", "samples per batched evaluation chunk"},
            {"precision", "fp32|bf16", "fp32",
             "GEMM precision: bf16 runs the MLP's later layers with bfloat16 inputs and weights "
             "and float32 accumulation (oneDNN, on the CPU backend: --device auto means cpu; needs "
             "AVX512-BF16, otherwise it fails saying why, never falling back to fp32)"}},
           {data_option_specs(),
            compute_option_specs(),
            {{"json", "", "",
              "print one JSON object (the landscape's metadata, files, provenance) on stdout"},
             {"quiet", "", "", "no device or progress lines"}}}),
      {"ridgeline landscape A.safetensors B.safetensors C.safetensors --data fashion-mnist --grid "
       "21x21 "
       "--x -0.5:1.5 --y -0.5:1.5 --subset 1000 --out DIR",
       "ridgeline landscape A.safetensors --random --seed 0 --grid 31x31 --x -1:1 --y -1:1 --out "
       "DIR --json",
       "ridgeline landscape A.safetensors --hessian top_bottom --x -0.5:0.5 --y -0.5:0.5 --out DIR",
       "ridgeline landscape A.safetensors B.safetensors C.safetensors --grid 51x51 --precision "
       "bf16 --out DIR",
       "mpirun -np 4 ridgeline landscape A.safetensors B.safetensors C.safetensors --grid 51x51 "
       "--threads 1 --out DIR"},
      {"Plane: A = (0, 0), B = (1, 0), C = (c_x, c_y) with c_y > 0, in units of |B - A|; "
       "the lowest pass runs from the cell nearest A to the cell nearest B and is reported "
       "beside the straight path on the grid row y = 0 (barriers as in docs/USER_GUIDE.md, "
       "\"Barriers\").",
       "Ctrl-C keeps the finished rows in DIR/NAME.resume; rerun with --resume to continue. "
       "NAME.vts opens in ParaView (points (x, y, loss), point arrays loss and error).",
       "MPI: mpirun -np N ridgeline landscape ... (or srun -n N) deals the grid's batches of rows "
       "round-robin to N processes (--threads is per process); process 0 gathers them and alone "
       "prints and writes, byte for byte the files of one process. As root, OpenMPI needs "
       "--allow-run-as-root. See docs/USER_GUIDE.md, \"Landscapes\".",
       "Hessian directions: NAME.json records the pair, both eigenvalues with their Lanczos "
       "residual bounds and the batch; under MPI every process computes the eigenvectors "
       "(deterministic for the same --threads).",
       "Precision: NAME.json records it (\"precision\": \"fp32\" or \"bf16\"); bf16 grids "
       "differ from fp32 by rounding (docs/PERFORMANCE.md gives the measured deviation)."}};
  return s;
}

namespace {

// Everything read and loaded before any work.
struct LandscapeSetup {
  std::optional<Args> args;
  LandscapeConfig cfg;
  std::string out, stem, resume;
  std::vector<std::string> files, all;
  bool json_out = false, quiet = false, resume_flag = false;
  AnyModelsAndData loaded;
  LandscapeBasis basis;
  const Dataset* points_data = nullptr;
  Dataset sub;
  std::unique_ptr<Backend> backend;
  HessianPlaneOptions hessian;  ///< --hessian (pair empty: not asked)
  std::string hessian_split;
  int hessian_samples = 1000;
  bool rank0 = true;  ///< MPI: only process 0 prints progress
  std::vector<std::pair<std::string, size_t>> projected;  ///< --project: name, index in loaded
};

// The slice in the summary's first line.
std::string slice_name(const LandscapeInfo& info) {
  if (info.kind == "plane") return "plane";
  if (info.kind == "random") return "random directions";
  char buf[160];
  std::snprintf(buf, sizeof buf, "Hessian directions (%s: λ = %.5g, %.5g%s)",
                info.hessian_pair.c_str(), info.eigenvalues.at(0), info.eigenvalues.at(1),
                info.eigen_converged ? "" : ", Lanczos not converged");
  return buf;
}

// --hessian: the eigenvectors on a seeded subset of the chosen split, with a progress line.
void hessian_slice(LandscapeSetup& s, const std::string& name) {
  const Model& centre = s.loaded.models[0];
  const ModelArch& arch = *centre.arch;
  Dataset batch;
  if (arch.uses_data())
    batch = hessian_batch(s.loaded.data, s.hessian_split, s.hessian_samples, s.hessian.seed);
  HessianOperator H(*s.backend, centre.arch, arch.uses_data() ? &batch : nullptr,
                    s.cfg.options.chunk);
  H.set_cancel(&interrupt_token());
  const std::string what =
      arch.uses_data() ? s.hessian_split + ", " + std::to_string(batch.n) + " samples" : "";
  ProgressPrinter printer;
  const bool quiet = s.quiet || !s.rank0;
  s.basis = hessian_basis(name, H, centre, s.hessian, what, &interrupt_token(),
                          [&](const Progress& p) {
                            if (!quiet) printer(p);
                          });
  if (!quiet) printer.finish();
}

void prepare(int argc, char** argv, LandscapeSetup& s) {
  namespace fs = std::filesystem;
  s.args.emplace(argc, argv, 2, landscape_spec());
  const Args& a = *s.args;
  const bool random = a.flag("random"), hessian = a.has("hessian"), around = random || hessian;
  if (random && hessian) throw InputError("--hessian: give either --random or --hessian, not both");
  s.files = a.positionals();
  const std::vector<std::string>& files = s.files;
  if (around && files.size() != 1)
    throw InputError(std::string(random ? "--random" : "--hessian") +
                     ": expected one model file M.safetensors");
  if (!around && files.size() != 3)
    throw InputError(
        "expected three model files A.safetensors B.safetensors C.safetensors (or one with "
        "--random or --hessian)");
  if (hessian) {
    s.hessian.pair = a.str("hessian");
    if (s.hessian.pair != "top2" && s.hessian.pair != "top_bottom")
      throw InputError("--hessian: '" + echo_input(s.hessian.pair) + "' is not top2 or top_bottom");
    s.hessian.max_iter = static_cast<int>(a.integer("hessian-max-iter", 2, 2000));
  }
  for (const char* opt : {"hessian-split", "hessian-samples", "hessian-max-iter"})
    if (!hessian && a.has(opt)) throw InputError(std::string("--") + opt + ": only with --hessian");
  s.hessian_split = a.str("hessian-split");
  if (s.hessian_split != "train" && s.hessian_split != "test")
    throw InputError("--hessian-split: '" + echo_input(s.hessian_split) + "' is not train or test");
  s.hessian_samples = static_cast<int>(a.integer("hessian-samples", 0, 1 << 30));
  // Every option is read before any work, so a bad one is the only line printed.
  s.out = a.required("out");
  const std::string& out = s.out;
  check_output_folder(out, "--out");
  s.stem = a.str("name");
  const std::string& stem = s.stem;
  if (stem.empty() || stem.size() > 96 || stem.find_first_of("/\\") != std::string::npos ||
      stem[0] == '.')
    throw InputError("--name: '" + echo_input(stem) + "' is not a plain file name");
  LandscapeConfig& cfg = s.cfg;
  const auto [nx, ny] = parse_grid(a.str("grid"));
  cfg.grid.nx = nx;
  cfg.grid.ny = ny;
  const std::string def = around ? "-1:1" : "-0.5:1.5";
  std::tie(cfg.grid.x0, cfg.grid.x1) = parse_range(a.str("x", def), "--x");
  std::tie(cfg.grid.y0, cfg.grid.y1) = parse_range(a.str("y", def), "--y");
  for (const auto& [opt, lo, hi] :
       {std::tuple{"--x", cfg.grid.x0, cfg.grid.x1}, std::tuple{"--y", cfg.grid.y0, cfg.grid.y1}})
    if (around && lo != -hi)
      throw InputError(std::string(opt) +
                       ": a grid around one model is symmetric about it: give -R:R");
  cfg.split = a.str("split");
  if (cfg.split != "train" && cfg.split != "test")
    throw InputError("--split: '" + echo_input(cfg.split) + "' is not train or test");
  const int subset_n = static_cast<int>(a.integer("subset", 0, 1 << 30));
  cfg.pass = !a.flag("no-pass");
  cfg.connectivity = static_cast<int>(a.integer("connectivity", 4, 8));
  if (cfg.connectivity != 4 && cfg.connectivity != 8)
    throw InputError("--connectivity: " + std::to_string(cfg.connectivity) + " is not 4 or 8");
  cfg.options.chunk = static_cast<int>(a.integer("chunk", 1, 1 << 20));
  cfg.options.precision = parse_precision(a.str("precision"), "--precision");
  const uint64_t seed = static_cast<uint64_t>(a.integer("seed", 0, (1ll << 62)));
  const bool keep_1d = a.flag("keep-1d");
  if (!random && keep_1d) throw InputError("--keep-1d: only with --random");
  if (!around && a.has("seed")) throw InputError("--seed: only with --random or --hessian");
  s.hessian.seed = seed;
  std::vector<std::string> project;
  if (a.has("project")) project = split_list(a.str("project"));
  for (const auto& f : project)
    if (f.empty())
      throw InputError("--project: an empty file name in '" + echo_input(a.str("project")) + "'");
  const int threads = static_cast<int>(a.integer("threads", 0, 1024));
  s.json_out = a.flag("json");
  s.quiet = a.flag("quiet");
  s.resume_flag = a.flag("resume");

  s.all = files;
  s.all.insert(s.all.end(), project.begin(), project.end());
  s.loaded = load_any_models_and_data(a, s.all);
  const std::vector<Model>& models = s.loaded.models;
  const DataSplits& data = s.loaded.data;
  const ModelArch& arch = *models[0].arch;
  check_precision(arch, cfg.options.precision);
  auto name_of = [](const std::string& f) { return fs::path(f).stem().string(); };
  if (hessian) {
    const std::string why = arch.hvp_unsupported();
    if (!why.empty()) throw InputError("--hessian: " + why);
  }
  if (!hessian)
    s.basis = random ? random_basis(name_of(files[0]), models[0], seed, keep_1d)
                     : plane_basis({name_of(files[0]), name_of(files[1]), name_of(files[2])},
                                   models[0], models[1], models[2]);
  for (size_t k = 0; k < project.size(); ++k) s.projected.emplace_back(name_of(project[k]), files.size() + k);
  if (arch.uses_data()) {
    const Dataset& split = cfg.split == "train" ? data.train : data.test;
    s.points_data = &split;
    if (subset_n > 0 && subset_n < split.n) {
      s.sub = subset(split, subset_n, 0);
      s.points_data = &s.sub;
    }
    cfg.subset = s.points_data->n;
  }
  s.resume = (fs::path(out) / (stem + ".resume")).string();
  cfg.options.resume_dir = s.resume;
  cfg.options.cancel = &interrupt_token();
  // bf16 GEMMs run on the CPU backend (oneDNN): --device auto then means the CPU.
  const bool bf16 = cfg.options.precision == Precision::Bf16;
  const std::string device = a.str("device");
  if (bf16 && device != "auto" && device != "cpu")
    throw InputError("--precision bf16: runs on the CPU backend only; give --device cpu or auto, "
                     "not " + echo_input(device));
  s.backend = make_backend(bf16 ? std::string("cpu") : device, threads);
  if (hessian) hessian_slice(s, name_of(files[0]));
  for (const auto& [name, k] : s.projected) s.basis.project(name, models[k].params);
}

}  // namespace

int cmd_landscape(int argc, char** argv) {
  namespace fs = std::filesystem;
  // Under mpirun every rank reads the same input; an error on any of them is one line from
  // rank 0 and the same exit code on all (cli/mpi_shard.h).
  MpiShard mpi;
  LandscapeSetup s;
  s.rank0 = mpi.rank() == 0;
  if (int code = mpi.agree([&] { prepare(argc, argv, s); })) return code;
  const Args& a = *s.args;
  LandscapeConfig& cfg = s.cfg;
  const std::string &out = s.out, &stem = s.stem;
  const ModelArch& arch = *s.loaded.models[0].arch;
  const bool json_out = s.json_out, quiet = s.quiet || mpi.rank() != 0;
  const int nx = cfg.grid.nx, ny = cfg.grid.ny;
  // Without --resume, old rows are discarded (by rank 0, before any rank reads the folder).
  if (int code = mpi.agree([&] {
        if (!s.resume_flag && mpi.rank() == 0) remove_resume_folder(s.resume);
      }))
    return code;
  ProgressPrinter progress;
  if (!quiet)
    progress.line("device: " + s.backend->description() +
                  (mpi.size() > 1 ? ", " + std::to_string(mpi.size()) + " MPI ranks" : ""));
  cfg.options.progress = [&](const Progress& p) {
    if (!quiet) progress(p);
  };
  // Each rank evaluates its share of the row groups; rank 0 gathers the rows and alone
  // computes the pass and writes the files.
  cfg.options.shard_index = mpi.rank();
  cfg.options.shard_count = mpi.size();
  const auto t0 = std::chrono::steady_clock::now();
  LandscapeGrid grid;
  GridRun run;
  if (int code = mpi.agree([&] {
        grid = evaluate_grid(*s.backend, arch, s.basis, s.points_data, cfg.grid, cfg.options, &run);
      }))
    return code;
  const long long rows_resumed = mpi.sum(run.rows_resumed);
  GridRows gathered;
  if (mpi.size() > 1) gathered = mpi.gather_rows(pack_grid_rows(grid, run.rows));
  LandscapeResult r;
  if (int code = mpi.agree([&] {
        if (mpi.rank() != 0) return;
        if (mpi.size() > 1) unpack_grid_rows(grid, gathered, true);
        r = landscape_from_grid(arch, s.basis, std::move(grid), cfg);
        r.rows_resumed = static_cast<int>(rows_resumed);
        r.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        progress.finish();
        write_landscape(r, out, stem, (fs::path(out) / (stem + ".vts")).string());
      }))
    return code;
  // Every rank removes its rows (a rank on another node may see another file system).
  remove_resume_folder(s.resume);
  if (mpi.rank() != 0) return 0;
  const Backend* backend = s.backend.get();
  const Dataset* points_data = s.points_data;
  const std::vector<std::string>& all = s.all;

  if (json_out) {
    nlohmann::json j = nlohmann::json::parse(landscape_to_json(r, stem));
    j["vts"] = stem + ".vts";
    j["seconds"] = r.seconds;
    j["rows_resumed"] = r.rows_resumed;
    if (mpi.size() > 1) j["ranks"] = mpi.size();
    ProvenanceFacts pf;
    pf.models = all;
    pf.out = out;
    if (arch.uses_data()) pf.data = {{a.str("data"), data_options(a)}};
    pf.points = nx * ny;
    pf.backend = backend;
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf(
      "%s %d×%d: x %s..%s, y %s..%s%s\n", slice_name(r.info).c_str(),
      nx, ny, format_alpha(cfg.grid.x0).c_str(), format_alpha(cfg.grid.x1).c_str(),
      format_alpha(cfg.grid.y0).c_str(), format_alpha(cfg.grid.y1).c_str(),
      points_data ? (" on " + std::to_string(points_data->n) + " " + cfg.split + " samples").c_str()
                  : "");
  for (const auto& c : r.info.coordinates)
    std::printf("  %-24s (%s, %s)%s\n", c.name.c_str(), format_alpha(c.x).c_str(),
                format_alpha(c.y).c_str(),
                // Rounding-level distances (a model that spans the plane) are not shown.
                c.off_plane > 1e-6 * r.info.norm_x
                    ? (", " + format_loss(c.off_plane) + " off the plane").c_str()
                    : "");
  std::printf("%s\n", landscape_summary(r).c_str());
  std::printf("files: %s/%s.{json,loss.npy,error.npy,xs.npy,ys.npy,vts}\n", out.c_str(),
              stem.c_str());
  std::printf(
      "wall-clock %s on %s%s%s%s\n", format_seconds(r.seconds).c_str(),
      backend->description().c_str(),
      cfg.options.precision == Precision::Bf16 ? ", bf16 GEMMs (oneDNN)" : "",
      mpi.size() > 1 ? (" × " + std::to_string(mpi.size()) + " MPI ranks").c_str() : "",
      r.rows_resumed ? (", " + std::to_string(r.rows_resumed) + " row(s) resumed").c_str() : "");
  return 0;
}

}  // namespace ridgeline::cli
