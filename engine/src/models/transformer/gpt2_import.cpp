// GPT-2-family checkpoint folders as transformers (gpt2_import.h).
#include "ridgeline/models/transformer/gpt2_import.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "io/json_number.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/transformer/transformer.h"
#include "transformer_layout.h"

namespace ridgeline {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kMaxJsonDepth = 16;

struct TooDeep {};

json parse_config(const std::string& file, const std::string& text) {
  json c;
  try {
    c = json::parse(text, [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxJsonDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    throw InputError(file + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  } catch (const json::exception& e) {
    throw InputError(file + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!c.is_object()) throw InputError(file + ": not a JSON object");
  return c;
}

// The architecture a config describes (one layout's keys), checked.
struct Config {
  int vocab = 0, positions = 0, d = 0, layers = 0, heads = 0, ff = 0;
  bool gelu_tanh = false, bias = true;
};

Config read_config(const std::string& file, const json& c) {
  auto integer = [&](const char* key, int lo, int hi) -> int {
    if (!c.contains(key)) throw InputError(file + ": key " + key + " is missing");
    try {
      return static_cast<int>(json_number::integer(c[key], key, lo, hi));
    } catch (const std::runtime_error& e) {
      throw InputError(file + ": " + e.what() + " (" + std::to_string(lo) + ".." +
                       std::to_string(hi) + ")");
    }
  };
  auto flag_is = [&](const char* key, bool bad_value, const std::string& why) {
    if (c.contains(key) && c[key].is_boolean() && c[key].get<bool>() == bad_value)
      throw InputError(file + ": key " + key + " is " + (bad_value ? "true" : "false") + ": " + why);
  };
  Config g;
  if (c.contains("model_type") && !(c["model_type"].is_string() && c["model_type"] == "gpt2"))
    throw InputError(file + ": key model_type is " + echo_input(c["model_type"].dump(), 40) +
                     ", not \"gpt2\" (only GPT-2-family checkpoints load)");
  g.vocab = integer("vocab_size", 2, 1 << 20);
  g.positions = c.contains("n_positions") ? integer("n_positions", 1, 1 << 16)
                : c.contains("n_ctx")     ? integer("n_ctx", 1, 1 << 16)
                                          : integer("block_size", 1, 1 << 16);
  g.d = integer("n_embd", 1, 8192);
  g.layers = integer("n_layer", 1, 256);
  g.heads = integer("n_head", 1, 256);
  if (g.d % g.heads != 0)
    throw InputError(file + ": n_embd " + std::to_string(g.d) + " is not divisible by n_head " +
                     std::to_string(g.heads));
  g.ff = 4 * g.d;
  if (c.contains("n_inner") && !c["n_inner"].is_null()) g.ff = integer("n_inner", 1, 1 << 16);
  // Hugging Face's default activation is gelu_new; nanoGPT's configs have none and use nn.GELU.
  const bool hf = c.contains("n_positions") || c.contains("n_ctx") || c.contains("model_type");
  std::string act = hf ? "gelu_new" : "gelu";
  if (c.contains("activation_function")) {
    if (!c["activation_function"].is_string())
      throw InputError(file + ": key activation_function is not a string");
    act = c["activation_function"];
  }
  if (act == "gelu_new" || act == "gelu_pytorch_tanh")
    g.gelu_tanh = true;
  else if (act != "gelu")
    throw InputError(file + ": key activation_function is \"" + echo_input(act, 40) +
                     "\"; supported: gelu_new, gelu_pytorch_tanh (tanh form), gelu (erf form)");
  if (c.contains("layer_norm_epsilon")) {
    const json& e = c["layer_norm_epsilon"];
    if (!e.is_number() || std::fabs(e.get<double>() - kTransformerLnEps) > 1e-12)
      throw InputError(file + ": key layer_norm_epsilon is " + echo_input(e.dump(), 40) +
                       "; only 1e-05 is supported");
  }
  flag_is("add_cross_attention", true, "cross-attention is not supported");
  flag_is("scale_attn_weights", false, "unscaled attention is not supported");
  flag_is("scale_attn_by_inverse_layer_idx", true, "per-layer attention scaling is not supported");
  flag_is("tie_word_embeddings", false, "an untied output head is not supported");
  if (c.contains("bias")) {
    if (!c["bias"].is_boolean()) throw InputError(file + ": key bias is not true or false");
    g.bias = c["bias"].get<bool>();
  }
  return g;
}

// [rows, cols] → [cols, rows].
std::vector<float> transposed(const Tensor& t) {
  const int64_t r = t.shape[0], c = t.shape[1];
  std::vector<float> out(t.data.size());
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) out[static_cast<size_t>(j * r + i)] = t.data[static_cast<size_t>(i * c + j)];
  return out;
}

}  // namespace

bool is_checkpoint_folder(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_regular_file(fs::path(path) / "config.json", ec);
}

Model gpt2_from_files(const std::string& where, const std::string& config_json,
                      const SafetensorsFile& weights) {
  const std::string cfile = (fs::path(where) / "config.json").string();
  const std::string wfile = (fs::path(where) / "model.safetensors").string();
  const Config g = read_config(cfile, parse_config(cfile, config_json));

  // Names without the optional "transformer." prefix.
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : weights.tensors) {
    const std::string key = name.rfind("transformer.", 0) == 0 ? name.substr(12) : name;
    if (!by_name.emplace(key, &t).second)
      throw InputError(wfile + ": tensor " + echo_input(key, 80) + " appears twice (with and without 'transformer.')");
  }
  auto tensor = [&](const std::string& key) -> const Tensor* {
    const auto it = by_name.find(key);
    return it == by_name.end() ? nullptr : it->second;
  };
  auto shape_of = [](std::initializer_list<int64_t> s) { return std::vector<int64_t>(s); };
  // Layout from block 0's fused QKV weight: Conv1D [d, 3d] or Linear [3d, d].
  const Tensor* qkv0 = tensor("h.0.attn.c_attn.weight");
  if (!qkv0) throw InputError(wfile + ": tensor h.0.attn.c_attn.weight is missing");
  bool conv1d;
  if (qkv0->shape == shape_of({g.d, 3 * int64_t(g.d)}))
    conv1d = true;
  else if (qkv0->shape == shape_of({3 * int64_t(g.d), g.d}))
    conv1d = false;
  else
    throw InputError(wfile + ": tensor h.0.attn.c_attn.weight has shape " + shape_string(qkv0->shape) +
                     ", neither [n_embd, 3·n_embd] (Conv1D) nor [3·n_embd, n_embd] (Linear) for n_embd " +
                     std::to_string(g.d));

  TransformerArch a;
  a.vocab = g.vocab;
  a.seq = g.positions;
  a.d = g.d;
  a.heads = g.heads;
  a.layers = g.layers;
  a.ff = g.ff;
  a.attention = "softmax";
  a.causal = true;
  a.tied = true;
  a.gelu_tanh = g.gelu_tanh;
  Model m;
  m.arch = transformer_model_arch(a);
  const TransformerLayout lay(a);

  // Two passes over the tensors: the first checks every name and shape, so that the
  // parameter vector a config claims is allocated only once the file holds all of it.
  bool copying = false;
  std::set<std::string> used;
  // Copies tensor `key` of `shape` (as stored) into the flat vector at `off`, transposing a
  // stored-[in, out] Conv1D weight; a missing bias of a bias-free nanoGPT stays zero.
  auto put = [&](const std::string& key, std::vector<int64_t> stored, size_t off, bool transpose,
                 bool optional_bias = false) {
    const Tensor* t = tensor(key);
    if (!t) {
      if (optional_bias && !g.bias) return;
      throw InputError(wfile + ": tensor " + key + " is missing");
    }
    if (t->shape != stored)
      throw InputError(wfile + ": tensor " + key + " has shape " + shape_string(t->shape) +
                       ", expected " + shape_string(stored));
    used.insert(key);
    if (!copying) return;
    const std::vector<float> v = transpose ? transposed(*t) : t->data;
    std::copy(v.begin(), v.end(), m.params.begin() + static_cast<ptrdiff_t>(off));
  };
  const int64_t d = g.d, ff = g.ff, V = g.vocab;
  auto load_all = [&]() {
    put("wte.weight", {V, d}, lay.embed, false);
    put("wpe.weight", {int64_t(g.positions), d}, lay.pos, false);
    // A stored weight of PyTorch shape [out, in]: Conv1D stores [in, out] and is transposed.
    auto weight = [&](const std::string& key, int64_t out, int64_t in, size_t off) {
      if (conv1d)
        put(key, {in, out}, off, true);
      else
        put(key, {out, in}, off, false);
    };
    for (int l = 0; l < g.layers; ++l) {
      const std::string h = "h." + std::to_string(l) + ".";
      const TransformerBlockOffsets& b = lay.blocks[l];
      put(h + "ln_1.weight", {d}, b.ln1_w, false);
      put(h + "ln_1.bias", {d}, b.ln1_b, false, true);
      weight(h + "attn.c_attn.weight", 3 * d, d, b.qkv_w);
      put(h + "attn.c_attn.bias", {3 * d}, b.qkv_b, false, true);
      weight(h + "attn.c_proj.weight", d, d, b.proj_w);
      put(h + "attn.c_proj.bias", {d}, b.proj_b, false, true);
      put(h + "ln_2.weight", {d}, b.ln2_w, false);
      put(h + "ln_2.bias", {d}, b.ln2_b, false, true);
      weight(h + "mlp.c_fc.weight", ff, d, b.fc1_w);
      put(h + "mlp.c_fc.bias", {ff}, b.fc1_b, false, true);
      weight(h + "mlp.c_proj.weight", d, ff, b.fc2_w);
      put(h + "mlp.c_proj.bias", {d}, b.fc2_b, false, true);
      for (const char* buffer : {"attn.bias", "attn.masked_bias"})  // causal-mask buffers
        if (tensor(h + buffer)) used.insert(h + buffer);
    }
    put("ln_f.weight", {d}, lay.lnf_w, false);
    put("ln_f.bias", {d}, lay.lnf_b, false, true);
    if (const Tensor* head = tensor("lm_head.weight")) {
      const Tensor* wte = tensor("wte.weight");
      if (head->shape != wte->shape || head->data != wte->data)
        throw InputError(wfile + ": tensor lm_head.weight differs from wte.weight; an untied output "
                         "head is not supported");
      used.insert("lm_head.weight");
    }
  };
  load_all();
  for (const auto& [key, t] : by_name) {
    if (used.count(key)) continue;
    const bool cross = key.find("crossattention") != std::string::npos ||
                       key.find("ln_cross_attn") != std::string::npos;
    throw InputError(wfile + ": unexpected tensor " + echo_input(key, 80) +
                     (cross ? " (cross-attention is not supported)"
                            : " (not part of a GPT-2 of this config)"));
  }
  copying = true;
  m.params.assign(m.arch->num_params(), 0.0f);
  load_all();
  return m;
}

Model load_gpt2_folder(const std::string& dir) {
  const fs::path p(dir);
  std::error_code ec;
  if (!fs::is_directory(p, ec)) throw InputError(dir + ": not a checkpoint folder");
  const std::string cfile = (p / "config.json").string(), wfile = (p / "model.safetensors").string();
  if (!fs::is_regular_file(wfile, ec))
    throw InputError(dir + ": no model.safetensors beside config.json (sharded or .bin "
                           "checkpoints are not supported)");
  return gpt2_from_files(dir, read_file(cfile), read_safetensors(wfile));
}

Model with_sequence_length(const Model& model, int seq) {
  const TransformerArch* a = model.arch ? as_transformer_arch(*model.arch) : nullptr;
  if (!a || a->is_image() || !a->causal)
    throw InputError("sequence length: only causal token transformers can be shortened");
  if (seq < 1 || seq > a->seq)
    throw InputError("sequence length: " + std::to_string(seq) + " tokens for a model of " +
                     std::to_string(a->seq) + " positions");
  if (seq == a->seq) return model;
  TransformerArch b = *a;
  b.seq = seq;
  Model out;
  out.arch = transformer_model_arch(b);
  const TransformerLayout from(*a), to(b);
  out.params.resize(to.total);
  // Every block keeps its order; only pos_embed shrinks to its first `seq` rows.
  const size_t d = a->d;
  std::copy(model.params.begin(), model.params.begin() + from.pos + seq * d, out.params.begin());
  std::copy(model.params.begin() + from.pos + a->seq * d, model.params.end(),
            out.params.begin() + to.pos + seq * d);
  return out;
}

}  // namespace ridgeline
