// FileSession: one connection of the file protocol, from the first request line to the close.
// Lives on the stack of FileProtocol::Serve; borrows the shared root and options (read only)
// and the connection's stream. Never throws; every failure either becomes an ERR reply (the
// connection goes on) or ends the connection (when the framing can no longer be trusted).
#pragma once

#include <string>
#include <string_view>

#include "servers/net/stream.h"
#include "servers/protocols/file/confined_root.h"
#include "servers/protocols/file/file_protocol.h"
#include "servers/protocols/file/line_reader.h"
#include "servers/protocols/file/reply.h"
#include "servers/protocols/file/request.h"

namespace corral::protocols::file {

class FileSession {
 public:
  FileSession(const ConfinedRoot& root, const FileOptions& options, net::Stream& stream);

  // Serves requests until QUIT, EOF, the idle timeout or a broken connection.
  void Run();

 private:
  enum class Next { kContinue, kClose };

  Next Handle(const Request& request);
  Next List(const std::string& raw_path);
  Next Get(const std::string& raw_path);
  Next Put(const std::string& raw_path, uint64_t size);

  // Sends `line`; kClose when the peer did not take it within the idle timeout.
  Next Send(const std::string& line);
  Next Refuse(const absl::Status& status) { return Send(ErrorLine(status)); }
  net::Deadline IdleDeadline() const;
  // Before closing with a refusal the client may not have read yet (see the .cc).
  void LingeringClose();

  const ConfinedRoot& root_;
  const FileOptions& options_;
  net::Stream& stream_;
  LineReader reader_;
};

}  // namespace corral::protocols::file
