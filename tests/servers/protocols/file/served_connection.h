// ServedConnection: FileProtocol::Serve running in its own thread on one end of a real
// socketpair (wrapped in net::PollingStream, as the thread and fork models do), the other end
// left to the test, which drives it with FileClient or raw bytes.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "servers/net/polling_stream.h"
#include "servers/protocols/file/file_client.h"
#include "servers/protocols/file/file_protocol.h"
#include "servers/protocols/file/line_reader.h"
#include "tests/servers/protocols/file/test_files.h"

namespace corral::protocols::file::testing {

class ServedConnection {
 public:
  explicit ServedConnection(const FileProtocol& protocol);
  // Closes the client end (if still open) and joins the server thread.
  ~ServedConnection();

  // The client end; valid until CloseClient().
  net::Stream& client() { return *client_; }
  void CloseClient() { client_.reset(); }

  // Whether Serve() returned within `timeout`.
  bool WaitServed(std::chrono::milliseconds timeout);

  // Sends raw bytes on the client end; fails the test on error.
  void SendRaw(const std::string& bytes);

 private:
  std::unique_ptr<net::PollingStream> client_;
  std::promise<void> served_;
  std::future<void> served_future_;
  std::thread server_;
};

// FileClient::Get / Put with the file held in a string.
absl::StatusOr<std::string> GetString(FileClient& client, std::string_view path);
absl::Status PutString(FileClient& client, std::string_view path, const std::string& data);

// One reply line read raw (for tests that speak the protocol by hand); "<EOF>" when the server
// closed, "<ERROR ...>" on a read error.
std::string ReadRawLine(LineReader& reader);

// Options for a server on `root` with a generous idle timeout (tests that need a short one set
// it themselves).
FileOptions TestOptions(const TempDir& root);

// FileProtocol::Create that fails the test on error.
std::unique_ptr<FileProtocol> MakeProtocol(FileOptions options);

}  // namespace corral::protocols::file::testing
