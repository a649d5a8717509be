#include "servers/protocols/file/file_session.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "servers/protocols/file/atomic_file.h"
#include "servers/protocols/file/directory_listing.h"
#include "servers/protocols/file/fs_error.h"
#include "servers/protocols/file/relative_path.h"
#include "servers/stats/slot_writer.h"

namespace corral::protocols::file {
namespace {

// Body chunk for GET and PUT: large enough to amortise syscalls, and on the heap so that a
// coroutine stack stays small.
constexpr size_t kChunk = 64 * 1024;

// Bounds of LingeringClose: enough for a client to notice the refusal and stop sending.
constexpr std::chrono::milliseconds kLingerTime(1000);
constexpr size_t kLingerBytes = 256 * 1024;

// LIST replies are sent in batches of about this size rather than one write per entry.
constexpr size_t kListBatch = 64 * 1024;

}  // namespace

FileSession::FileSession(const ConfinedRoot& root, const FileOptions& options, net::Stream& stream)
    : root_(root), options_(options), stream_(stream), reader_(stream, kMaxRequestLine) {}

net::Deadline FileSession::IdleDeadline() const {
  return net::DeadlineAfter(options_.idle_timeout);
}

FileSession::Next FileSession::Send(const std::string& line) {
  return stream_.WriteAll(line.data(), line.size(), IdleDeadline()).ok() ? Next::kContinue
                                                                         : Next::kClose;
}

void FileSession::Run() {
  for (;;) {
    absl::StatusOr<std::optional<std::string_view>> line = reader_.ReadLine(IdleDeadline());
    if (!line.ok()) {
      // Tell the peer why before closing, where the reason is ours to report.
      if (absl::IsDeadlineExceeded(line.status())) {
        Refuse(absl::DeadlineExceededError(absl::StrCat(
            "connection idle for more than ", options_.idle_timeout.count(), " ms; closing")));
      } else if (absl::IsResourceExhausted(line.status())) {
        Refuse(absl::ResourceExhaustedError(
            absl::StrCat("request line longer than ", kMaxRequestLine, " bytes; closing")));
        LingeringClose();
      }
      return;
    }
    if (!line->has_value()) return;  // the client closed between requests
    absl::StatusOr<Request> request = ParseRequest(**line);
    if (!request.ok()) {
      if (stats::SlotWriter* slot = stats::SlotOf(stream_.accounting())) {
        slot->OnError(stats::ErrorKind::kProtocol);
      }
      if (Refuse(request.status()) == Next::kClose) return;
      continue;
    }
    // LIST, GET and PUT are requests (answered OK or ERR alike), from the request line read to
    // the reply's (or the body's) last byte written; QUIT is not. The stream counts the bytes.
    const auto start = net::Clock::now();
    Next next = Handle(*request);
    stats::SlotWriter* const slot = stats::SlotOf(stream_.accounting());
    if (request->verb != Request::Verb::kQuit && slot != nullptr) {
      slot->OnRequest(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(net::Clock::now() - start).count()));
    }
    if (next == Next::kClose) return;
  }
}

void FileSession::LingeringClose() {
  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // refusal still in flight to the client. So: end our side, then read and drop what the
  // client still sends, for a bounded time and amount, before the caller closes.
  ::shutdown(stream_.fd(), SHUT_WR);
  net::Deadline deadline = net::DeadlineAfter(std::min(options_.idle_timeout, kLingerTime));
  char sink[4096];
  for (size_t drained = 0; drained < kLingerBytes;) {
    absl::StatusOr<size_t> n = reader_.ReadSome(sink, sizeof sink, deadline);
    if (!n.ok() || *n == 0) return;
    drained += *n;
  }
}

FileSession::Next FileSession::Handle(const Request& request) {
  switch (request.verb) {
    case Request::Verb::kList:
      return List(request.path);
    case Request::Verb::kGet:
      return Get(request.path);
    case Request::Verb::kPut:
      return Put(request.path, request.size);
    case Request::Verb::kQuit:
      break;
  }
  Send(OkLine("bye"));
  return Next::kClose;
}

FileSession::Next FileSession::List(const std::string& raw_path) {
  std::string_view object = raw_path.empty() ? std::string_view(".") : raw_path;
  absl::StatusOr<std::string> path = NormalizeRelativePath(raw_path);
  if (!path.ok()) return Refuse(WithObject("list", object, path.status()));
  absl::StatusOr<std::vector<ListEntry>> entries = ListDirectory(root_, *path);
  if (!entries.ok()) return Refuse(WithObject("list", object, entries.status()));

  std::string batch = OkLine(absl::StrCat(entries->size()));
  for (const ListEntry& entry : *entries) {
    batch += FormatListEntry(entry);
    if (batch.size() >= kListBatch) {
      if (Send(batch) == Next::kClose) return Next::kClose;
      batch.clear();
    }
  }
  return batch.empty() ? Next::kContinue : Send(batch);
}

FileSession::Next FileSession::Get(const std::string& raw_path) {
  constexpr std::string_view kAction = "download";
  absl::StatusOr<std::string> path = NormalizeRelativePath(raw_path);
  if (!path.ok()) return Refuse(WithObject(kAction, raw_path, path.status()));
  if (path->empty()) {
    return Refuse(Refusal(absl::StatusCode::kInvalidArgument, kAction, raw_path,
                          "names the served directory itself, not a file"));
  }
  // O_NONBLOCK: opening a FIFO must not block the worker; it is refused just below anyway.
  base::UniqueFd file = root_.OpenBeneath(*path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!file.valid()) return Refuse(FsError(kAction, raw_path, errno));
  struct stat info;
  if (::fstat(file.get(), &info) != 0) return Refuse(FsError(kAction, raw_path, errno));
  if (!S_ISREG(info.st_mode)) {
    return Refuse(Refusal(absl::StatusCode::kPermissionDenied, kAction, raw_path,
                          S_ISDIR(info.st_mode) ? "is a directory" : "not a regular file"));
  }

  uint64_t remaining = static_cast<uint64_t>(info.st_size);
  if (Send(OkLine(absl::StrCat(remaining))) == Next::kClose) return Next::kClose;
  std::unique_ptr<char[]> buffer(new char[kChunk]);
  while (remaining > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, kChunk));
    ssize_t n;
    do {
      n = ::read(file.get(), buffer.get(), want);
    } while (n < 0 && errno == EINTR);
    // The file shrank, or the disk failed, after the size went out: the announced byte count
    // can no longer be honoured, and padding would hand the client a corrupt file that looks
    // whole. Closing the connection is the one signal it cannot mistake for success.
    if (n <= 0) return Next::kClose;
    if (!stream_.WriteAll(buffer.get(), static_cast<size_t>(n), IdleDeadline()).ok()) {
      return Next::kClose;
    }
    remaining -= static_cast<uint64_t>(n);
  }
  // A file that grew meanwhile is cut at the announced size: the framing stays intact.
  return Next::kContinue;
}

FileSession::Next FileSession::Put(const std::string& raw_path, uint64_t size) {
  constexpr std::string_view kAction = "upload";
  absl::StatusOr<std::string> path = NormalizeRelativePath(raw_path);
  if (!path.ok()) return Refuse(WithObject(kAction, raw_path, path.status()));
  if (path->empty()) {
    return Refuse(Refusal(absl::StatusCode::kInvalidArgument, kAction, raw_path,
                          "names the served directory itself, not a file"));
  }
  if (size > options_.max_upload_bytes) {
    return Refuse(Refusal(absl::StatusCode::kOutOfRange, kAction, raw_path,
                          absl::StrCat(size, " bytes is more than the limit of ",
                                       options_.max_upload_bytes, " bytes")));
  }
  PathParts parts = SplitLastComponent(*path);
  base::UniqueFd dir = root_.OpenBeneath(parts.directory, O_RDONLY | O_DIRECTORY);
  if (!dir.valid()) return Refuse(FsError(kAction, raw_path, errno));
  // Early answer, so the client does not send a body in vain; the atomic link in Commit()
  // decides for real if another upload takes the name meanwhile.
  struct stat existing;
  if (::fstatat(dir.get(), parts.name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!options_.allow_overwrite) {
      return Refuse(Refusal(absl::StatusCode::kAlreadyExists, kAction, raw_path,
                            "exists and overwrite is not allowed"));
    }
    if (S_ISDIR(existing.st_mode)) {
      return Refuse(
          Refusal(absl::StatusCode::kPermissionDenied, kAction, raw_path, "is a directory"));
    }
  } else if (errno != ENOENT) {
    return Refuse(FsError(kAction, raw_path, errno));
  }

  AtomicFile::Options file_options;
  file_options.replace = options_.allow_overwrite;
  file_options.use_tmpfile = options_.use_tmpfile;
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(std::move(dir), parts.name, file_options);
  if (!file.ok()) return Refuse(WithObject(kAction, raw_path, file.status()));
  if (Send(ContinueLine()) == Next::kClose) return Next::kClose;

  // Read the whole body even after a local write error, so the next request line is found
  // where the client expects it; report the error once the body is in.
  absl::Status written;
  std::unique_ptr<char[]> buffer(new char[kChunk]);
  net::MinRateDeadline rate(options_.body_rate);
  for (uint64_t remaining = size; remaining > 0;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, kChunk));
    const net::Deadline deadline = rate.NextRead(options_.idle_timeout);
    absl::StatusOr<size_t> n = reader_.ReadSome(buffer.get(), want, deadline);
    if (!n.ok() && absl::IsDeadlineExceeded(n.status()) && rate.IsRateDeadline(deadline)) {
      if (stats::SlotWriter* slot = stats::SlotOf(stream_.accounting())) {
        slot->OnError(stats::ErrorKind::kBodyTimeout);
      }
      Refuse(Refusal(absl::StatusCode::kDeadlineExceeded, kAction, raw_path,
                     absl::StrCat("the body arrived slower than ",
                                  options_.body_rate.min_bytes_per_second, " bytes/s; closing")));
      return Next::kClose;
    }
    // The client vanished or stalled mid-body: the AtomicFile is discarded on return.
    if (!n.ok() || *n == 0) return Next::kClose;
    rate.Add(*n);
    if (written.ok()) written = file->Write(buffer.get(), *n);
    remaining -= *n;
  }
  if (!written.ok()) return Refuse(WithObject(kAction, raw_path, written));
  if (absl::Status committed = file->Commit(); !committed.ok()) {
    return Refuse(WithObject(kAction, raw_path, committed));
  }
  return Send(OkLine(absl::StrCat(size)));
}

}  // namespace corral::protocols::file
