// FileProtocol: the file server (list a directory, download a file, upload one) as a
// StreamProtocol, so it runs unchanged under the fork, thread and coroutine models. The wire
// protocol is described in PROTOCOL.md; in short, one request line at a time:
//
//   LIST [DIR]      -> OK COUNT, then COUNT lines "TYPE SIZE NAME" (list_entry.h)
//   GET PATH        -> OK SIZE, then exactly SIZE bytes
//   PUT PATH SIZE   -> CONTINUE, then the client sends exactly SIZE bytes -> OK SIZE
//                      (or ERR before the body, which is then not sent)
//   QUIT            -> OK bye, and the server closes
//   any refusal     -> ERR CODE MESSAGE (codes in reply.h); the connection stays usable,
//                      except after 408 (idle) and 414 (line too long), where it is closed.
//
// Paths are relative to the served root and confined to it by the kernel (confined_root.h).
// Uploads are atomic (atomic_file.h): a broken upload leaves nothing behind, and without
// allow_overwrite an existing name is never replaced, even by two racing uploads.
//
// Thread-safety: Serve() is const and keeps per-connection state on its stack; the object holds
// only the root descriptor and the options, so any number of workers share one instance, and a
// forked child can use the copy it inherits.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "servers/net/min_rate_deadline.h"
#include "servers/protocols/file/confined_root.h"
#include "servers/protocols/stream_protocol.h"
#include "spec/spec_defaults.h"

namespace corral::protocols::file {

struct FileOptions {
  std::string root;              // the served directory (corral-server --root)
  bool allow_overwrite = false;  // may PUT replace an existing file?
  uint64_t max_upload_bytes = spec::kDefaultMaxUploadBytes;  // larger PUTs: 413 before the body
  // A connection silent for this long, between requests or inside a body, is closed; also
  // bounds each write to a peer that stopped reading.
  std::chrono::milliseconds idle_timeout{spec::kDefaultIdleTimeoutMs};
  // The pace an upload's body must keep (min_rate_deadline.h): a trickle cannot hold a worker
  // by re-arming the idle timeout with each byte.
  net::BodyRate body_rate{std::chrono::milliseconds(spec::kDefaultBodyGraceMs),
                          spec::kDefaultBodyMinRate};
  // Test seam: false forces the named-temp-file upload path (as on filesystems without
  // O_TMPFILE).
  bool use_tmpfile = true;
};

class FileProtocol final : public StreamProtocol {
 public:
  // Opens the root once. Errors name it: "root /x: no such file or directory" (NOT_FOUND),
  // "root /x: not a directory", ...; INVALID_ARGUMENT for an empty root or a zero timeout.
  static absl::StatusOr<std::unique_ptr<FileProtocol>> Create(FileOptions options);

  void Serve(net::Stream& stream) const override;

  const FileOptions& options() const { return options_; }

 private:
  FileProtocol(ConfinedRoot root, FileOptions options)
      : root_(std::move(root)), options_(std::move(options)) {}

  ConfinedRoot root_;
  FileOptions options_;
};

}  // namespace corral::protocols::file
