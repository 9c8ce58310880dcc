#include "ridgeline/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <unordered_set>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline {

namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors reader/writer assumes a little-endian host");

// Headers are parsed into nlohmann::json (a std::map: O(log n) per key) with the file order
// kept beside it; nlohmann::ordered_json finds keys by linear search, quadratic in tensors.
using json = nlohmann::json;

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

uint64_t read_u64_le(std::string_view s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

uint64_t json_offset(const std::string& path, const std::string& name, const json& v,
                     const char* what) {
  if (!v.is_number_unsigned())
    bad(path, "tensor " + name + ": " + what + " entries must be non-negative integers");
  return v.get<uint64_t>();
}

/// The reference implementation's cap on the header (safetensors MAX_HEADER_SIZE, 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
/// A valid header nests three levels (header → tensor entry → shape); anything far deeper is
/// not a safetensors header, and is refused before it costs memory or stack.
constexpr int kMaxHeaderDepth = 8;

/// A SAX pass over the header before it is built: refuses what nlohmann::json would otherwise
/// accept silently, a key repeated in one object (the parser keeps the last; the format's
/// reference reader refuses duplicate tensor names), and nesting deeper than kMaxHeaderDepth;
/// records the top-level keys in file order. (nlohmann's parser callback cannot do this: its
/// DOM builder rescans the enclosing object after every member, quadratic in tensors.)
class HeaderCheck : public nlohmann::json_sax<json> {
 public:
  HeaderCheck(const std::string& path, std::vector<std::string>& order)
      : path_(path), order_(order) {}

  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return enter();
  }
  bool end_object() override {
    keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    keys_.emplace_back();  // arrays have no keys; kept for the depth count
    return enter();
  }
  bool end_array() override {
    keys_.pop_back();
    return true;
  }
  bool key(string_t& k) override {
    if (!keys_.back().insert(k).second)
      bad(path_, keys_.size() == 1
                     ? "tensor name \"" + echo_input(k) + "\" appears twice in the header"
                     : "key \"" + echo_input(k) + "\" appears twice in one header object");
    if (keys_.size() == 1) order_.push_back(k);
    return true;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool enter() {
    if (keys_.size() > static_cast<size_t>(kMaxHeaderDepth))
      bad(path_, "header nests deeper than " + std::to_string(kMaxHeaderDepth) +
                     " levels: not a safetensors header");
    return true;
  }

  const std::string& path_;
  std::vector<std::string>& order_;
  std::vector<std::set<std::string>> keys_;  // per open object or array
};

/// The header: its JSON object and its top-level keys in file order.
struct Header {
  json object;
  std::vector<std::string> order;
};

Header parse_header(const std::string& path, std::string_view text) {
  Header h;
  HeaderCheck check(path, h.order);
  if (!json::sax_parse(text.begin(), text.end(), &check)) bad(path, "header is not valid JSON");
  h.object = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (h.object.is_discarded()) bad(path, "header is not valid JSON");
  if (!h.object.is_object()) bad(path, "header is not a JSON object");
  return h;
}

/// The format allows NaN and ±inf, but a model holding one is broken: refuse it by
/// default, naming the tensor and the first bad element.
void check_finite(const std::string& path, const std::string& name, const Tensor& t) {
  for (size_t i = 0; i < t.data.size(); ++i)
    if (!std::isfinite(t.data[i]))
      bad(path, "tensor " + name + ": element " + std::to_string(i) + " of " +
                    std::to_string(t.data.size()) + " is " +
                    (std::isnan(t.data[i]) ? "NaN" : t.data[i] > 0 ? "+inf" : "-inf") +
                    " (refused; a model with non-finite values is broken)");
}

/// A tensor's byte range in the data buffer, for the coverage check.
struct Range {
  uint64_t begin, end;
  size_t tensor;  // index into SafetensorsFile::tensors
};

/// The format requires the data buffer to be "entirely indexed, and cannot contain holes"
/// (https://huggingface.co/docs/safetensors, "Format"): sorted by offset, every tensor starts
/// where the previous one ends and the last ends at the end of the file. Holes and overlaps
/// would let one file mean two things (polyglot files).
void check_coverage(const std::string& path, std::vector<Range> ranges, uint64_t data_size,
                    const SafetensorsFile& f) {
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  std::string previous;  // the tensor that ends at `expected`, quoted
  for (const Range& r : ranges) {
    const std::string name = echo_input(f.tensors[r.tensor].first);
    if (r.begin < expected)
      bad(path, "tensors " + previous + " and " + name + " overlap in the data (bytes " +
                    std::to_string(r.begin) + " to " + std::to_string(expected) + ")");
    if (r.begin > expected)
      bad(path, "data bytes " + std::to_string(expected) + " to " + std::to_string(r.begin) +
                    " belong to no tensor (a hole " +
                    (previous.empty() ? "before " + name : "between " + previous + " and " + name) +
                    "); the format forbids holes");
    expected = r.end;
    previous = name;
  }
  if (expected != data_size)
    bad(path, "the last " + std::to_string(data_size - expected) + " data bytes belong to no " +
                  "tensor; the format forbids holes");
}

}  // namespace

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

SafetensorsFile read_safetensors(const std::string& path, const SafetensorsReadOptions& opt) {
  return parse_safetensors(path, read_file(path), opt);
}

SafetensorsFile parse_safetensors(const std::string& path, std::string_view bytes,
                                  const SafetensorsReadOptions& opt) {
  if (bytes.size() < 8)
    bad(path, "too short for a safetensors file (" + std::to_string(bytes.size()) + " bytes)");
  const uint64_t hlen = read_u64_le(bytes);
  if (hlen > bytes.size() - 8)
    bad(path, "header length " + std::to_string(hlen) + " runs past the end of the file (" +
                  std::to_string(bytes.size()) + " bytes): truncated or not a safetensors file");
  if (hlen > kMaxHeaderBytes)
    bad(path, "header length " + std::to_string(hlen) + " exceeds the format's limit of " +
                  std::to_string(kMaxHeaderBytes) + " bytes");
  // "The header data MUST begin with a { character (0x7B)" (the format's specification).
  if (hlen == 0 || bytes[8] != '{') bad(path, "header does not begin with '{': not a safetensors file");
  const Header header = parse_header(path, bytes.substr(8, hlen));
  const char* data = bytes.data() + 8 + hlen;
  const uint64_t data_size = bytes.size() - 8 - hlen;

  SafetensorsFile f;
  std::vector<Range> ranges;
  for (const std::string& key : header.order) {
    const json& entry = header.object.at(key);
    if (key == "__metadata__") {
      if (!entry.is_object()) bad(path, "__metadata__ is not a JSON object");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string())
          bad(path, "__metadata__ value of \"" + echo_input(k) + "\" is not a string");
        f.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string name = echo_input(key);  // as quoted in messages
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
    if (esize == 0) bad(path, "unsupported dtype " + echo_input(dtype) + " for tensor " + name);
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
    ranges.push_back({b, e, f.tensors.size()});
    const char* p = data + b;
    t.data.resize(numel);
    if (numel == 0) {
      // nothing to convert
    } else if (dtype == "F32") {
      std::memcpy(t.data.data(), p, numel * 4);
    } else if (dtype == "F64") {
      for (uint64_t i = 0; i < numel; ++i) {
        double v;
        std::memcpy(&v, p + 8 * i, 8);
        // Finite doubles that round past FLT_MAX have no float32 value (and the cast would be
        // undefined behaviour): refuse them rather than make them infinite.
        if (std::isfinite(v) && std::fabs(v) >= 0x1.ffffffp+127)
          bad(path, "tensor " + name + ": F64 element " + std::to_string(i) + " (" +
                        std::to_string(v) + ") overflows float32");
        t.data[i] = static_cast<float>(v);
      }
    } else {
      for (uint64_t i = 0; i < numel; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        t.data[i] = dtype == "F16" ? half_to_float(h)
                                   : std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
      }
    }
    if (!opt.allow_non_finite) check_finite(path, name, t);
    f.tensors.emplace_back(key, std::move(t));
  }
  check_coverage(path, std::move(ranges), data_size, f);
  return f;
}

void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  // The header is written as text (names JSON-escaped by nlohmann::json), in tensor order;
  // building an ordered_json object would cost a linear search per tensor.
  auto quote = [&](const std::string& s) {
    try {
      return json(s).dump();
    } catch (const json::exception& e) {
      throw RunError(path + ": cannot encode safetensors header (" + e.what() + ")");
    }
  };
  std::string h = "{";
  if (!file.metadata.empty()) {
    h += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : file.metadata) {
      h += (first ? "" : ",") + quote(k) + ":" + quote(v);
      first = false;
    }
    h += "}";
  }
  std::unordered_set<std::string_view> names;
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    if (name == "__metadata__" || !names.insert(name).second)
      throw RunError(path + ": duplicate or reserved tensor name " + echo_input(name));
    if (t.numel() != static_cast<int64_t>(t.data.size()))
      throw RunError(path + ": tensor " + echo_input(name) + " has shape " + shape_string(t.shape) +
                     " but " + std::to_string(t.data.size()) + " values");
    const uint64_t bytes = t.data.size() * 4;
    h += (h.size() > 1 ? "," : "") + quote(name) + ":{\"dtype\":\"F32\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) h += (i ? "," : "") + std::to_string(t.shape[i]);
    h += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  h += "}";
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
