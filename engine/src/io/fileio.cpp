#include "ridgeline/io/fileio.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "ridgeline/core/errors.h"

namespace ridgeline {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError(path + ": cannot read (is a directory)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read (" + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path + ": cannot read (I/O error)");
  return std::move(ss).str();
}

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw RunError(path + ": cannot write (" + what + ": " + std::strerror(err) + ")");
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  fs::path target(path);
  fs::path dir = target.parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw RunError(path + ": cannot create folder " + dir.string() + " (" + ec.message() + ")");
  }
  std::random_device rd;
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "open temp file", errno);
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(path, "write", e);
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(path, "fsync", e);
  }
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    fail(path, "close", e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    fail(path, "rename", e);
  }
  // Make the rename durable: fsync the folder (best effort).
  std::string dname = dir.empty() ? std::string(".") : dir.string();
  int dfd = ::open(dname.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

namespace {

template <typename T>
void write_npy_impl(const std::string& path, const std::vector<T>& data,
                    const std::vector<int64_t>& shape, const char* descr) {
  int64_t n = 1;
  for (auto s : shape) {
    if (s < 0) throw RunError(path + ": negative dimension in shape " + std::to_string(s));
    n *= s;
  }
  if (n != static_cast<int64_t>(data.size()))
    throw RunError(path + ": npy shape does not match data size (" + std::to_string(n) +
                   " vs " + std::to_string(data.size()) + ")");
  std::string sh = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    sh += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) sh += ",";
    if (i + 1 < shape.size()) sh += " ";
  }
  sh += ")";
  std::string dict =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + sh + ", }";
  // magic(6) + version(2) + header_len(2) + dict + padding + '\n' ≡ 0 (mod 64)
  size_t base = 10 + dict.size() + 1;
  size_t pad = (64 - base % 64) % 64;
  dict.append(pad, ' ');
  dict.push_back('\n');
  if (dict.size() > 65535) throw RunError(path + ": npy header too long");
  std::string out;
  out.reserve(10 + dict.size() + data.size() * sizeof(T));
  out.append("\x93NUMPY", 6);
  out.push_back('\x01');
  out.push_back('\x00');
  auto hl = static_cast<uint16_t>(dict.size());
  out.push_back(static_cast<char>(hl & 0xff));
  out.push_back(static_cast<char>(hl >> 8));
  out += dict;
  static_assert(std::endian::native == std::endian::little, "npy writer assumes little-endian");
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(T));
  write_file_atomic(path, out);
}

}  // namespace

void write_npy(const std::string& path, const std::vector<float>& data,
               const std::vector<int64_t>& shape) {
  write_npy_impl(path, data, shape, "<f4");
}

void write_npy(const std::string& path, const std::vector<double>& data,
               const std::vector<int64_t>& shape) {
  write_npy_impl(path, data, shape, "<f8");
}

void write_npy(const std::string& path, const std::vector<int32_t>& data,
               const std::vector<int64_t>& shape) {
  write_npy_impl(path, data, shape, "<i4");
}

}  // namespace ridgeline
