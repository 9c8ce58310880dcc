// The entries of a spec's `models` and checkpoint names (spec_models.h, spec.h).
#include "experiment/spec_models.h"

#include <filesystem>
#include <map>
#include <mutex>

#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/model_io.h"

namespace ridgeline {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The architecture of a model file, remembered by path, size and modification time: the
// editor validates its spec after every edit, and a file is read once, not on every key.
std::string file_arch(const std::string& path, std::optional<Activation> activation) {
  static std::mutex mutex;
  static std::map<std::string, std::string> known;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const auto time = fs::last_write_time(path, ec).time_since_epoch().count();
  const std::string key = path + "\n" + std::to_string(size) + "\n" + std::to_string(time) + "\n" +
                          (activation ? to_string(*activation) : std::string("-"));
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = known.find(key); !ec && it != known.end()) return it->second;
  }
  const std::string arch = load_model(path, activation).arch->to_string();
  std::lock_guard<std::mutex> lock(mutex);
  if (!ec) known[key] = arch;
  return arch;
}

}  // namespace

std::optional<CheckpointRef> parse_checkpoint_ref(const std::string& name) {
  const size_t at = name.rfind('@');
  if (at == std::string::npos || at == 0) return std::nullopt;
  const std::string tail = name.substr(at + 1);
  CheckpointRef r;
  r.model = name.substr(0, at);
  std::string digits;
  if (tail.rfind("epoch", 0) == 0) digits = tail.substr(5);
  else if (tail.rfind("step", 0) == 0) {
    digits = tail.substr(4);
    r.by_step = true;
  } else return std::nullopt;
  if (digits.empty() || digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  r.n = std::stoll(digits);
  return r;
}

long long checkpoint_step(const CheckpointRef& ref, int steps_per_epoch) {
  return ref.by_step ? ref.n : ref.n * steps_per_epoch;
}

std::string checkpoint_file_name(const ExperimentSpec& spec, const CheckpointRef& ref) {
  if (!ref.by_step && ref.n == spec.train.epochs) return ref.model + ".safetensors";
  return ref.model + (ref.by_step ? "-step" : "-epoch") + std::to_string(ref.n) + ".safetensors";
}

void check_checkpoint_ref(const ExperimentSpec& s, const CheckpointRef& ref, const std::string& where,
                          bool spawn_point) {
  const std::string name = "'" + ref.name() + "'";
  const ModelSpec* m = s.find_model(ref.model);
  if (!m)
    throw InputError(where + ": " + name + ": no model '" + ref.model + "' before this entry");
  if (m->external())
    throw InputError(where + ": " + name + ": '" + ref.model +
                     "' is an external file (models[].path): it has no checkpoints");
  const TrainConfig& t = s.train;
  if (!ref.by_step) {
    if (ref.n > t.epochs)
      throw InputError(where + ": " + name + ": training has " + std::to_string(t.epochs) + " epochs");
    if (spawn_point && ref.n == t.epochs)
      throw InputError(where + ": " + name + ": the end of training leaves the spawn nothing to train");
    if (ref.n != t.epochs && (t.checkpoint_every == 0 || ref.n % t.checkpoint_every != 0))
      throw InputError(where + ": " + name + ": no such checkpoint (train.checkpoint_every is " +
                       std::to_string(t.checkpoint_every) + "; it must divide " +
                       std::to_string(ref.n) + ")");
  } else if (t.checkpoint_every_steps == 0 || ref.n % t.checkpoint_every_steps != 0) {
    throw InputError(where + ": " + name + ": no such checkpoint (train.checkpoint_every_steps is " +
                     std::to_string(t.checkpoint_every_steps) + "; it must divide " +
                     std::to_string(ref.n) + ")");
  }
  if (m->spawned()) {
    const CheckpointRef start = *parse_checkpoint_ref(m->from);
    if (start.by_step == ref.by_step && ref.n < start.n)
      throw InputError(where + ": " + name + ": before '" + ref.model + "' was spawned (from '" +
                       m->from + "')");
  }
}

ModelSpec parse_model_entry(const ExperimentSpec& s, const json& m, const std::string& where,
                            const std::string& source, bool check_files) {
  ModelSpec ms;
  ms.name = m["name"];
  const bool has_seed = m.contains("seed"), has_path = m.contains("path"), has_from = m.contains("from");
  if (has_path) {
    if (has_seed || has_from)
      throw InputError(where + ": a model with a 'path' is not trained: it takes no '" +
                       std::string(has_seed ? "seed" : "from") + "'");
    fs::path p = m["path"].get<std::string>();
    if (p.is_relative()) p = fs::path(source).parent_path() / p;
    std::error_code ec;
    const fs::path abs = fs::absolute(p, ec).lexically_normal();
    ms.path = (ec ? p : abs).string();
    if (!check_files) return ms;
    if (!fs::is_regular_file(ms.path, ec))
      throw InputError(where + ".path: " + ms.path + ": no such file");
    std::string have;
    try {
      have = file_arch(ms.path, s.model_kind == "mlp" ? std::optional<Activation>(s.arch.activation)
                                                      : std::nullopt);
    } catch (const InputError& e) {
      throw InputError(where + ".path: " + e.what());
    }
    const std::string want = s.model()->to_string();
    if (want != have)
      throw InputError(where + ".path: " + ms.path + " holds the model " + have + ", but model.arch is " +
                       want);
    return ms;
  }
  if (!has_seed)
    throw InputError(where + ": needs a 'seed' (trained here), a 'path' (an existing file) or "
                     "'from' and 'seed' (spawned from a checkpoint)");
  ms.seed = m["seed"].get<uint64_t>();
  if (has_from) {
    ms.from = m["from"];
    const std::optional<CheckpointRef> ref = parse_checkpoint_ref(ms.from);
    if (!ref) throw InputError(where + ".from: '" + ms.from + "' is not '<model>@epoch<N>' or '<model>@step<N>'");
    check_checkpoint_ref(s, *ref, where + ".from", true);
  }
  return ms;
}

void check_checkpoint_steps(const ExperimentSpec& spec, int spe) {
  const long long total = static_cast<long long>(spec.train.epochs) * spe;
  const std::string steps = std::to_string(total) + " optimizer steps (" + std::to_string(spe) +
                            " an epoch)";
  auto check = [&](const CheckpointRef& ref, const std::string& where, bool spawn_point) {
    const long long at = checkpoint_step(ref, spe);
    if (at > total || (spawn_point && at >= total))
      throw InputError(where + ": '" + ref.name() + "': training has " + steps +
                       (spawn_point ? ", so the spawn would have nothing to train" : ""));
    const ModelSpec* m = spec.find_model(ref.model);
    if (m && m->spawned()) {
      const long long start = checkpoint_step(*parse_checkpoint_ref(m->from), spe);
      if (at < start)
        throw InputError(where + ": '" + ref.name() + "' is before '" + m->name + "' was spawned (at step " +
                         std::to_string(start) + " of " + steps + ")");
    }
  };
  for (size_t i = 0; i < spec.models.size(); ++i)
    if (spec.models[i].spawned())
      check(*parse_checkpoint_ref(spec.models[i].from),
            spec.source + ": models[" + std::to_string(i) + "].from", true);
  for (size_t i = 0; i < spec.steps.size(); ++i)
    for (const auto& [key, name] : detail::step_kind_of(spec.steps[i]).inputs(spec.steps[i]))
      if (const auto ref = parse_checkpoint_ref(name); ref && spec.find_model(ref->model))
        check(*ref, spec.source + ": steps[" + std::to_string(i) + "]." + key, false);
}

}  // namespace ridgeline
