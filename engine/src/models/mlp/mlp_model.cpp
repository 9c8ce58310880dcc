// The MLP behind the model interface (see mlp_model.h and models/model.h).
#include "ridgeline/models/mlp/mlp_symmetry.h"
#include "ridgeline/models/mlp/mlp_model.h"

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_compute.h"
#include "mlp_points.h"

namespace ridgeline {

namespace {

class MlpModelArch final : public ModelArch {
 public:
  explicit MlpModelArch(MlpArch arch) : arch_(std::move(arch)), lay_(arch_) {}
  const MlpArch& mlp() const { return arch_; }

  std::string kind() const override { return "mlp"; }
  std::string to_string() const override { return arch_.to_string(); }
  size_t num_params() const override { return lay_.total; }

  std::vector<ParamBlockInfo> blocks() const override {
    std::vector<ParamBlockInfo> b;
    for (int l = 0; l < arch_.num_layers(); ++l) {
      const std::string name = l < static_cast<int>(arch_.layer_names.size())
                                   ? arch_.layer_names[l]
                                   : "fc" + std::to_string(l);
      const int64_t out = arch_.widths[l + 1], in = arch_.widths[l];
      b.push_back({name + ".weight", lay_.weight_offset[l], {out, in}});
      b.push_back({name + ".bias", lay_.bias_offset[l], {out}});
      if (l < static_cast<int>(lay_.ln_weight_offset.size())) {
        const std::string ln = l < static_cast<int>(arch_.norm_names.size())
                                   ? arch_.norm_names[l]
                                   : "ln" + std::to_string(l);
        b.push_back({ln + ".weight", lay_.ln_weight_offset[l], {out}});
        b.push_back({ln + ".bias", lay_.ln_bias_offset[l], {out}});
      }
    }
    return b;
  }

  std::vector<float> init(uint64_t seed) const override { return init_mlp(arch_, seed).params; }
  PermutationSpec permutation_spec() const override { return mlp_permutation_spec(arch_); }

  void check_fits(const Dataset& data, const std::string& who) const override {
    ridgeline::check_fits(arch_, data, who);
  }

  bool same_shape(const ModelArch& other) const override {
    const MlpArch* o = as_mlp_arch(other);
    return o && arch_.same_shape(*o);
  }

  std::unique_ptr<ModelCompute> compute(Backend& backend, int max_rows) const override {
    return std::make_unique<MlpCompute>(backend, arch_, max_rows);
  }

  PointValues evaluate_points(Backend& backend, const ParameterPoints& points, const Dataset* data,
                              int chunk, const PointHooks& hooks,
                              const std::function<void()>& on_chunk,
                              const CancelToken* cancel) const override {
    return detail::mlp_evaluate_points(backend, arch_, points, *data, chunk, hooks, on_chunk,
                                       cancel);
  }

  // bf16: the later layers' GEMMs through oneDNN (mlp_points.cpp); a single-layer MLP has
  // none, so bf16 would be fp32 under another name: refused.
  bool supports_precision(Precision p) const override {
    return p == Precision::Fp32 || arch_.num_layers() > 1;
  }

  std::string hvp_unsupported() const override { return {}; }  // every MLP has HVPs

  int evaluation_chunks(int points, int chunk, int n) const override {
    const int m = detail::mlp_chunk_rows(arch_, points, std::max(1, chunk), n);
    return (n + m - 1) / m;
  }

  std::map<std::string, std::string> metadata() const override {
    return {{"ridgeline.kind", "mlp"}, {"ridgeline.arch", arch_.to_string()}};
  }

 private:
  MlpArch arch_;
  ParamLayout lay_;
};

}  // namespace

std::shared_ptr<const ModelArch> mlp_model_arch(const MlpArch& arch) {
  return std::make_shared<MlpModelArch>(arch);
}

const MlpArch* as_mlp_arch(const ModelArch& arch) {
  const auto* m = dynamic_cast<const MlpModelArch*>(&arch);
  return m ? &m->mlp() : nullptr;
}

Model to_model(const Mlp& m) { return {mlp_model_arch(m.arch), m.params}; }

Mlp to_mlp(const Model& m, const std::string& what) {
  const MlpArch* a = m.arch ? as_mlp_arch(*m.arch) : nullptr;
  if (!a)
    throw InputError(what + ": this analysis needs an MLP, not a " +
                     (m.arch ? echo_input(m.arch->to_string()) : std::string("model without architecture")));
  return {*a, m.params};
}

}  // namespace ridgeline
