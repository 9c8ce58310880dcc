#include "ridgeline/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"

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

}  // namespace ridgeline
