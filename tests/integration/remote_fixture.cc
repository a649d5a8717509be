#include "tests/integration/remote_fixture.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/integration/agent_fixture.h"
#include "tests/support/file_text.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

// Runs openssl with `args` in `dir`; fails the test with its output if it fails.
void OpenSsl(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "cd '" + dir + "' && openssl"};
  for (const std::string& arg : args) argv[2] += " " + arg;
  const CommandResult result = RunCommand(argv);
  ASSERT_EQ(result.exit_code, 0) << argv[2] << "\n" << result.err;
}

// A key and a certificate signed by the test CA: NAME.key, NAME.pem; `days` -1 makes one
// that expired a day ago.
void SignedCertificate(const std::string& dir, const std::string& name, const std::string& cn,
                       int days) {
  OpenSsl(dir, {"req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout",
                name + ".key", "-out", name + ".csr", "-subj /CN=" + cn});
  OpenSsl(dir, {"x509 -req -in", name + ".csr", "-CA ca.pem -CAkey ca.key -CAcreateserial -out",
                name + ".pem", "-days", std::to_string(days), "-extfile san.cnf"});
}

}  // namespace

void RemoteTest::SetUp() {
  char pattern[] = "/tmp/corral-remote-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  root_ = pattern;
  WriteFile("san.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  OpenSsl(root_, {"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "
                  "ca.key -out ca.pem -days 2 -subj /CN=corral-test-ca"});
  SignedCertificate(root_, "agent", "localhost", 2);
  SignedCertificate(root_, "client", "ci", 2);
  SignedCertificate(root_, "expired", "old", -1);
  tokens_ = WriteFile("tokens", std::string("# test tokens\nops operator ") + kOperatorSecret +
                                    "\nviewer monitor " + kMonitorSecret + "\n");
  operator_token_ = WriteFile("ops.token", std::string(kOperatorSecret) + "\n");
  monitor_token_ = WriteFile("viewer.token", std::string(kMonitorSecret) + "\n");
}

void RemoteTest::TearDown() {
  for (const auto& agent : agents_) {
    agent->process.reset();  // SIGTERM: it stops its servers first
    if (HasFailure()) {
      std::cerr << "--- " << agent->home << "/agent.log ---\n"
                << FileText(agent->home + "/agent.log");
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

std::string RemoteTest::WriteFile(const std::string& name, const std::string& text) const {
  const std::string path = Path(name);
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0600);
  return path;
}

RemoteAgent* RemoteTest::StartAgent(const std::string& name, std::vector<std::string> extra) {
  auto agent = std::make_unique<RemoteAgent>();
  agent->home = Path(name);
  std::vector<std::string> argv = {BinaryPath("corral-agent"),
                                   "--home",
                                   agent->home,
                                   "--stop-servers-on-exit",
                                   "--listen-tcp",
                                   "127.0.0.1:0",
                                   "--tls-cert",
                                   Path("agent.pem"),
                                   "--tls-key",
                                   Path("agent.key"),
                                   "--token-file",
                                   tokens_};
  if (::geteuid() == 0) argv.push_back("--allow-root-servers");
  argv.insert(argv.end(), extra.begin(), extra.end());
  agent->process = std::make_unique<ServerProcess>(
      argv, ProcessOptions{.log_path = Path(name + ".log"), .stop_signal = SIGTERM});
  const std::string address_file = agent->home + "/agent-tcp.address";
  const bool written =
      WaitFor([&] { return std::filesystem::exists(address_file) || agent->process->Exited(); });
  EXPECT_TRUE(written && !agent->process->Exited())
      << "corral-agent wrote no TCP address: " << FileText(Path(name + ".log"));
  agent->address = FileText(address_file);
  while (!agent->address.empty() && agent->address.back() == '\n') agent->address.pop_back();
  agents_.push_back(std::move(agent));
  return agents_.back().get();
}

CommandResult RemoteTest::Ctl(const RemoteAgent& agent, const std::string& token,
                              const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {BinaryPath("corralctl"), "--agent", agent.address, "--tls-ca",
                                   Path("ca.pem")};
  if (!token.empty()) {
    argv.push_back("--token-file");
    argv.push_back(token);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

}  // namespace corral::testing
