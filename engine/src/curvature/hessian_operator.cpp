// The Hessian operator over a batch (see hessian.h).
#include <algorithm>
#include <sstream>

#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/hessian.h"

namespace ridgeline {

namespace {

size_t block_size(const ParamBlockInfo& b) {
  size_t n = 1;
  for (int64_t d : b.shape) n *= static_cast<size_t>(d);
  return n;
}

std::string layer_of(const std::string& block) {
  const size_t dot = block.rfind('.');
  return dot == std::string::npos ? block : block.substr(0, dot);
}

}  // namespace

Dataset hessian_batch(const DataSplits& data, const std::string& split, int samples, uint64_t seed) {
  const Dataset& d = split == "train" ? data.train : data.test;
  return samples > 0 && samples < d.n ? subset(d, samples, seed) : d;
}

ParamSelection select_all(const ModelArch& arch) {
  ParamSelection s;
  s.ranges.push_back({0, arch.num_params()});
  s.size = arch.num_params();
  return s;
}

ParamSelection select_blocks(const ModelArch& arch, const std::string& name,
                             const std::string& what) {
  ParamSelection s;
  s.name = name;
  std::ostringstream names;
  for (const ParamBlockInfo& b : arch.blocks()) {
    names << (names.tellp() > 0 ? ", " : "") << b.name;
    if (b.name == name || b.name.rfind(name + ".", 0) == 0) {
      s.ranges.push_back({b.offset, block_size(b)});
      s.size += block_size(b);
    }
  }
  if (name.empty() || s.ranges.empty())
    throw InputError(what + ": '" + echo_input(name) + "' names no parameter block of " +
                     arch.to_string() + " (blocks: " + echo_input(names.str(), 300) + ")");
  return s;
}

std::vector<ParamSelection> layer_selections(const ModelArch& arch) {
  std::vector<ParamSelection> out;
  for (const ParamBlockInfo& b : arch.blocks()) {
    const std::string layer = layer_of(b.name);
    if (out.empty() || out.back().name != layer) out.push_back({layer, {}, 0});
    out.back().ranges.push_back({b.offset, block_size(b)});
    out.back().size += block_size(b);
  }
  return out;
}

struct HessianOperator::Chunk {
  DeviceBuffer x, y;
  int rows = 0;
};

HessianOperator::HessianOperator(Backend& backend, std::shared_ptr<const ModelArch> arch,
                                 const Dataset* data, int chunk)
    : be_(backend), arch_(std::move(arch)) {
  const ModelArch& a = *arch_;
  if (a.uses_data()) {
    if (!data) throw InputError("hessian: " + a.to_string() + " needs data");
    a.check_fits(*data, "model");
    if (data->n < 1) throw InputError("hessian: the batch " + data->name + " holds no samples");
    chunk = std::max(1, std::min(chunk, data->n));
    rows_ = data->n;
    std::vector<float> labels;
    for (int start = 0; start < data->n; start += chunk) {
      Chunk c;
      c.rows = std::min(chunk, data->n - start);
      const size_t nx = static_cast<size_t>(c.rows) * data->dim;
      c.x = DeviceBuffer(be_, nx);
      be_.upload(c.x.data(), data->x.data() + static_cast<size_t>(start) * data->dim, nx);
      labels.resize(static_cast<size_t>(c.rows) * data->label_width);
      labels_as_float(*data, start, c.rows, labels.data());
      c.y = DeviceBuffer(be_, labels.size());
      be_.upload(c.y.data(), labels.data(), labels.size());
      chunks_.push_back(std::move(c));
    }
  } else {
    chunk = 1;
    chunks_.emplace_back();
    chunks_.back().rows = 1;
  }
  net_ = a.compute(be_, chunk);
  const std::string why = net_->hvp_unsupported();
  if (!why.empty()) throw InputError("hessian: " + a.kind() + " model " + a.to_string() + ": " + why);
  const size_t T = a.num_params();
  params_ = DeviceBuffer(be_, T);
  v_ = DeviceBuffer(be_, T);
  hv_ = DeviceBuffer(be_, T);
  if (chunks_.size() > 1) acc_ = DeviceBuffer(be_, T);
  theta_.assign(T, 0.0f);  // θ = 0 (the buffer is zero-initialised) until set_params()
}

HessianOperator::~HessianOperator() = default;

void HessianOperator::set_params(const std::vector<float>& theta) {
  if (theta.size() != num_params())
    throw InputError("hessian: " + std::to_string(theta.size()) + " parameters do not fit " +
                     arch_->to_string());
  theta_ = theta;
  be_.upload(params_.data(), theta_.data(), theta_.size());
  prepared_ = -1;
}

void HessianOperator::prepare(size_t c) {
  if (prepared_ == static_cast<long long>(c)) return;
  Chunk& ch = chunks_[c];
  net_->forward(params_.data(), ch.x.data(), ch.rows);
  net_->loss(ch.y.data(), ch.rows, true);
  prepared_ = static_cast<long long>(c);
}

void HessianOperator::apply(const ParamSelection& sel, const std::vector<double>& v,
                            std::vector<double>& hv) {
  if (v.size() != sel.size) throw RunError("hessian: vector size does not fit the selection");
  if (cancel_) cancel_->check();
  const size_t T = num_params();
  const bool whole = sel.size == T;
  host_.assign(T, 0.0f);
  size_t k = 0;
  for (const auto& [off, n] : sel.ranges)
    for (size_t i = 0; i < n; ++i) host_[off + i] = static_cast<float>(v[k++]);
  be_.upload(v_.data(), host_.data(), T);
  float* out = chunks_.size() > 1 ? acc_.data() : hv_.data();
  for (size_t c = 0; c < chunks_.size(); ++c) {
    prepare(c);
    net_->hvp(params_.data(), v_.data(), hv_.data(), chunks_[c].rows);
    // Each chunk's HVP is of its own mean loss: weight it by its share of the rows.
    if (chunks_.size() > 1)
      be_.axpby(static_cast<float>(chunks_[c].rows) / rows_, hv_.data(), c == 0 ? 0.0f : 1.0f,
                acc_.data(), T);
  }
  be_.download(host_.data(), out, T);
  hv.resize(sel.size);
  k = 0;
  if (whole) {
    for (size_t i = 0; i < T; ++i) hv[i] = host_[i];
  } else {
    for (const auto& [off, n] : sel.ranges)
      for (size_t i = 0; i < n; ++i) hv[k++] = host_[off + i];
  }
  ++hvps_;
  if (on_hvp_) on_hvp_();
}

double HessianOperator::loss() {
  double total = 0;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    prepare(c);
    double l = 0, correct = 0;
    net_->sums(chunks_[c].rows, l, correct);
    total += l;
  }
  return total / rows_;
}

std::vector<double> HessianOperator::gradient(const ParamSelection& sel) {
  const size_t T = num_params();
  std::vector<double> g(T, 0.0);
  for (size_t c = 0; c < chunks_.size(); ++c) {
    prepare(c);
    net_->backward(params_.data(), hv_.data(), chunks_[c].rows);
    prepared_ = -1;  // backward() consumes what loss() prepared for it
    be_.download(host_.data(), hv_.data(), T);
    const double w = static_cast<double>(chunks_[c].rows) / rows_;
    for (size_t i = 0; i < T; ++i) g[i] += w * host_[i];
  }
  std::vector<double> out;
  out.reserve(sel.size);
  for (const auto& [off, n] : sel.ranges) out.insert(out.end(), g.begin() + off, g.begin() + off + n);
  return out;
}

}  // namespace ridgeline
