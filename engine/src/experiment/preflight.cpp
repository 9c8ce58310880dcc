// Checks before any work starts: output locations and memory (see preflight.h).
#include "ridgeline/experiment/preflight.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "ridgeline/core/errors.h"

namespace ridgeline {

namespace fs = std::filesystem;

namespace {

// The nearest existing ancestor of `p` (p itself when it exists); "." for a relative path
// none of whose folders exist yet.
fs::path nearest_existing(const fs::path& p) {
  std::error_code ec;
  fs::path q = p;
  while (!q.empty() && !fs::exists(fs::symlink_status(q, ec)) && q != q.root_path())
    q = q.parent_path();
  return q.empty() ? fs::path(".") : q;
}

// Creates and removes a file in `dir`: the one test of "can create files here" that also
// holds for root and read-only mounts.
void probe_writable(const fs::path& dir, const std::string& path, const std::string& who) {
  std::random_device rd;
  const fs::path probe =
      dir / (".ridgeline-probe-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int e = errno;
    throw InputError(who + ": cannot write '" + path + "' (" + dir.string() + ": " +
                     std::strerror(e) + ")");
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

// Checks the folder that will hold (or become) `target`'s parent.
void check_creatable_under(const fs::path& folder, const std::string& path,
                           const std::string& who) {
  const fs::path anc = nearest_existing(folder.empty() ? fs::path(".") : folder);
  std::error_code ec;
  if (!fs::is_directory(anc, ec))
    throw InputError(who + ": cannot write '" + path + "' ('" + anc.string() +
                     "' is not a folder)");
  probe_writable(anc, path, who);
}

std::string gib(long double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1Lf GiB", bytes / (1024.0L * 1024 * 1024));
  return buf;
}

// A number from a cgroup file ("max" or unreadable: none).
uint64_t cgroup_limit(const char* file) {
  std::ifstream in(file);
  std::string s;
  if (!(in >> s) || s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return UINT64_MAX;
  try {
    return std::stoull(s);
  } catch (...) {
    return UINT64_MAX;
  }
}

}  // namespace

void check_output_file(const std::string& path, const std::string& who) {
  if (path.empty()) throw InputError(who + ": empty path");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) throw InputError(who + ": '" + path + "' is a folder, not a file");
  if (fs::exists(st) && !fs::is_regular_file(st))
    throw InputError(who + ": '" + path + "' is not a regular file");
  check_creatable_under(fs::path(path).parent_path(), path, who);
}

void check_output_folder(const std::string& path, const std::string& who) {
  if (path.empty()) throw InputError(who + ": empty path");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::exists(st) && !fs::is_directory(st))
    throw InputError(who + ": '" + path + "' is not a folder");
  if (fs::is_directory(st))
    probe_writable(path, path, who);
  else
    check_creatable_under(fs::path(path).parent_path(), path, who);
}

uint64_t memory_limit_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  uint64_t limit = pages > 0 && page > 0
                       ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page)
                       : UINT64_MAX;
  limit = std::min(limit, cgroup_limit("/sys/fs/cgroup/memory.max"));  // cgroup v2
  limit = std::min(limit, cgroup_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"));  // v1
  return limit;
}

uint64_t estimated_memory_bytes(const ModelArch& arch, int64_t rows, int copies) {
  // Long double: an absurd architecture must not wrap around to a small number.
  const long double params = static_cast<long double>(arch.num_params());
  // Per model: parameters, gradient, two optimiser moments. Per batch row: what the model
  // keeps for the backward pass and its gradients (ModelArch::activation_floats_per_row).
  const long double floats =
      params * (3.0L + std::max(copies, 1)) +
      static_cast<long double>(std::max<int64_t>(rows, 1)) * arch.activation_floats_per_row();
  const long double bytes = 4.0L * floats;
  return bytes >= 1.8e19L ? UINT64_MAX : static_cast<uint64_t>(bytes);
}

void check_fits_memory(const ModelArch& arch, int64_t rows, int copies, const std::string& who) {
  const uint64_t need = estimated_memory_bytes(arch, rows, copies), have = memory_limit_bytes();
  if (need <= have) return;
  throw InputError(who + ": " + arch.to_string() + " needs about " + gib(need) + " of memory (" +
                   std::to_string(arch.num_params()) + " parameters), more than the " + gib(have) +
                   " this machine has");
}

}  // namespace ridgeline
