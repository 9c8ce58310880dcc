// `ridgeline curve`: a Bézier curve or polygonal chain between two models whose bend is
// trained on E_t L(θ(t)) (Garipov et al. 2018, arXiv 1802.10026), its loss and error along t
// and the bend saved as a model.
#include "ridgeline/landscape/curve.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/models/model_io.h"

namespace ridgeline::cli {

const CommandSpec& curve_spec() {
  static const CommandSpec s{
      "curve",
      "A Bezier curve or polygonal chain between two models whose bend is trained on E_t "
      "L(theta(t)) (Garipov et al. 2018): loss and error along t, its barriers, and the bend "
      "saved as a model.",
      {"curve A.safetensors B.safetensors --out BEND.safetensors [options]"},
      join({{"out", "FILE", "", "(required) where the trained bend is saved (safetensors)"},
            {"kind", "bezier|chain", "bezier",
             "the curve: quadratic Bezier, or the chain A -> bend -> B"},
            {"epochs", "N", "10", "epochs of the bend's training on the training split"},
            {"lr", "X", "0.01", "SGD learning rate of the bend"},
            {"momentum", "X", "0.9", "SGD momentum of the bend"},
            {"batch", "N", "128", "training batch size (one t ~ U(0,1) per batch)"},
            {"seed", "S", "0", "batch order and the t of each batch"},
            {"points", "N", "25", "evenly spaced t in [0, 1] evaluated, endpoints included"},
            {"split", "train|test|both", "both", "which splits to evaluate along the curve"},
            {"activation", "relu|gelu", "relu",
             "activation of PyTorch files without Ridgeline metadata (Ridgeline files record "
             "theirs)"}},
           {data_option_specs(),
            compute_option_specs(),
            {{"json", "", "",
              "print one JSON object (curves along t, barriers, training loss, provenance) on "
              "stdout"},
             {"quiet", "", "", "no device or progress lines"}}}),
      {"ridgeline curve A.safetensors B.safetensors --data fashion-mnist --epochs 10 --out "
       "BEND.safetensors",
       "ridgeline landscape A.safetensors B.safetensors BEND.safetensors --data fashion-mnist "
       "--out DIR"},
      {"t = 0 and t = 1 are the models themselves; the bend starts at their midpoint (the "
       "straight line). Barriers over t as in docs/USER_GUIDE.md, \"Barriers\"."}};
  return s;
}

int cmd_curve(int argc, char** argv) {
  Args a(argc, argv, 2, curve_spec());
  if (a.positionals().size() != 2)
    throw InputError("expected two model files A.safetensors B.safetensors");
  const std::string fa = a.positionals()[0], fb = a.positionals()[1];
  const std::string out = a.required("out");
  check_output_file(out, "--out");
  CurveConfig cfg;
  const std::string kind = a.str("kind");
  if (kind != "bezier" && kind != "chain")
    throw InputError("--kind: '" + echo_input(kind) + "' is not bezier or chain");
  cfg.kind = kind == "chain" ? CurveKind::Chain : CurveKind::Bezier;
  cfg.epochs = static_cast<int>(a.integer("epochs", 1, 100000));
  cfg.batch = static_cast<int>(a.integer("batch", 1, 1 << 24));
  cfg.seed = static_cast<uint64_t>(a.integer("seed", 0, (1ll << 62)));
  cfg.lr = a.number("lr");
  if (!std::isfinite(cfg.lr) || !(cfg.lr > 0)) throw InputError("--lr: must be a positive number");
  cfg.momentum = a.number("momentum");
  if (!std::isfinite(cfg.momentum) || cfg.momentum < 0 || cfg.momentum >= 1)
    throw InputError("--momentum: must be in [0, 1)");
  const int points = static_cast<int>(a.integer("points", 2, 100001));
  const std::string split = a.str("split");
  if (split != "train" && split != "test" && split != "both")
    throw InputError("--split: '" + echo_input(split) + "' is not one of train, test, both");
  const int threads = static_cast<int>(a.integer("threads", 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");

  auto [models, data] = load_any_models_and_data(a, {fa, fb});
  const Model& ma = models[0];
  const Model& mb = models[1];
  auto backend = make_backend(a.str("device"), threads);
  ProgressPrinter progress;
  if (!quiet) progress.line("device: " + backend->description());
  auto on_progress = [&](const Progress& p) {
    if (!quiet) progress(p);
  };
  const CurveTraining t =
      train_curve(*backend, ma, mb, data.train, cfg, on_progress, &interrupt_token());
  progress.finish();
  InterpolationResult r = evaluate_curve(*backend, cfg.kind, ma, mb, t.bend, data, points,
                                         split != "test", split != "train");
  save_model(out, Model{ma.arch, t.bend}, {{"ridgeline.curve", kind + " " + fa + " " + fb}});
  if (json_out) {
    nlohmann::json j = nlohmann::json::parse(interpolation_to_json(r));
    j["curve"] = {{"kind", kind},
                  {"epochs", cfg.epochs},
                  {"epoch_loss", t.epoch_loss},
                  {"training_seconds", t.seconds}};
    ProvenanceFacts pf;
    pf.models = {fa, fb};
    pf.out = out;
    if (ma.arch->uses_data()) pf.data = {{a.str("data"), data_options(a)}};
    pf.points = points;
    pf.backend = backend.get();
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("%s curve, bend trained %d epoch(s): training loss %s → %s\n", kind.c_str(),
              cfg.epochs, format_loss(t.epoch_loss.front()).c_str(),
              format_loss(t.epoch_loss.back()).c_str());
  std::printf("%7s", "t");
  if (r.train) std::printf("  %10s %11s", "train loss", "train error");
  if (r.test) std::printf("  %10s %11s", "test loss", "test error");
  std::printf("\n");
  for (size_t k = 0; k < r.alpha.size(); ++k) {
    std::printf("%7s", format_alpha(r.alpha[k]).c_str());
    for (const auto* c : {&r.train, &r.test})
      if (*c)
        std::printf("  %10s %11s", format_loss((**c).loss[k]).c_str(),
                    format_error((**c).error[k]).c_str());
    std::printf("\n");
  }
  for (const auto& [name, c] : {std::pair{"train", &r.train}, std::pair{"test", &r.test}})
    if (*c) std::printf("%s: %s\n", name, barrier_summary((*c)->barriers).c_str());
  std::printf("bend saved to %s; wall-clock %s on %s\n", out.c_str(),
              format_seconds(t.seconds + r.seconds).c_str(), backend->description().c_str());
  return 0;
}

}  // namespace ridgeline::cli
