// Run folder ownership by a lock file (see run_owner.h).
#include "experiment/run_owner.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "ridgeline/core/errors.h"

namespace ridgeline::detail {

namespace fs = std::filesystem;

namespace {

constexpr const char* kOwnerFile = ".owner";

std::string owner_file(const std::string& run_dir) {
  return (fs::path(run_dir) / kOwnerFile).string();
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// What the lock file says about its owner (first line), for messages.
std::string recorded_owner(int fd) {
  char buf[256] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s.empty() ? "another process" : s;
}

}  // namespace

RunOwner::RunOwner(const std::string& run_dir) {
  const std::string file = owner_file(run_dir);
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw InputError(run_dir + ": cannot create " + kOwnerFile + " (" + std::strerror(errno) + ")");
  // A reader (run_is_abandoned) holds a shared lock for microseconds: wait that out, not a run.
  bool locked = false;
  for (int attempt = 0; attempt < 20 && !locked; ++attempt) {
    locked = ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
    if (!locked) ::usleep(50 * 1000);
  }
  if (!locked) {
    const std::string who = recorded_owner(fd_);
    ::close(fd_);
    fd_ = -1;
    throw InputError(run_dir + ": another run is using this folder (" + who + ")");
  }
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  description_ = "pid " + std::to_string(::getpid()) + " on host " + host_name() + " since " + when;
  const std::string text = description_ + "\n";
  // Informative only: the lock is what counts, so a short write is harmless.
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, text.data(), text.size(), 0);
}

RunOwner::~RunOwner() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

bool run_is_abandoned(const std::string& run_dir) {
  const int fd = ::open(owner_file(run_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // never owned (an older Ridgeline), or not a run folder: unknown
  const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
  ::close(fd);  // releases the shared lock, if taken
  return free;
}

std::string shown_status(const std::string& run_dir, const std::string& recorded) {
  if (recorded == "running" && run_is_abandoned(run_dir)) return "interrupted";
  return recorded;
}

}  // namespace ridgeline::detail
