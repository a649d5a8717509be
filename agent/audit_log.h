// AuditLog: HOME/audit.log, one line per mutating call (Start, Stop, Restart, Remove, and any
// later rpc that CallerAccess::Check asks the operator role for): when, who, what, on which
// server, and the outcome. Written for an operator asking "who stopped web at 3 am?", over the
// unix socket and the TCP listener alike.
//
// A line looks like
//   2026-12-08T01:45:00.123Z who="token alice" peer="ipv4:10.0.0.7:51234" method=Stop
//   server="web" outcome=OK
// (one line; fields in that order; values quoted, with \" \\ and control characters escaped,
// and cut to kMaxFieldBytes, so that a line is bounded and one line is one record).
//
// Appending never waits on the disk: lines go to a bounded queue that a thread of its own
// writes. When the queue is full (the disk stalls), lines are dropped and counted, and the next
// line written says how many were lost. The file is rotated to audit.log.1 past kMaxFileBytes.
//
// Thread-safety: Append from any thread; the destructor writes what is queued, then joins.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace corral::agent {

struct AuditRecord {
  absl::Time when;
  std::string who;      // "token alice", "uid 1000 (pid 4242)", "certificate CN=ci"
  std::string peer;     // gRPC's name of the connection: "ipv4:10.0.0.7:51234", "fd:12"
  std::string method;   // "Stop"
  std::string server;   // the server named by the request; empty when none
  std::string outcome;  // "OK", or the status code and message of the refusal or failure
};

// The record as one line, without the newline.
std::string FormatAuditLine(const AuditRecord& record);

class AuditLog {
 public:
  static constexpr size_t kMaxFieldBytes = 256;
  static constexpr size_t kMaxQueuedLines = 4096;
  static constexpr int64_t kMaxFileBytes = 16 << 20;

  // Opens (creates, mode 0600) HOME/audit.log for appending and starts the writer.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& home);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  static std::string Path(const std::string& home) { return home + "/audit.log"; }

  // Queues the record; returns at once, whatever the disk does.
  void Append(const AuditRecord& record);

 private:
  AuditLog(std::string path, int fd);
  void WriteLoop();
  // Writes `text` to the file, rotating first when it is full. Writer thread.
  void Write(const std::string& text);

  const std::string path_;
  int fd_;  // writer thread only, after construction
  int64_t size_ = 0;
  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace corral::agent
