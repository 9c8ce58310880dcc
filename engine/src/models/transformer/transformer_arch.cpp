// The transformer's architecture text and parameter layout (transformer.h).
#include <sstream>

#include "ridgeline/core/errors.h"
#include "transformer_layout.h"

namespace ridgeline {

int TransformerArch::tokens() const {
  if (!is_image()) return seq;
  return (image_h / patch) * (image_w / patch) + (cls_token ? 1 : 0);
}

std::string TransformerArch::to_string() const {
  std::ostringstream s;
  s << "transformer:";
  if (is_image())
    s << "image=" << image_h << "x" << image_w << ",patch=" << patch << ",classes=" << classes;
  else
    s << "tokens=" << vocab << ",seq=" << seq;
  s << ",d=" << d << ",heads=" << heads << ",layers=" << layers << ",ff=" << ff
    << ",attn=" << attention;
  if (features > 0) s << ",features=" << features;
  if (feature_seed != 0) s << ",fseed=" << feature_seed;
  if (is_image() && !cls_token) s << ",nocls";
  if (causal) s << ",causal";
  if (tied) s << ",tied";
  if (gelu_tanh) s << ",gelu_tanh";
  return s.str();
}

std::unique_ptr<attention::AttentionVariant> make_transformer_variant(const TransformerArch& a) {
  attention::VariantOptions o;
  o.features = a.features;
  o.seed = a.feature_seed;
  return attention::make_variant(a.attention, a.head_dim(), o);
}

TransformerArch parse_transformer_arch(const std::string& text, const std::string& what) {
  const std::string prefix = "transformer:";
  const std::string form =
      " (expected transformer:tokens=V,seq=L,d=D,heads=H,layers=N,ff=F,attn=NAME[,causal][,tied]"
      " or transformer:image=HxW,patch=P,classes=C,d=D,heads=H,layers=N,ff=F,attn=NAME"
      "[,nocls][,causal])";
  auto bad = [&](const std::string& why) {
    throw InputError(what + ": '" + echo_input(text) + "' " + why + form);
  };
  if (text.rfind(prefix, 0) != 0) bad("is not a transformer architecture");
  TransformerArch a;
  auto integer = [&](const std::string& key, const std::string& val, long lo, long hi) {
    size_t used = 0;
    long v = 0;
    try {
      v = std::stol(val, &used);
    } catch (...) {
      used = 0;
    }
    if (val.empty() || used != val.size()) bad("has a bad value for '" + echo_input(key) + "'");
    if (v < lo || v > hi)
      bad("has " + key + " outside " + std::to_string(lo) + ".." + std::to_string(hi));
    return static_cast<int>(v);
  };
  bool have_attn = false;
  std::stringstream ss(text.substr(prefix.size()));
  for (std::string item; std::getline(ss, item, ',');) {
    if (item == "causal") { a.causal = true; continue; }
    if (item == "tied") { a.tied = true; continue; }
    if (item == "nocls") { a.cls_token = false; continue; }
    if (item == "gelu_tanh") { a.gelu_tanh = true; continue; }
    const size_t eq = item.find('=');
    if (eq == std::string::npos) bad("has an unknown item '" + echo_input(item) + "'");
    const std::string key = item.substr(0, eq), val = item.substr(eq + 1);
    if (key == "tokens") a.vocab = integer(key, val, 2, 1 << 20);
    else if (key == "seq") a.seq = integer(key, val, 1, 1 << 16);
    else if (key == "image") {
      const size_t x = val.find('x');
      if (x == std::string::npos) bad("has image without HxW");
      a.image_h = integer("image height", val.substr(0, x), 1, 4096);
      a.image_w = integer("image width", val.substr(x + 1), 1, 4096);
    } else if (key == "patch") a.patch = integer(key, val, 1, 4096);
    else if (key == "classes") a.classes = integer(key, val, 2, 1 << 20);
    else if (key == "d") a.d = integer(key, val, 1, 8192);
    else if (key == "heads") a.heads = integer(key, val, 1, 256);
    else if (key == "layers") a.layers = integer(key, val, 1, 256);
    else if (key == "ff") a.ff = integer(key, val, 1, 1 << 16);
    else if (key == "features") a.features = integer(key, val, 1, 1 << 16);
    else if (key == "fseed") a.feature_seed = static_cast<uint64_t>(integer(key, val, 0, 1 << 30));
    else if (key == "attn") {
      a.attention = val;
      have_attn = true;
    } else bad("has an unknown key '" + echo_input(key) + "'");
  }
  const bool tokens = a.vocab > 0 || a.seq > 0, image = a.image_h > 0 || a.patch > 0 || a.classes > 0;
  if (tokens == image) bad("must name either tokens and seq or image, patch and classes");
  if (tokens && (a.vocab == 0 || a.seq == 0)) bad("names tokens without seq or seq without tokens");
  if (image) {
    if (a.image_h == 0 || a.patch == 0 || a.classes == 0) bad("needs image, patch and classes");
    if (a.image_h % a.patch != 0 || a.image_w % a.patch != 0)
      bad("has patch " + std::to_string(a.patch) + " that does not divide the image");
    if (a.tied) bad("ties the output to a token embedding but reads images");
  } else if (!a.cls_token) {
    bad("has nocls but reads tokens");
  }
  if (!have_attn) bad("names no attn");
  if (a.d % a.heads != 0)
    bad("has d " + std::to_string(a.d) + " not divisible by heads " + std::to_string(a.heads));
  try {
    make_transformer_variant(a);
  } catch (const InputError& e) {
    bad(std::string("has an attention it cannot make: ") + e.what());
  }
  return a;
}

TransformerLayout::TransformerLayout(const TransformerArch& a) {
  const int64_t d = a.d, T = a.tokens();
  size_t at = 0;
  auto take = [&](const std::string& name, std::vector<int64_t> shape) {
    size_t n = 1;
    for (int64_t s : shape) n *= static_cast<size_t>(s);
    named.push_back({name, at, std::move(shape)});
    const size_t off = at;
    at += n;
    return off;
  };
  if (a.is_image()) {
    patch_w = take("patch_embed.weight", {d, int64_t(a.patch) * a.patch});
    patch_b = take("patch_embed.bias", {d});
    if (a.cls_token) cls = take("cls_token", {1, d});
  } else {
    embed = take("tok_embed.weight", {a.vocab, d});
  }
  pos = take("pos_embed", {T, d});
  const auto variant = make_transformer_variant(a);
  variant_params = variant->num_params();
  for (int l = 0; l < a.layers; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    TransformerBlockOffsets b;
    b.ln1_w = take(p + "ln1.weight", {d});
    b.ln1_b = take(p + "ln1.bias", {d});
    b.qkv_w = take(p + "attn.qkv.weight", {3 * d, d});
    b.qkv_b = take(p + "attn.qkv.bias", {3 * d});
    for (int h = 0; h < a.heads; ++h) {
      b.variant.push_back(at);
      for (const auto& [name, shape] : variant->param_blocks()) {
        std::vector<int64_t> s(shape.begin(), shape.end());
        take(p + "attn.head" + std::to_string(h) + "." + a.attention + "." + name, s);
      }
    }
    b.proj_w = take(p + "attn.proj.weight", {d, d});
    b.proj_b = take(p + "attn.proj.bias", {d});
    b.ln2_w = take(p + "ln2.weight", {d});
    b.ln2_b = take(p + "ln2.bias", {d});
    b.fc1_w = take(p + "mlp.fc1.weight", {a.ff, d});
    b.fc1_b = take(p + "mlp.fc1.bias", {a.ff});
    b.fc2_w = take(p + "mlp.fc2.weight", {d, a.ff});
    b.fc2_b = take(p + "mlp.fc2.bias", {d});
    blocks.push_back(std::move(b));
  }
  lnf_w = take("ln_f.weight", {d});
  lnf_b = take("ln_f.bias", {d});
  if (!a.tied) {
    head_w = take("head.weight", {a.outputs(), d});
    head_b = take("head.bias", {a.outputs()});
  }
  total = at;
}

}  // namespace ridgeline
