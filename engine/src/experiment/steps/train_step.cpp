// The "train" step kind (train_step.h): one model per entry of the spec's `models`, its
// checkpoints and training record.
#include "ridgeline/experiment/steps/train_step.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "experiment/steps/step_kind.h"
#include "ridgeline/experiment/steps/attention_step.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/train/train_model.h"

namespace ridgeline {

StepSpec train_step(const ExperimentSpec& spec, const ModelSpec& m) {
  StepSpec st;
  st.type = "train";
  st.a = m.name;
  st.id = "train-" + m.name;
  st.params = TrainStepParams{spec.train, m.seed, m.from};
  return st;
}

namespace detail {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

json epochs_json(const std::vector<EpochMetrics>& epochs) {
  json a = json::array();
  for (const auto& e : epochs)
    a.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"train_error", e.train_error},
                 {"test_loss", e.test_loss}, {"test_error", e.test_error}, {"lr", e.lr},
                 {"seconds", e.seconds}});
  for (size_t i = 0; i < epochs.size(); ++i)
    if (std::isfinite(epochs[i].distill_loss)) a[i]["distill_loss"] = epochs[i].distill_loss;
  return a;
}

// The model's training: reuses checkpoints/<model>.safetensors when it exists (a result
// without payload), else trains it, saving the checkpoint, the periodic epoch checkpoints and
// results/train-<model>.json.
StepResult run_training(const StepSpec& st, ModelMap& models, StepContext& ctx) {
  const TrainStepParams& p = st.as<TrainStepParams>();
  const ModelSpec m{st.a, p.seed};
  const TrainConfig& train = p.config;
  const RunEvents& ev = ctx.events;
  const fs::path& dir = ctx.dir;
  const fs::path ckpt = dir / "checkpoints" / (m.name + ".safetensors");
  if (fs::exists(ckpt)) {
    models[m.name] = load_model(ckpt.string(), std::nullopt, ctx.cancel);
    ctx.log("model " + m.name + ": reusing finished checkpoint " + ckpt.string());
    return StepResult{st.id, st.type, {}, -1};
  }
  const std::shared_ptr<const ModelArch>& arch = ctx.model_arch;
  // Where training starts: the initialisation of the seed, or a spawn's parent checkpoint.
  const int spe = model_steps_per_epoch(*arch, train, ctx.data);
  TrainStart start;
  Model parent;
  if (!p.from.empty()) {
    const CheckpointRef ref = *parse_checkpoint_ref(p.from);
    const fs::path file = dir / "checkpoints" / checkpoint_file_name(ctx.spec, ref);
    parent = load_model(file.string(), std::nullopt, ctx.cancel);
    start.params = &parent.params;
    start.step = checkpoint_step(ref, spe);
    ctx.log("model " + m.name + ": spawned from " + p.from + " (" + file.string() + ", step " +
            std::to_string(start.step) + "), training on with seed " + std::to_string(m.seed) +
            " as its data order");
  } else {
    ctx.log("model " + m.name + ": training " + arch->to_string() + " from seed " +
            std::to_string(m.seed));
  }
  const std::map<std::string, std::string> meta{{"ridgeline.seed", std::to_string(m.seed)}};
  auto save_at = [&](const std::string& suffix, long long n, const Model& model, const char* key) {
    auto extra = meta;
    extra[key] = std::to_string(n);
    if (!p.from.empty()) extra["ridgeline.spawned_from"] = p.from;
    save_model((dir / "checkpoints" / (m.name + suffix + std::to_string(n) + ".safetensors")).string(),
               model, extra);
  };
  {
    // The starting point as a checkpoint of this model, where the recipe keeps one there.
    const Model first = p.from.empty() ? Model{arch, arch->init(m.seed)} : parent;
    if (start.step % spe == 0 && train.checkpoint_every > 0 &&
        (start.step / spe) % train.checkpoint_every == 0)
      save_at("-epoch", start.step / spe, first, "ridgeline.epoch");
    if (train.checkpoint_every_steps > 0 && start.step % train.checkpoint_every_steps == 0)
      save_at("-step", start.step, first, "ridgeline.step");
  }
  ModelTrainCallbacks cb;
  cb.on_step = [&](const StepMetrics& s) {
    if (ev.on_step) ev.on_step(m.name, s);
    if (ev.on_progress && (s.step % 20 == 0 || s.step == s.total_steps)) {
      RunProgress p;
      p.kind = StageKind::Train;
      p.model = m.name;
      p.done = s.step;
      p.total = s.total_steps;
      p.message = "epoch " + std::to_string(s.epoch) + " loss " + format_loss(s.loss) +
                  (train.distill > 0 ? " distill " + format_loss(s.distill_loss) : "");
      ev.on_progress(p);
    }
  };
  cb.on_checkpoint_step = [&](long long step, const Model& model) {
    save_at("-step", step, model, "ridgeline.step");
  };
  cb.on_epoch = [&](const EpochMetrics& e, const Model& model) {
    if (train.checkpoint_every > 0 && e.epoch % train.checkpoint_every == 0 &&
        e.epoch < train.epochs)
      save_at("-epoch", e.epoch, model, "ridgeline.epoch");
    if (ev.on_epoch) ev.on_epoch(m.name, e);
    if (ev.on_result && as_transformer_arch(*model.arch) && ctx.data.test.n > 0) {
      // The window's live attention maps: the first test inputs after this epoch.
      AttentionAnalysisOptions o;
      o.examples = 8;
      o.show = 4;
      o.evaluate = false;
      AttentionStepResult live;
      live.models = {m.name};
      live.analyses.push_back(analyse_attention(model, ctx.data.test, o, {}, ctx.cancel));
      live.epoch = e.epoch;
      ev.on_result(StepResult{"training-" + m.name, "attention", std::move(live), 0.0});
    }
    ctx.log("model " + m.name + " epoch " + std::to_string(e.epoch) + ": train loss " +
            format_loss(e.train_loss) + ", error " + format_error(e.train_error) +
            (train.distill > 0 ? ", distillation loss " + format_loss(e.distill_loss) : "") +
            "; test loss " +
            format_loss(e.test_loss) + ", error " + format_error(e.test_error) + " (wall-clock " +
            format_seconds(e.seconds) + ")");
  };
  ModelTrainResult tr =
      train_model(ctx.backend, arch, ctx.data, train, m.seed, cb, ctx.cancel, start);
  auto final_meta = meta;
  final_meta["ridgeline.experiment"] = ctx.spec.name;
  if (!p.from.empty()) final_meta["ridgeline.spawned_from"] = p.from;
  save_model(ckpt.string(), tr.model, final_meta);
  json record = {{"model", m.name}, {"seed", m.seed}, {"seconds", tr.seconds},
                 {"samples_per_second", tr.samples_per_second},
                 {"epochs", epochs_json(tr.epochs)}};
  if (!p.from.empty()) record["from"] = p.from;
  write_file_atomic((dir / "results" / ("train-" + m.name + ".json")).string(), record.dump(2) + "\n");
  models[m.name] = std::move(tr.model);
  const double seconds = tr.seconds;
  return StepResult{st.id, st.type,
                    TrainStageResult{m.name, std::move(tr.epochs), tr.seconds, tr.samples_per_second},
                    seconds};
}

// results/train-<model>.json as the step's result, or nullopt when absent.
std::optional<StepResult> load_training(const StepSpec& st, const fs::path& dir) {
  const ModelSpec m{st.a, st.as<TrainStepParams>().seed};
  const fs::path f = dir / "results" / ("train-" + m.name + ".json");
  if (!fs::exists(f)) return std::nullopt;
  try {
    std::vector<EpochMetrics> epochs;
    const json record = json::parse(read_file(f.string()));  // must outlive the loop
    for (const auto& e : record.at("epochs")) {
      EpochMetrics em;
      em.epoch = e.at("epoch");
      // An undefined value (NaN: the error of a model without accuracy) is null in JSON.
      auto number = [&](const char* key) {
        const json& v = e.at(key);
        return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
      };
      em.train_loss = number("train_loss");
      em.train_error = number("train_error");
      em.test_loss = number("test_loss");
      em.test_error = number("test_error");
      em.lr = e.value("lr", 0.0);
      em.seconds = e.value("seconds", 0.0);
      if (e.contains("distill_loss")) em.distill_loss = number("distill_loss");
      epochs.push_back(em);
    }
    TrainStageResult t{m.name, std::move(epochs), record.value("seconds", 0.0),
                       record.value("samples_per_second", 0.0)};
    return StepResult{st.id, st.type, std::move(t), -1};
  } catch (const json::exception& e) {
    throw InputError(f.string() + ": not a training record (" + std::string(e.what()) + ")");
  }
}

class TrainStep final : public StepKind {
 public:
  std::string type() const override { return "train"; }
  // The fragment is the spec's `train` object (the recipe every model shares).
  std::any parse_params(const json& t) const override {
    TrainConfig c;
    c.optimizer = parse_optimizer(t["optimizer"], "train.optimizer");
    c.lr = t["lr"];
    c.momentum = t["momentum"];
    c.weight_decay = t["weight_decay"];
    c.beta1 = t["beta1"];
    c.beta2 = t["beta2"];
    c.eps = t["eps"];
    c.batch = t["batch"];
    c.epochs = t["epochs"];
    c.schedule = parse_schedule(t["schedule"], "train.schedule");
    c.warmup_epochs = t["warmup_epochs"];
    c.step_every = t["step_every"];
    c.step_gamma = t["step_gamma"];
    c.checkpoint_every = t["checkpoint_every"];
    c.checkpoint_every_steps = t["checkpoint_every_steps"];
    c.distill = t["distill"];
    return TrainStepParams{c, 0};
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const TrainConfig& t = st.as<TrainStepParams>().config;
    out["optimizer"] = to_string(t.optimizer);
    out["lr"] = t.lr;
    out["momentum"] = t.momentum;
    out["weight_decay"] = t.weight_decay;
    out["beta1"] = t.beta1;
    out["beta2"] = t.beta2;
    out["eps"] = t.eps;
    out["batch"] = t.batch;
    out["epochs"] = t.epochs;
    out["schedule"] = to_string(t.schedule);
    out["warmup_epochs"] = t.warmup_epochs;
    out["step_every"] = t.step_every;
    out["step_gamma"] = t.step_gamma;
    out["checkpoint_every"] = t.checkpoint_every;
    out["checkpoint_every_steps"] = t.checkpoint_every_steps;
    if (t.distill > 0) out["distill"] = t.distill;  // absent: specs without it read back the same
  }
  std::string default_id(const StepSpec& st) const override { return "train-" + st.a; }
  std::vector<std::string> outputs(const StepSpec& st) const override { return {st.a}; }
  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    return run_training(st, models, ctx);
  }
  std::optional<StepResult> load(const StepSpec& st, const fs::path& dir) const override {
    return load_training(st, dir);
  }
};

}  // namespace

const StepKind& train_step_kind() {
  static const TrainStep kind;
  return kind;
}

}  // namespace detail
}  // namespace ridgeline
