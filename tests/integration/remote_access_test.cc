// The agent's TCP listener end to end (issue 23 items 3 and 7): TLS, bearer tokens with roles,
// client certificates, the audit log, and corralctl's exit code 5 with a message saying which
// refusal it was.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "corral/v1/agent.grpc.pb.h"
#include "tests/integration/agent_fixture.h"
#include "tests/integration/remote_fixture.h"
#include "tests/support/file_text.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const std::vector<std::string> kStartWeb = {"start", "web",    "-p", "tcp-echo",
                                            "-m",    "thread", "-l", "127.0.0.1:0"};

TEST_F(RemoteTest, OperatorTokenChangesMonitorTokenOnlyReadsAndBothAreAudited) {
  RemoteAgent* agent = StartAgent("home");
  CommandResult started = Ctl(*agent, operator_token_, kStartWeb);
  ASSERT_EQ(started.exit_code, 0) << started.err;

  CommandResult listed = Ctl(*agent, monitor_token_, {"ls"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("web"));

  CommandResult refused = Ctl(*agent, monitor_token_, {"stop", "web"});
  EXPECT_EQ(refused.exit_code, 5);
  EXPECT_THAT(refused.err, AllOf(HasSubstr("token viewer, a monitor, may not call Stop"),
                                 HasSubstr("operator")));
  EXPECT_EQ(Ctl(*agent, operator_token_, {"get", "web"}).exit_code, 0);

  // One line per mutating call, with who, what, on which server and how it ended; reads are
  // not audited.
  const std::string audit_path = agent->home + "/audit.log";
  ASSERT_TRUE(WaitFor([&] {
    return FileText(audit_path).find("method=Stop") != std::string::npos;
  })) << FileText(audit_path);
  const std::string audit = FileText(audit_path);
  EXPECT_THAT(audit, HasSubstr("who=\"token ops\""));
  EXPECT_THAT(audit, HasSubstr("method=Start server=\"web\" outcome=\"OK\""));
  EXPECT_THAT(audit, AllOf(HasSubstr("who=\"token viewer\""),
                           HasSubstr("method=Stop server=\"web\" outcome=\"PERMISSION_DENIED")));
  EXPECT_THAT(audit, ::testing::Not(HasSubstr("method=List")));

  // The unix socket's callers are audited the same way, by uid and pid.
  CommandResult local = RunCommand(
      {BinaryPath("corralctl"), "--agent", "unix:" + agent->home + "/agent.sock", "stop", "web"});
  EXPECT_EQ(local.exit_code, 0) << local.err;
  ASSERT_TRUE(WaitFor([&] { return FileText(audit_path).find("peer=\"fd:") != std::string::npos; }))
      << FileText(audit_path);
  EXPECT_THAT(FileText(audit_path),
              ::testing::ContainsRegex("who=\"uid [0-9]+ \\(pid [0-9]+\\)\" peer=\"fd:[0-9]+\" "
                                       "method=Stop server=\"web\" outcome=\"OK\""));
}

TEST_F(RemoteTest, WrongOrMissingTokenIsUnauthenticated) {
  RemoteAgent* agent = StartAgent("home");
  const std::string wrong = WriteFile("wrong.token", "not-a-token-of-this-agent\n");
  CommandResult result = Ctl(*agent, wrong, {"ls"});
  EXPECT_EQ(result.exit_code, 5);
  EXPECT_THAT(result.err,
              AllOf(HasSubstr("not authenticated"), HasSubstr("not in the agent's --token-file")));

  result = Ctl(*agent, "", {"ls"});
  EXPECT_EQ(result.exit_code, 5);
  EXPECT_THAT(result.err, AllOf(HasSubstr("not authenticated"), HasSubstr("no credentials")));

  // A mutating call refused for want of credentials is audited too.
  std::vector<std::string> start = kStartWeb;
  result = Ctl(*agent, wrong, start);
  EXPECT_EQ(result.exit_code, 5);
  ASSERT_TRUE(WaitFor([&] {
    return FileText(agent->home + "/audit.log").find("UNAUTHENTICATED") != std::string::npos;
  })) << FileText(agent->home + "/audit.log");
}

TEST_F(RemoteTest, PlaintextClientIsRefusedAndTheAgentKeepsServing) {
  RemoteAgent* agent = StartAgent("home");
  auto stub =
      v1::Agent::NewStub(grpc::CreateChannel(agent->address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("authorization", std::string("Bearer ") + kOperatorSecret);
  v1::ListResponse response;
  const grpc::Status status = stub->List(&context, v1::ListRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();

  // corralctl without --tls-ca speaks plaintext too, and is told the agent is unreachable.
  CommandResult plain = RunCommand({BinaryPath("corralctl"), "--agent", agent->address, "ls"});
  EXPECT_EQ(plain.exit_code, 6);
  // A token is never sent in the clear.
  plain = RunCommand(
      {BinaryPath("corralctl"), "--agent", agent->address, "--token-file", operator_token_, "ls"});
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_THAT(plain.err, HasSubstr("never sends a token without TLS"));

  EXPECT_EQ(Ctl(*agent, monitor_token_, {"ls"}).exit_code, 0);
}

TEST_F(RemoteTest, ClientCertificateAloneIsMonitorAndExpiredOneIsRefused) {
  RemoteAgent* agent = StartAgent("home", {"--tls-client-ca", Path("ca.pem")});
  const std::vector<std::string> good = {"--tls-cert", Path("client.pem"), "--tls-key",
                                         Path("client.key")};
  // With a certificate and an operator token, the token's role counts.
  std::vector<std::string> args = good;
  args.insert(args.end(), kStartWeb.begin(), kStartWeb.end());
  CommandResult result = Ctl(*agent, operator_token_, args);
  EXPECT_EQ(result.exit_code, 0) << result.err;

  // The certificate alone: a monitor.
  args = good;
  args.push_back("ls");
  result = Ctl(*agent, "", args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("web"));
  args = good;
  args.insert(args.end(), {"stop", "web"});
  result = Ctl(*agent, "", args);
  EXPECT_EQ(result.exit_code, 5);
  EXPECT_THAT(result.err, HasSubstr("certificate CN=ci, a monitor, may not call Stop"));

  // An expired certificate, or none, is refused in the handshake, whatever the token: exit 5,
  // saying it was the client certificate.
  result = Ctl(*agent, operator_token_,
               {"--tls-cert", Path("expired.pem"), "--tls-key", Path("expired.key"), "ls"});
  EXPECT_EQ(result.exit_code, 5) << result.err;
  EXPECT_THAT(result.err, HasSubstr("client certificate"));
  result = Ctl(*agent, operator_token_, {"ls"});
  EXPECT_EQ(result.exit_code, 5) << result.err;
}

TEST_F(RemoteTest, AgentRefusesATcpListenerWithoutTlsOrCredentials) {
  const std::string agent = BinaryPath("corral-agent");
  const std::string home = Path("home");
  CommandResult result =
      RunCommand({agent, "--home", home, "--listen-tcp", "127.0.0.1:0", "--token-file", tokens_});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("needs --tls-cert FILE"));
  result = RunCommand({agent, "--home", home, "--listen-tcp", "127.0.0.1:0", "--tls-cert",
                       Path("agent.pem"), "--tls-key", Path("agent.key")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--token-file FILE or --tls-client-ca FILE"));
  ::chmod(tokens_.c_str(), 0644);
  result = RunCommand({agent, "--home", home, "--listen-tcp", "127.0.0.1:0", "--tls-cert",
                       Path("agent.pem"), "--tls-key", Path("agent.key"), "--token-file", tokens_});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("chmod 600"));
}

}  // namespace
}  // namespace corral::testing
