#include "servers/protocols/file/file_protocol.h"

#include "absl/status/status.h"
#include "servers/protocols/file/file_session.h"

namespace corral::protocols::file {

absl::StatusOr<std::unique_ptr<FileProtocol>> FileProtocol::Create(FileOptions options) {
  if (options.root.empty()) {
    return absl::InvalidArgumentError("file protocol: --root is required (the served directory)");
  }
  if (options.idle_timeout.count() <= 0) {
    return absl::InvalidArgumentError("file protocol: the idle timeout must be positive");
  }
  absl::StatusOr<ConfinedRoot> root = ConfinedRoot::Open(options.root);
  if (!root.ok()) return root.status();
  return std::unique_ptr<FileProtocol>(new FileProtocol(*std::move(root), std::move(options)));
}

void FileProtocol::Serve(net::Stream& stream) const {
  FileSession session(root_, options_, stream);
  session.Run();
}

}  // namespace corral::protocols::file
