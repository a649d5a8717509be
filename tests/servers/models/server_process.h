// ServerProcess: a real corral-server started by a test, with readiness read from the same
// notification descriptor the agent uses, and clients that talk to it over real sockets.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace corral::testing {

class ServerProcess {
 public:
  // Runs corral-server with `args` (plus --notify-fd) and waits for READY or FAILED.
  explicit ServerProcess(const std::vector<std::string>& args);
  // SIGKILLs the server if it still runs.
  ~ServerProcess();

  bool ready() const { return ready_; }
  // The bound address when ready, the reason otherwise.
  const std::string& detail() const { return detail_; }
  pid_t pid() const { return pid_; }

  // Sends `signal`, waits up to `timeout` for the exit; returns the wait status or -1.
  int SignalAndWait(int signal, std::chrono::seconds timeout = std::chrono::seconds(20));

  // The pids of the server's direct children, from /proc.
  std::vector<pid_t> Children() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  bool ready_ = false;
  std::string detail_;
};

// A connected, non-blocking TCP client socket (invalid on failure).
base::UniqueFd ConnectTcp(const std::string& address);
// Sends `message` on `fd` and reads back as many bytes; "" on failure or timeout.
std::string EchoOn(int fd, const std::string& message);
// One datagram to `address` and its reply ("" on timeout).
std::string UdpRoundTrip(const std::string& address, const std::string& message);
// The cap scenario every model must pass, against an echo `server` started with
// --max-workers 2: two clients are served; a third connects and writes but gets nothing while
// they stay (`while_capped` then checks whatever else the model shows); once one leaves, the
// third is served. Reports failures through gtest.
void ExpectCapPausesAcceptingWithoutDropping(const ServerProcess& server,
                                             const std::function<void()>& while_capped = {});

// A payload of `size` bytes in a pattern that shows misplaced bytes.
std::string Pattern(size_t size, unsigned seed = 0);

}  // namespace corral::testing
