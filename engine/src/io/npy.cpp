// Reading numpy .npy files (see io/npy.h). The format, from numpy's own description
// (numpy.lib.format): the magic "\x93NUMPY", a major and minor version byte, the header
// length (uint16 little-endian in version 1.0, uint32 in 2.0 and 3.0), then the header: the
// repr of a Python dict {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with
// spaces and ending in '\n', then the data.
#include "ridgeline/io/npy.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "ridgeline/core/errors.h"
#include "ridgeline/core/tensor.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline {

namespace {

static_assert(std::endian::native == std::endian::little, "npy reader assumes little-endian");

[[noreturn]] void bad(const std::string& path, const std::string& problem) {
  throw InputError(path + ": " + problem);
}

/// numpy.lib.format refuses headers over 10,000 bytes unless told otherwise
/// (read_array_header's max_header_size, "for safety"); so does this reader.
constexpr size_t kMaxHeaderBytes = 10000;

/// The header dictionary, parsed strictly: only the literals numpy writes.
struct Header {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<int64_t>> shape;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), t_(text) {}

  Header parse() {
    Header h;
    skip_space();
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = quoted();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr" && !h.descr) {
        h.descr = quoted();
      } else if (key == "fortran_order" && !h.fortran_order) {
        h.fortran_order = boolean();
      } else if (key == "shape" && !h.shape) {
        h.shape = tuple();
      } else {
        fail("unexpected or repeated key '" + echo_input(key) + "'");
      }
      skip_space();
      if (peek() == ',') ++i_;
      else if (peek() != '}') fail("expected ',' or '}'");
    }
    ++i_;
    skip_space();
    if (i_ != t_.size()) fail("text after the dictionary");
    if (!h.descr || !h.fortran_order || !h.shape)
      fail("the dictionary needs 'descr', 'fortran_order' and 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    bad(path_, "npy header is not numpy's dictionary (" + what + " at byte " +
                   std::to_string(i_) + " of \"" + echo_input(t_) + "\")");
  }
  char peek() const { return i_ < t_.size() ? t_[i_] : '\0'; }
  void skip_space() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\t')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string quoted() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    const size_t end = t_.find(q, i_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(t_.substr(i_ + 1, end - i_ - 1));
    if (s.find('\\') != std::string::npos) fail("escapes in a string");
    i_ = end + 1;
    return s;
  }
  bool boolean() {
    if (t_.substr(i_, 4) == "True") return i_ += 4, true;
    if (t_.substr(i_, 5) == "False") return i_ += 5, false;
    fail("expected True or False");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> dims;
    bool comma = false;  // after the last dimension
    expect('(');
    for (;;) {
      skip_space();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("expected a dimension");
      int64_t d = 0;
      while (peek() >= '0' && peek() <= '9') {
        const int digit = peek() - '0';
        if (d > (std::numeric_limits<int64_t>::max() - digit) / 10) fail("dimension too large");
        d = d * 10 + digit;
        ++i_;
      }
      dims.push_back(d);
      skip_space();
      comma = peek() == ',';
      if (comma) ++i_;
      else if (peek() != ')') fail("expected ',' or ')'");
    }
    ++i_;
    if (dims.size() == 1 && !comma) fail("a 1-tuple needs its comma, as in (3,)");
    return dims;
  }

  const std::string& path_;
  std::string_view t_;
  size_t i_ = 0;
};

/// Bytes per element of the dtypes read, 0 for others.
size_t item_size(const std::string& descr) {
  if (descr == "<f4" || descr == "<i4") return 4;
  if (descr == "<f8" || descr == "<i8") return 8;
  if (descr == "|u1") return 1;
  return 0;
}

}  // namespace

NpyArray read_npy(const std::string& path) { return parse_npy(path, read_file(path)); }

NpyArray parse_npy(const std::string& path, std::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != std::string_view("\x93NUMPY", 6))
    bad(path, "not a .npy file (no \\x93NUMPY magic)");
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const int major = byte(6), minor = byte(7);
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    bad(path, "unsupported .npy format version " + std::to_string(major) + "." +
                  std::to_string(minor) + " (1.0, 2.0 and 3.0 are read)");
  size_t hlen = 0, at = 10;
  if (major == 1) {
    hlen = byte(8) | (byte(9) << 8);
  } else {
    if (bytes.size() < 12) bad(path, "truncated .npy header");
    hlen = byte(8) | (byte(9) << 8) | (static_cast<size_t>(byte(10)) << 16) |
           (static_cast<size_t>(byte(11)) << 24);
    at = 12;
  }
  if (hlen > kMaxHeaderBytes)
    bad(path, ".npy header of " + std::to_string(hlen) + " bytes exceeds numpy's limit of " +
                  std::to_string(kMaxHeaderBytes));
  if (hlen > bytes.size() - at)
    bad(path, "truncated .npy header (" + std::to_string(hlen) + " bytes announced, " +
                  std::to_string(bytes.size() - at) + " present)");
  const Header h = HeaderParser(path, bytes.substr(at, hlen)).parse();
  NpyArray a;
  a.descr = *h.descr;
  a.shape = *h.shape;
  const size_t esize = item_size(a.descr);
  if (esize == 0)
    bad(path, "unsupported dtype '" + echo_input(a.descr) +
                  "' (read: <f4, <f8, <i4, <i8, |u1)");
  if (*h.fortran_order) bad(path, "Fortran-order arrays are not read (save with C order)");
  uint64_t numel = 1;
  for (int64_t d : a.shape)
    if (d != 0 && numel > std::numeric_limits<uint64_t>::max() / esize / static_cast<uint64_t>(d))
      bad(path, "shape " + shape_string(a.shape) + " is too large");
    else
      numel *= static_cast<uint64_t>(d);
  const uint64_t have = bytes.size() - at - hlen;
  if (numel * esize != have)
    bad(path, "shape " + shape_string(a.shape) + " of " + a.descr + " needs " +
                  std::to_string(numel * esize) + " data bytes, the file has " +
                  std::to_string(have) + (have < numel * esize ? ": truncated" : ""));
  const char* p = bytes.data() + at + hlen;
  a.values.resize(numel);
  for (uint64_t i = 0; i < numel; ++i, p += esize) {
    if (a.descr == "<f4") {
      float v;
      std::memcpy(&v, p, 4);
      a.values[i] = v;
    } else if (a.descr == "<f8") {
      std::memcpy(&a.values[i], p, 8);
    } else if (a.descr == "<i4") {
      int32_t v;
      std::memcpy(&v, p, 4);
      a.values[i] = v;
    } else if (a.descr == "<i8") {
      int64_t v;
      std::memcpy(&v, p, 8);
      constexpr int64_t kExact = int64_t{1} << 53;
      if (v > kExact || v < -kExact)
        bad(path, "int64 element " + std::to_string(i) + " (" + std::to_string(v) +
                      ") has no exact double");
      a.values[i] = static_cast<double>(v);
    } else {
      a.values[i] = static_cast<unsigned char>(*p);
    }
  }
  return a;
}

}  // namespace ridgeline
