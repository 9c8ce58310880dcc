#include "ridgeline/safetensors.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "ridgeline/errors.h"
#include "ridgeline/fileio.h"

namespace ridgeline {

namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors reader/writer assumes a little-endian host");

using ojson = nlohmann::ordered_json;

[[noreturn]] void bad(const std::string& path, const std::string& problem) {
  throw InputError(path + ": " + problem);
}

size_t dtype_size(const std::string& dt) {
  if (dt == "F32") return 4;
  if (dt == "F16" || dt == "BF16") return 2;
  if (dt == "F64") return 8;
  return 0;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h >> 15) << 31;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0) {  // zero or subnormal: mant × 2^-24 (exact in float)
    float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // inf / nan
  return std::bit_cast<float>(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

uint64_t read_u64_le(const std::string& s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

uint64_t json_offset(const std::string& path, const std::string& name, const ojson& v,
                     const char* what) {
  if (!v.is_number_unsigned())
    bad(path, "tensor " + name + ": " + what + " entries must be non-negative integers");
  return v.get<uint64_t>();
}

std::string joined(const std::string& prefix, const char* leaf) {
  return prefix.empty() ? std::string(leaf) : prefix + "." + leaf;
}

/// Natural order: digit runs compare by numeric value ("2" < "10").
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t ie = i, je = j;
      while (ie < a.size() && digit(a[ie])) ++ie;
      while (je < b.size() && digit(b[je])) ++je;
      size_t iz = i, jz = j;
      while (iz + 1 < ie && a[iz] == '0') ++iz;
      while (jz + 1 < je && b[jz] == '0') ++jz;
      const std::string_view na(a.data() + iz, ie - iz), nb(b.data() + jz, je - jz);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      if (ie - i != je - j) return ie - i < je - j;  // fewer leading zeros first
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

struct Linear {
  std::string prefix;
  const Tensor* w = nullptr;
  const Tensor* b = nullptr;
  int64_t in() const { return w->shape[1]; }
  int64_t out() const { return w->shape[0]; }
};

Mlp assemble(const std::string& path, const std::vector<Linear>& chain) {
  Mlp m;
  for (size_t l = 0; l < chain.size(); ++l) {
    const Linear& L = chain[l];
    if (L.in() <= 0 || L.out() <= 0 || L.in() > INT_MAX || L.out() > INT_MAX)
      bad(path, "layer " + joined(L.prefix, "weight") + " has unusable shape " +
                    shape_string(L.w->shape));
    if (l == 0) m.arch.widths.push_back(static_cast<int>(L.in()));
    m.arch.widths.push_back(static_cast<int>(L.out()));
    m.arch.layer_names.push_back(L.prefix);
  }
  m.arch.activation = Activation::Relu;
  ParamLayout lay(m.arch);
  m.params.assign(lay.total, 0.0f);
  for (size_t l = 0; l < chain.size(); ++l) {
    std::copy(chain[l].w->data.begin(), chain[l].w->data.end(),
              m.params.begin() + static_cast<std::ptrdiff_t>(lay.weight_offset[l]));
    std::copy(chain[l].b->data.begin(), chain[l].b->data.end(),
              m.params.begin() + static_cast<std::ptrdiff_t>(lay.bias_offset[l]));
  }
  return m;
}

Mlp load_with_metadata(const std::string& path, const SafetensorsFile& f) {
  const std::string& arch_text = f.metadata.at("ridgeline.arch");
  MlpArch arch = parse_arch(arch_text, path + ": metadata ridgeline.arch");
  auto act = f.metadata.find("ridgeline.activation");
  if (act != f.metadata.end() && act->second != "relu")
    bad(path, "unsupported activation \"" + act->second + "\" in metadata");
  std::vector<std::string> names;
  {
    std::string cur;
    for (char c : f.metadata.at("ridgeline.layers")) {
      if (c == ',') names.push_back(cur), cur.clear();
      else cur += c;
    }
    names.push_back(cur);
  }
  if (static_cast<int>(names.size()) != arch.num_layers())
    bad(path, "metadata ridgeline.layers names " + std::to_string(names.size()) +
                  " layers but ridgeline.arch " + arch_text + " has " +
                  std::to_string(arch.num_layers()));
  std::vector<Linear> chain;
  std::vector<std::string> used;
  for (int l = 0; l < arch.num_layers(); ++l) {
    Linear L;
    L.prefix = names[l];
    const std::string wn = joined(L.prefix, "weight"), bn = joined(L.prefix, "bias");
    L.w = f.find(wn);
    L.b = f.find(bn);
    if (!L.w) bad(path, "missing tensor " + wn + " named by metadata");
    if (!L.b) bad(path, "missing tensor " + bn + " named by metadata");
    const std::vector<int64_t> ws{arch.widths[l + 1], arch.widths[l]}, bs{arch.widths[l + 1]};
    if (L.w->shape != ws)
      bad(path, "tensor " + wn + " has shape " + shape_string(L.w->shape) + ", expected " +
                    shape_string(ws) + " for " + arch_text);
    if (L.b->shape != bs)
      bad(path, "tensor " + bn + " has shape " + shape_string(L.b->shape) + ", expected " +
                    shape_string(bs) + " for " + arch_text);
    used.push_back(wn);
    used.push_back(bn);
    chain.push_back(L);
  }
  for (const auto& [name, t] : f.tensors)
    if (std::find(used.begin(), used.end(), name) == used.end())
      bad(path, "unexpected tensor " + name + " (not a layer of " + arch_text + ")");
  return assemble(path, chain);
}

Mlp load_state_dict(const std::string& path, const SafetensorsFile& f) {
  std::vector<Linear> layers;
  auto layer_for = [&](const std::string& prefix) -> Linear& {
    for (auto& L : layers)
      if (L.prefix == prefix) return L;
    layers.push_back(Linear{prefix});
    return layers.back();
  };
  for (const auto& [name, t] : f.tensors) {
    auto ends = [&](const std::string& sfx) {
      return name == sfx || (name.size() > sfx.size() + 1 &&
                             name.compare(name.size() - sfx.size() - 1, std::string::npos,
                                          "." + sfx) == 0);
    };
    if (ends("weight")) {
      const std::string prefix = name == "weight" ? "" : name.substr(0, name.size() - 7);
      if (t.shape.size() != 2)
        bad(path, "tensor " + name + " has shape " + shape_string(t.shape) +
                      ", expected a 2-D [out, in] weight");
      layer_for(prefix).w = &t;
    } else if (ends("bias")) {
      const std::string prefix = name == "bias" ? "" : name.substr(0, name.size() - 5);
      if (t.shape.size() != 1)
        bad(path, "tensor " + name + " has shape " + shape_string(t.shape) +
                      ", expected a 1-D [out] bias");
      layer_for(prefix).b = &t;
    } else {
      bad(path, "unexpected tensor " + name + " (an MLP has only <layer>.weight and "
                "<layer>.bias tensors)");
    }
  }
  if (layers.empty()) bad(path, "no <layer>.weight / <layer>.bias tensors: not an MLP");
  for (const auto& L : layers) {
    if (!L.b) bad(path, "weight " + joined(L.prefix, "weight") + " has no bias " +
                            joined(L.prefix, "bias"));
    if (!L.w) bad(path, "bias " + joined(L.prefix, "bias") + " has no weight " +
                            joined(L.prefix, "weight"));
    if (L.b->shape[0] != L.w->shape[0])
      bad(path, "tensor " + joined(L.prefix, "bias") + " has shape " + shape_string(L.b->shape) +
                    " but " + joined(L.prefix, "weight") + " has " + shape_string(L.w->shape));
  }
  std::sort(layers.begin(), layers.end(),
            [](const Linear& a, const Linear& b) { return natural_less(a.prefix, b.prefix); });
  // Depth-first search for a chain through every layer; candidates in natural order, so the
  // first complete chain found is the natural-order tie-break. Steps are capped.
  const size_t n = layers.size();
  std::vector<size_t> order;
  std::vector<char> used(n, 0);
  long steps = 0;
  std::function<bool()> extend = [&]() -> bool {
    if (order.size() == n) return true;
    if (++steps > 1000000) return false;
    for (size_t i = 0; i < n; ++i) {
      if (used[i]) continue;
      if (!order.empty() && layers[i].in() != layers[order.back()].out()) continue;
      used[i] = 1;
      order.push_back(i);
      if (extend()) return true;
      order.pop_back();
      used[i] = 0;
    }
    return false;
  };
  if (!extend()) {
    std::string shapes;
    for (const auto& L : layers) {
      if (!shapes.empty()) shapes += ", ";
      shapes += joined(L.prefix, "weight") + " " + shape_string(L.w->shape);
    }
    bad(path, "layers do not chain into one MLP (" + shapes + ")");
  }
  std::vector<Linear> chain;
  for (size_t i : order) chain.push_back(layers[i]);
  return assemble(path, chain);
}

}  // namespace

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

SafetensorsFile read_safetensors(const std::string& path) {
  const std::string bytes = read_file(path);
  if (bytes.size() < 8)
    bad(path, "too short for a safetensors file (" + std::to_string(bytes.size()) + " bytes)");
  const uint64_t hlen = read_u64_le(bytes);
  if (hlen > bytes.size() - 8)
    bad(path, "header length " + std::to_string(hlen) + " runs past the end of the file (" +
                  std::to_string(bytes.size()) + " bytes): truncated or not a safetensors file");
  const ojson header = ojson::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(hlen),
                                    nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) bad(path, "header is not valid JSON");
  if (!header.is_object()) bad(path, "header is not a JSON object");
  const char* data = bytes.data() + 8 + hlen;
  const uint64_t data_size = bytes.size() - 8 - hlen;

  SafetensorsFile f;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  std::vector<std::string> range_names;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) bad(path, "__metadata__ is not a JSON object");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) bad(path, "__metadata__ value of \"" + k + "\" is not a string");
        f.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object()) bad(path, "tensor " + name + ": header entry is not a JSON object");
    if (!entry.contains("dtype") || !entry["dtype"].is_string())
      bad(path, "tensor " + name + ": missing dtype");
    if (!entry.contains("shape") || !entry["shape"].is_array())
      bad(path, "tensor " + name + ": missing shape");
    if (!entry.contains("data_offsets") || !entry["data_offsets"].is_array() ||
        entry["data_offsets"].size() != 2)
      bad(path, "tensor " + name + ": data_offsets must be [begin, end]");
    const std::string dtype = entry["dtype"].get<std::string>();
    const size_t esize = dtype_size(dtype);
    if (esize == 0) bad(path, "unsupported dtype " + dtype + " for tensor " + name);
    Tensor t;
    uint64_t numel = 1;
    bool huge = false;
    for (const auto& s : entry["shape"]) {
      if (!s.is_number_integer())
        bad(path, "tensor " + name + ": shape entries must be integers");
      if (!s.is_number_unsigned()) bad(path, "tensor " + name + ": negative shape entry");
      const uint64_t d = s.get<uint64_t>();
      if (d > static_cast<uint64_t>(INT64_MAX)) huge = true;
      else if (d != 0 && numel > (UINT64_MAX / 8) / d) huge = true;
      else numel *= d;
      t.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(d, INT64_MAX)));
    }
    const uint64_t b = json_offset(path, name, entry["data_offsets"][0], "data_offsets");
    const uint64_t e = json_offset(path, name, entry["data_offsets"][1], "data_offsets");
    if (b > e)
      bad(path, "tensor " + name + ": data_offsets [" + std::to_string(b) + ", " +
                    std::to_string(e) + "] end before they begin");
    if (huge || numel * esize != e - b)
      bad(path, "tensor " + name + ": shape " + shape_string(t.shape) + " of " + dtype +
                    " needs " + (huge ? std::string("too many") : std::to_string(numel * esize)) +
                    " bytes but data_offsets span " + std::to_string(e - b));
    if (e > data_size)
      bad(path, "tensor " + name + ": data_offsets end at " + std::to_string(e) +
                    " past the data (" + std::to_string(data_size) + " bytes): truncated file?");
    if (e > b) {
      ranges.emplace_back(b, e);
      range_names.push_back(name);
    }
    const char* p = data + b;
    t.data.resize(numel);
    if (numel == 0) {
      // nothing to convert
    } else if (dtype == "F32") {
      std::memcpy(t.data.data(), p, numel * 4);
    } else if (dtype == "F64") {
      constexpr float kInf = std::numeric_limits<float>::infinity();
      for (uint64_t i = 0; i < numel; ++i) {
        double v;
        std::memcpy(&v, p + 8 * i, 8);
        // Doubles that round past FLT_MAX become ±inf (the cast itself would be undefined).
        t.data[i] = std::isfinite(v) && std::fabs(v) >= 0x1.ffffffp+127
                        ? (v > 0 ? kInf : -kInf)
                        : static_cast<float>(v);
      }
    } else {
      for (uint64_t i = 0; i < numel; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        t.data[i] = dtype == "F16" ? half_to_float(h)
                                   : std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
      }
    }
    f.tensors.emplace_back(name, std::move(t));
  }
  std::vector<size_t> idx(ranges.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t c) { return ranges[a] < ranges[c]; });
  for (size_t k = 1; k < idx.size(); ++k)
    if (ranges[idx[k]].first < ranges[idx[k - 1]].second)
      bad(path, "tensors " + range_names[idx[k - 1]] + " and " + range_names[idx[k]] +
                    " overlap in the data");
  return f;
}

void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  ojson header = ojson::object();
  if (!file.metadata.empty()) {
    ojson meta = ojson::object();
    for (const auto& [k, v] : file.metadata) meta[k] = v;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    if (name == "__metadata__" || header.contains(name))
      throw RunError(path + ": duplicate or reserved tensor name " + name);
    if (t.numel() != static_cast<int64_t>(t.data.size()))
      throw RunError(path + ": tensor " + name + " has shape " + shape_string(t.shape) +
                     " but " + std::to_string(t.data.size()) + " values");
    const uint64_t bytes = t.data.size() * 4;
    header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h;
  try {
    h = header.dump();
  } catch (const nlohmann::json::exception& e) {
    throw RunError(path + ": cannot encode safetensors header (" + e.what() + ")");
  }
  h.append((8 - h.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + h.size() + offset);
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += h;
  for (const auto& [name, t] : file.tensors)
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * 4);
  write_file_atomic(path, out);
}

Mlp load_mlp(const std::string& path) {
  const SafetensorsFile f = read_safetensors(path);
  if (f.metadata.count("ridgeline.arch") && f.metadata.count("ridgeline.layers"))
    return load_with_metadata(path, f);
  return load_state_dict(path, f);
}

void save_mlp(const std::string& path, const Mlp& mlp,
              const std::map<std::string, std::string>& extra) {
  const MlpArch& arch = mlp.arch;
  const ParamLayout lay(arch);
  if (mlp.params.size() != lay.total)
    throw RunError(path + ": model has " + std::to_string(mlp.params.size()) +
                   " parameters but " + arch.to_string() + " needs " + std::to_string(lay.total));
  std::vector<std::string> names = arch.layer_names;
  if (names.empty())
    for (int l = 0; l < arch.num_layers(); ++l) names.push_back("fc" + std::to_string(l));
  if (static_cast<int>(names.size()) != arch.num_layers())
    throw RunError(path + ": " + std::to_string(names.size()) + " layer names for " +
                   std::to_string(arch.num_layers()) + " layers");
  SafetensorsFile f;
  std::string layers;
  for (int l = 0; l < arch.num_layers(); ++l) {
    if (names[l].find(',') != std::string::npos)
      throw RunError(path + ": layer name \"" + names[l] + "\" contains a comma");
    layers += (l ? "," : "") + names[l];
    const int64_t out = arch.widths[l + 1], in = arch.widths[l];
    Tensor w, b;
    w.shape = {out, in};
    b.shape = {out};
    auto wb = mlp.params.begin() + static_cast<std::ptrdiff_t>(lay.weight_offset[l]);
    auto bb = mlp.params.begin() + static_cast<std::ptrdiff_t>(lay.bias_offset[l]);
    w.data.assign(wb, wb + out * in);
    b.data.assign(bb, bb + out);
    f.tensors.emplace_back(joined(names[l], "weight"), std::move(w));
    f.tensors.emplace_back(joined(names[l], "bias"), std::move(b));
  }
  f.metadata = extra;
  f.metadata["ridgeline.arch"] = arch.to_string();
  f.metadata["ridgeline.layers"] = layers;
  f.metadata["ridgeline.activation"] = "relu";
  f.metadata["format"] = "pt";
  write_safetensors(path, f);
}

void check_compatible(const Mlp& a, const std::string& a_name, const Mlp& b,
                      const std::string& b_name) {
  if (!a.arch.same_shape(b.arch))
    throw InputError(a_name + " (" + a.arch.to_string() + ") and " + b_name + " (" +
                     b.arch.to_string() + ") have different architectures");
}

}  // namespace ridgeline
