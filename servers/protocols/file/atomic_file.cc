#include "servers/protocols/file/atomic_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "servers/protocols/file/fs_error.h"

namespace corral::protocols::file {
namespace {

// Unique enough that 100 attempts never all collide unless something is deliberately squatting.
constexpr int kMaxNameAttempts = 100;

std::string RandomTempName() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[8] = {};
  // getrandom keeps no user-space state, so it is safe in threads and after fork.
  ssize_t got;
  do {
    got = ::getrandom(bytes, sizeof bytes, GRND_NONBLOCK);
  } while (got < 0 && errno == EINTR);
  std::string name = kTempPrefix;
  for (unsigned char byte : bytes) name.push_back(kAlphabet[byte % (sizeof kAlphabet - 1)]);
  return name;
}

int RetryEintr(auto call) {
  int result;
  do {
    result = call();
  } while (result < 0 && errno == EINTR);
  return result;
}

}  // namespace

bool NameExists(int dir, const std::string& name) {
  struct stat info;
  if (::fstatat(dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0) return true;
  return errno != ENOENT;
}

AtomicFile::AtomicFile(base::UniqueFd dir, base::UniqueFd file, std::string name,
                       std::string temp_name, bool replace)
    : dir_(std::move(dir)),
      file_(std::move(file)),
      name_(std::move(name)),
      temp_name_(std::move(temp_name)),
      replace_(replace) {}

AtomicFile::~AtomicFile() { Discard(); }

absl::StatusOr<AtomicFile> AtomicFile::Create(base::UniqueFd dir, std::string name,
                                              const Options& options) {
  if (options.use_tmpfile) {
    int fd = RetryEintr(
        [&] { return ::openat(dir.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, options.mode); });
    if (fd >= 0) {
      return AtomicFile(std::move(dir), base::UniqueFd(fd), std::move(name), "", options.replace);
    }
    if (errno != EOPNOTSUPP && errno != EISDIR) {
      return ErrnoStatus(errno, "create temporary file");
    }
  }
  for (int attempt = 0; attempt < kMaxNameAttempts; ++attempt) {
    std::string temp_name = RandomTempName();
    int fd = RetryEintr([&] {
      return ::openat(dir.get(), temp_name.c_str(),
                      O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, options.mode);
    });
    if (fd >= 0) {
      return AtomicFile(std::move(dir), base::UniqueFd(fd), std::move(name), std::move(temp_name),
                        options.replace);
    }
    if (errno != EEXIST) return ErrnoStatus(errno, "create temporary file");
  }
  return ErrnoStatus(EEXIST, "create temporary file");
}

absl::Status AtomicFile::Write(const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(file_.get(), data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write");
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status AtomicFile::Commit() {
  if (!file_.valid()) return absl::FailedPreconditionError("commit: already committed");
  if (RetryEintr([&] { return ::fsync(file_.get()); }) < 0) {
    absl::Status failed = ErrnoStatus(errno, "fsync");
    Discard();
    return failed;
  }
  absl::Status named = temp_name_.empty() ? CommitUnnamed() : CommitNamed();
  Discard();
  if (!named.ok()) return named;
  // Best effort: the file is in place; a failed directory fsync only weakens crash durability.
  RetryEintr([&] { return ::fsync(dir_.get()); });
  return absl::OkStatus();
}

absl::Status AtomicFile::CommitUnnamed() {
  std::string proc_path = absl::StrCat("/proc/self/fd/", file_.get());
  if (!replace_) {
    if (::linkat(AT_FDCWD, proc_path.c_str(), dir_.get(), name_.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      return absl::OkStatus();
    }
    if (errno == EEXIST) return absl::AlreadyExistsError("exists and overwrite is not allowed");
    return ErrnoStatus(errno, "link");
  }
  for (int attempt = 0; attempt < kMaxNameAttempts; ++attempt) {
    std::string hidden = RandomTempName();
    if (::linkat(AT_FDCWD, proc_path.c_str(), dir_.get(), hidden.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST) continue;
      return ErrnoStatus(errno, "link");
    }
    if (::renameat(dir_.get(), hidden.c_str(), dir_.get(), name_.c_str()) == 0) {
      return absl::OkStatus();
    }
    absl::Status failed = ErrnoStatus(errno, "rename");
    ::unlinkat(dir_.get(), hidden.c_str(), 0);
    return failed;
  }
  return ErrnoStatus(EEXIST, "link");
}

absl::Status AtomicFile::CommitNamed() {
  // Discard() unlinks temp_name_ afterwards in every case (after a rename, nothing is left).
  if (replace_) {
    if (::renameat(dir_.get(), temp_name_.c_str(), dir_.get(), name_.c_str()) == 0) {
      temp_name_.clear();
      return absl::OkStatus();
    }
    return ErrnoStatus(errno, "rename");
  }
  if (::linkat(dir_.get(), temp_name_.c_str(), dir_.get(), name_.c_str(), 0) == 0) {
    return absl::OkStatus();
  }
  if (errno == EEXIST) return absl::AlreadyExistsError("exists and overwrite is not allowed");
  return ErrnoStatus(errno, "link");
}

void AtomicFile::Discard() {
  if (!temp_name_.empty() && dir_.valid()) {
    ::unlinkat(dir_.get(), temp_name_.c_str(), 0);
    temp_name_.clear();
  }
  file_.Reset();
}

}  // namespace corral::protocols::file
