// The transformer behind the model interface (transformer.h, models/model.h), and the
// analyses that look inside it: attention captures, maps and predictions.
#include <cmath>
#include <numbers>
#include <random>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_symmetry.h"
#include "ridgeline/paths/evaluator.h"
#include "transformer_compute.h"

namespace ridgeline {

namespace {

// Portable standard normals (Box–Muller on mt19937_64 bits), the same on every machine.
struct Normal {
  std::mt19937_64 rng;
  explicit Normal(uint64_t seed) : rng(seed) {}
  double uniform() { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }
  double operator()() {
    const double u = uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }
};

class TransformerModelArch final : public ModelArch {
 public:
  explicit TransformerModelArch(TransformerArch a) : arch_(std::move(a)), lay_(arch_) {}
  const TransformerArch& transformer() const { return arch_; }

  std::string kind() const override { return "transformer"; }
  std::string to_string() const override { return arch_.to_string(); }
  size_t num_params() const override { return lay_.total; }
  std::vector<ParamBlockInfo> blocks() const override { return lay_.named; }

  /// GPT-2's and ViT's initialisation: weights, embeddings, positions and the class token
  /// N(0, 0.02²), biases 0, LayerNorm gains 1 and shifts 0; each head's variant parameters
  /// start at the variant's own initial values.
  std::vector<float> init(uint64_t seed) const override {
    std::vector<float> p(lay_.total, 0.0f);
    Normal normal(seed * 0x9E3779B97F4A7C15ull + 0x7472616E73ull);
    auto fill = [&](size_t off, size_t n) {
      for (size_t i = 0; i < n; ++i) p[off + i] = static_cast<float>(0.02 * normal());
    };
    const size_t d = arch_.d;
    for (const ParamBlockInfo& b : lay_.named) {
      size_t n = 1;
      for (int64_t s : b.shape) n *= static_cast<size_t>(s);
      const std::string& name = b.name;
      auto ends = [&](const std::string& t) {
        return name.size() >= t.size() && name.compare(name.size() - t.size(), t.size(), t) == 0;
      };
      if (ends("ln1.weight") || ends("ln2.weight") || name == "ln_f.weight")
        std::fill_n(p.begin() + b.offset, n, 1.0f);
      else if (ends(".weight") || name == "pos_embed" || name == "cls_token")
        fill(b.offset, n);
    }
    const auto v = make_transformer_variant(arch_);
    for (const auto& blk : lay_.blocks)
      for (size_t off : blk.variant)
        for (int i = 0; i < v->num_params(); ++i) p[off + i] = static_cast<float>(v->params()[i]);
    (void)d;
    return p;
  }

  PermutationSpec permutation_spec() const override {
    return transformer_permutation_spec(arch_);
  }
  std::string hvp_unsupported() const override {
    return transformer_hvp_unsupported(arch_);
  }

  void check_fits(const Dataset& data, const std::string& who) const override {
    const std::string me = who + " " + echo_input(arch_.to_string());
    if (data.dim != arch_.inputs())
      throw InputError(me + " expects " + std::to_string(arch_.inputs()) +
                       (arch_.is_image() ? " pixels" : " tokens") + " per example but " +
                       data.name + " has " + std::to_string(data.dim));
    const int width = arch_.is_image() ? 1 : arch_.seq;
    if (data.label_width != width)
      throw InputError(me + (arch_.is_image() ? " classifies images but " + data.name +
                                                    " labels every position"
                                              : " predicts a token per position but " +
                                                    data.name + " labels whole rows"));
    if (data.classes > arch_.outputs())
      throw InputError(me + " has " + std::to_string(arch_.outputs()) + " outputs but " +
                       data.name + " has " + std::to_string(data.classes) + " classes");
  }

  long double activation_floats_per_row() const override {
    // Per token and layer the forward keeps the stream, both LayerNorm outputs, Q/K/V, the
    // attention output and the mid stream (8·d) and the MLP's two ff-wide vectors; the backward
    // needs as much again. Each layer's heads may hold a T×T map per head, and every token
    // its logits and their gradient (transformer_compute.h).
    const long double T = arch_.tokens(), d = arch_.d, ff = arch_.ff, H = arch_.heads;
    const long double per_layer = 2.0L * T * (8.0L * d + 2.0L * ff) + H * T * T;
    return arch_.inputs() + arch_.layers * per_layer + T * (4.0L * d + 2.0L * arch_.outputs());
  }

  bool same_shape(const ModelArch& other) const override {
    const TransformerArch* o = as_transformer_arch(other);
    return o && *o == arch_;
  }

  std::unique_ptr<ModelCompute> compute(Backend& backend, int max_rows) const override {
    return std::make_unique<TransformerCompute>(backend, arch_, max_rows);
  }

  PointValues evaluate_points(Backend& be, const ParameterPoints& points, const Dataset* data,
                              int chunk, const PointHooks& hooks,
                              const std::function<void()>& on_chunk,
                              const CancelToken* cancel) const override {
    const size_t P = points.coeffs.size(), T = lay_.total;
    PointValues v;
    if (P == 0) return v;
    if (!data) throw InputError("transformer: evaluating points needs data");
    check_fits(*data, "model");
    if (data->n < 1) throw InputError(data->name + ": no samples");
    chunk = std::max(1, std::min(chunk, data->n));
    const DevicePoints dp = device_points(be, points, T, hooks);
    TransformerCompute net(be, arch_, chunk);
    std::vector<float> labels(static_cast<size_t>(chunk) * data->label_width);
    for (size_t k = 0; k < P; ++k) {
      double loss = 0, correct = 0;
      for (int start = 0; start < data->n; start += chunk) {
        if (cancel) cancel->check();
        const int rows = std::min(chunk, data->n - start);
        net.forward(dp.params.data() + k * T, data->x.data() + static_cast<size_t>(start) * data->dim,
                    rows, {});
        labels_as_float(*data, start, rows, labels.data());
        net.loss(labels.data(), rows, false);
        double l, c;
        net.sums(rows, l, c);
        loss += l;
        correct += c;
      }
      v.loss.push_back(loss / data->n);
      v.error.push_back(1.0 - correct / data->n);
      if (on_chunk) on_chunk();
    }
    return v;
  }
  int evaluation_chunks(int points, int, int) const override { return points; }
  std::map<std::string, std::string> metadata() const override {
    return {{"ridgeline.kind", "transformer"}, {"ridgeline.arch", arch_.to_string()}};
  }

 private:
  TransformerArch arch_;
  TransformerLayout lay_;
};

const TransformerArch& checked(const Model& model, const std::vector<float>& x, int rows,
                               const std::string& who) {
  const TransformerArch* a = model.arch ? as_transformer_arch(*model.arch) : nullptr;
  if (!a)
    throw InputError(who + ": " + (model.arch ? model.arch->to_string() : "the model") +
                     " is not a transformer");
  if (model.params.size() != model.arch->num_params())
    throw InputError(who + ": " + std::to_string(model.params.size()) +
                     " parameters do not fit " + a->to_string());
  if (rows < 1 || x.size() != static_cast<size_t>(rows) * a->inputs())
    throw InputError(who + ": " + std::to_string(x.size()) + " input values for " +
                     std::to_string(rows) + " examples of " + std::to_string(a->inputs()));
  return *a;
}

}  // namespace

std::shared_ptr<const ModelArch> transformer_model_arch(const TransformerArch& arch) {
  return std::make_shared<TransformerModelArch>(arch);
}

const TransformerArch* as_transformer_arch(const ModelArch& arch) {
  const auto* t = dynamic_cast<const TransformerModelArch*>(&arch);
  return t ? &t->transformer() : nullptr;
}

std::vector<AttentionCapture> capture_attention(const Model& model, const std::vector<float>& x,
                                                int rows) {
  const TransformerArch& a = checked(model, x, rows, "attention capture");
  auto be = make_backend("cpu", host_threads());  // the caller's thread count, not all cores
  TransformerCompute net(*be, a, rows);
  net.forward(model.params.data(), x.data(), rows, {});
  std::vector<AttentionCapture> out;
  for (int r = 0; r < rows; ++r) out.push_back(net.capture(r));
  return out;
}

std::vector<attention::MatrixF> attention_maps(const Model& model, const AttentionCapture& c) {
  const TransformerArch* a = model.arch ? as_transformer_arch(*model.arch) : nullptr;
  if (!a) throw InputError("attention maps: the model is not a transformer");
  const TransformerLayout lay(*a);
  std::vector<attention::MatrixF> maps;
  for (int l = 0; l < c.layers; ++l)
    for (int h = 0; h < c.heads; ++h) {
      auto v = make_transformer_variant(*a);
      if (lay.variant_params > 0) {
        const float* p = model.params.data() + lay.blocks[l].variant[h];
        v->set_params(std::vector<double>(p, p + lay.variant_params));
      }
      maps.push_back(v->materialise(c.query(l, h), c.key(l, h), a->causal));
    }
  return maps;
}

std::vector<int32_t> transformer_predict(const Model& model, const std::vector<float>& x,
                                         int rows) {
  const TransformerArch& a = checked(model, x, rows, "prediction");
  auto be = make_backend("cpu", host_threads());  // the caller's thread count, not all cores
  TransformerCompute net(*be, a, rows);
  net.forward(model.params.data(), x.data(), rows, {});
  return net.predict(model.params.data(), rows);
}

}  // namespace ridgeline
