// RemoteTest: agents listening on TCP with TLS and bearer tokens (issue 23 item 3), with a
// throwaway PKI made by the openssl CLI in each test's directory: a CA, the agent's certificate
// (for 127.0.0.1 and localhost), a client certificate (CN=ci) and an expired one (CN=old).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/server_process.h"

namespace corral::testing {

// A corral-agent in its own home with --listen-tcp 127.0.0.1:0.
struct RemoteAgent {
  std::string home;
  std::string address;  // HOST:PORT it bound, from HOME/agent-tcp.address
  std::unique_ptr<ServerProcess> process;
};

class RemoteTest : public ::testing::Test {
 protected:
  // The tokens of the agents' token file, and client files holding each secret.
  static constexpr char kOperatorSecret[] = "op-0123456789abcdef0123";
  static constexpr char kMonitorSecret[] = "mon-0123456789abcdef012";

  void SetUp() override;
  void TearDown() override;

  // A path in the test's directory.
  std::string Path(const std::string& name) const { return root_ + "/" + name; }
  // Writes `text` to Path(name) with mode 0600; returns the path.
  std::string WriteFile(const std::string& name, const std::string& text) const;

  // Starts an agent in Path(name) with the agent certificate, the token file and `extra`
  // flags; waits until it wrote its TCP address. Fails the test if it does not.
  RemoteAgent* StartAgent(const std::string& name, std::vector<std::string> extra = {});

  // `corralctl --agent ADDRESS --tls-ca CA [--token-file TOKEN] ARGS...`; an empty `token`
  // sends none.
  CommandResult Ctl(const RemoteAgent& agent, const std::string& token,
                    const std::vector<std::string>& args) const;

  std::string root_;
  std::string tokens_;          // the agents' --token-file
  std::string operator_token_;  // client token files
  std::string monitor_token_;
  std::vector<std::unique_ptr<RemoteAgent>> agents_;
};

}  // namespace corral::testing
