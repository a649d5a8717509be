#include "tests/integration/agent_fixture.h"

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/unique_fd.h"
#include "servers/net/address.h"
#include "servers/net/polling_stream.h"
#include "tests/support/wait_for.h"

namespace corral::testing {

std::string BinaryPath(const std::string& name) { return std::string(CORRAL_BIN_DIR) + "/" + name; }

void AgentTest::SetUp() {
  char pattern[] = "/tmp/corral-test-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  home_ = pattern;
  StartAgent();
}

void AgentTest::TearDown() {
  stub_.reset();
  agent_.reset();  // SIGTERM: the agent stops its servers before exiting
  if (HasFailure()) {
    std::cerr << "--- agent log (" << home_ << "/agent.log) ---\n";
    std::system(("cat " + home_ + "/agent.log; tail -n 20 " + home_ + "/servers/*/log").c_str());
  }
  std::error_code ec;
  std::filesystem::remove_all(home_, ec);
}

void AgentTest::StartAgent(std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {BinaryPath("corral-agent"), "--home", home_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (::geteuid() == 0 && allow_root_servers_) argv.push_back("--allow-root-servers");
  // SIGTERM at the end: the agent stops its servers before it exits.
  agent_ = std::make_unique<ServerProcess>(
      argv, ProcessOptions{.log_path = home_ + "/agent.log", .stop_signal = SIGTERM});
  // Connecting before the socket exists would put the channel into gRPC's reconnect backoff.
  auto socket_made = [&] { return std::filesystem::exists(home_ + "/agent.sock"); };
  ASSERT_TRUE(WaitFor([&] { return socket_made() || agent_->Exited(); }))
      << "corral-agent made no socket within " << kWaitLimit.count() << " ms";
  ASSERT_FALSE(agent_->Exited()) << "corral-agent exited during start-up";
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  stub_ = v1::Agent::NewStub(
      grpc::CreateCustomChannel(socket_address(), grpc::InsecureChannelCredentials(), args));
  bool answered = false;
  WaitFor([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    v1::ListResponse response;
    answered = stub_->List(&context, v1::ListRequest(), &response).ok();
    return answered || agent_->Exited();
  });
  ASSERT_FALSE(agent_->Exited()) << "corral-agent exited during start-up";
  ASSERT_TRUE(answered) << "corral-agent did not answer within " << kWaitLimit.count() << " ms";
}

CommandResult AgentTest::Ctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinaryPath("corralctl"), "--agent", socket_address()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

grpc::Status AgentTest::StartEcho(const std::string& name, const std::string& listen,
                                  v1::Server* out,
                                  const std::function<void(v1::ServerSpec&)>& tweak) {
  v1::StartRequest request;
  request.mutable_spec()->set_name(name);
  request.mutable_spec()->set_protocol(v1::PROTOCOL_TCP_ECHO);
  request.mutable_spec()->set_model(v1::MODEL_THREAD);
  request.mutable_spec()->set_listen(listen);
  request.mutable_spec()->set_stop_timeout_ms(3000);
  if (tweak) tweak(*request.mutable_spec());
  v1::StartResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Status status = stub_->Start(&context, request, &response);
  if (out != nullptr) *out = response.server();
  return status;
}

absl::StatusOr<v1::Server> AgentTest::Get(const std::string& name) {
  v1::GetRequest request;
  request.set_name(name);
  v1::GetResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status = stub_->Get(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return response.server();
}

v1::Server AgentTest::WaitUntil(const std::string& name,
                                const std::function<bool(const v1::Server&)>& done) {
  v1::Server last;
  if (WaitFor([&] {
        absl::StatusOr<v1::Server> server = Get(name);
        if (server.ok()) last = *server;
        return server.ok() && done(last);
      })) {
    return last;
  }
  ADD_FAILURE() << "server " << name << " did not reach the expected state; last seen:\n"
                << last.DebugString();
  return last;
}

namespace {

base::UniqueFd Connect(const std::string& address) {
  absl::StatusOr<net::Address> a = net::Address::Parse(address);
  if (!a.ok()) return base::UniqueFd();
  base::UniqueFd fd(::socket(a->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), a->sockaddr_ptr(), a->length()) != 0) return base::UniqueFd();
  ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);  // PollingStream's contract
  return fd;
}

}  // namespace

std::string EchoOnce(const std::string& address, const std::string& message) {
  base::UniqueFd fd = Connect(address);
  if (!fd) return "";
  net::PollingStream stream(std::move(fd));
  net::Deadline deadline = net::DeadlineAfter(std::chrono::seconds(20));
  if (!stream.WriteAll(message.data(), message.size(), deadline).ok()) return "";
  std::string got(message.size(), '\0');
  size_t have = 0;
  while (have < got.size()) {
    absl::StatusOr<size_t> n = stream.Read(got.data() + have, got.size() - have, deadline);
    if (!n.ok() || *n == 0) return "";
    have += *n;
  }
  return got;
}

std::string HttpGetBody(const std::string& address, const std::string& path) {
  base::UniqueFd fd = Connect(address);
  if (!fd) return "";
  net::PollingStream stream(std::move(fd));
  net::Deadline deadline = net::DeadlineAfter(std::chrono::seconds(20));
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (!stream.WriteAll(request.data(), request.size(), deadline).ok()) return "";
  std::string response;
  char buffer[4096];
  for (;;) {
    absl::StatusOr<size_t> n = stream.Read(buffer, sizeof buffer, deadline);
    if (!n.ok()) return "";
    if (*n == 0) break;
    response.append(buffer, *n);
  }
  const size_t body = response.find("\r\n\r\n");
  if (!response.starts_with("HTTP/1.1 200 ") || body == std::string::npos) return "";
  return response.substr(body + 4);
}

bool CanConnect(const std::string& address) { return static_cast<bool>(Connect(address)); }

std::vector<pid_t> ProcessGroupMembers(pid_t pgid) {
  std::vector<pid_t> members;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 2));
    char state;
    pid_t ppid, group;
    if (!(rest >> state >> ppid >> group)) continue;
    if (group == pgid && state != 'Z') members.push_back(std::stoi(name));
  }
  return members;
}

}  // namespace corral::testing
