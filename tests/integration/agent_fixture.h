// AgentTest: a real corral-agent in a fresh temporary home for each test, with helpers to drive
// it through corralctl and a gRPC stub, and to talk to the servers it runs over real sockets.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "corral/v1/agent.grpc.pb.h"
#include "tests/support/server_process.h"

namespace corral::testing {

// Paths of the built binaries, from the build system.
std::string BinaryPath(const std::string& name);

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts (another) agent on home_, waits until it answers. Fails the test if it does not.
  // By default with --stop-servers-on-exit, so that no test leaves a server behind.
  void StartAgent(std::vector<std::string> extra_args = {"--stop-servers-on-exit"});

  // Runs `corralctl --agent unix:HOME/agent.sock ARGS...`.
  CommandResult Ctl(const std::vector<std::string>& args);

  v1::Agent::Stub& stub() { return *stub_; }
  std::string socket_address() const { return "unix:" + home_ + "/agent.sock"; }

  // Start over gRPC with a tcp-echo/thread spec listening on `listen`; `tweak` may change the
  // spec first.
  grpc::Status StartEcho(const std::string& name, const std::string& listen, v1::Server* out,
                         const std::function<void(v1::ServerSpec&)>& tweak = nullptr);
  absl::StatusOr<v1::Server> Get(const std::string& name);
  // Polls Get until `done` holds or 20 s pass; returns the last server seen.
  v1::Server WaitUntil(const std::string& name, const std::function<bool(const v1::Server&)>& done);

  std::string home_;
  // StartAgent passes --allow-root-servers when the tests run as root (as CI does), so that
  // specs without a user run as before; a test of the refusal clears it.
  bool allow_root_servers_ = true;
  std::unique_ptr<ServerProcess> agent_;
  std::unique_ptr<v1::Agent::Stub> stub_;
};

// Connects to "HOST:PORT", sends `message`, reads the same number of bytes back and returns
// them ("" on any failure).
std::string EchoOnce(const std::string& address, const std::string& message);

// The body of `GET path` (sent with Connection: close) from the HTTP server at "HOST:PORT"
// ("" on any failure, or when the status is not 200).
std::string HttpGetBody(const std::string& address, const std::string& path);

// Whether a TCP connect to "HOST:PORT" succeeds.
bool CanConnect(const std::string& address);

// Live (non-zombie) processes whose process group is `pgid`.
std::vector<pid_t> ProcessGroupMembers(pid_t pgid);

}  // namespace corral::testing
