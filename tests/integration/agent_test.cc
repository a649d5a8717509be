// The whole path, as a user runs it: corralctl and a gRPC stub -> corral-agent -> a spawned
// corral-server -> a client on a real socket.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "absl/strings/match.h"
#include "servers/net/address.h"
#include "servers/net/socket.h"
#include "servers/server_kinds.h"
#include "tests/integration/agent_fixture.h"

namespace corral::testing {
namespace {

bool IsRunning(const v1::Server& s) { return s.state() == v1::STATE_RUNNING; }

TEST_F(AgentTest, CtlStartOnPortZeroThenEcho) {
  CommandResult start = Ctl(
      {"start", "echo", "--protocol", "tcp-echo", "--model", "thread", "--listen", "127.0.0.1:0"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(start.out, m, std::regex(R"(RUNNING on (127\.0\.0\.1:(\d+)))")))
      << start.out;
  const std::string address = m[1];
  EXPECT_NE(m[2], "0");
  EXPECT_EQ(EchoOnce(address, "hello, corral"), "hello, corral");

  CommandResult ls = Ctl({"ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_TRUE(absl::StrContains(ls.out, "NAME")) << ls.out;
  EXPECT_TRUE(std::regex_search(ls.out, std::regex("echo +RUNNING +tcp-echo +thread +" + address)))
      << ls.out;

  CommandResult json = Ctl({"--json", "get", "echo"});
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(json.out, "\"boundAddress\": \"" + address + "\"")) << json.out;
  EXPECT_TRUE(absl::StrContains(json.out, "\"state\": \"STATE_RUNNING\"")) << json.out;
}

// The http cache's window reaches the server from corralctl: with 0 a change to a cached file
// shows on the very next request; a server given a long window still serves the cached bytes.
TEST_F(AgentTest, CtlFileCacheValidMsReachesTheServer) {
  const std::string root = home_ + "/www";
  ASSERT_TRUE(std::filesystem::create_directory(root));
  std::ofstream(root + "/page.txt") << "version 1\n";
  // Only a file whose times are 2 s in the past (in whole seconds) is cached, and a file's
  // ctime cannot be set back: the test has to let it age.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::map<std::string, std::string> address;
  for (const std::string valid_ms : {"0", "600000"}) {
    const std::string name = "web" + valid_ms;
    CommandResult start = Ctl({"start", name, "--protocol", "http", "--root", root, "--listen",
                               "127.0.0.1:0", "--file-cache-valid-ms", valid_ms});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    CommandResult json = Ctl({"--json", "get", name});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_TRUE(absl::StrContains(json.out, "\"fileCacheValidMs\": " + valid_ms)) << json.out;
    absl::StatusOr<v1::Server> web = Get(name);
    ASSERT_TRUE(web.ok()) << web.status();
    address[valid_ms] = web->bound_address();
    EXPECT_EQ(HttpGetBody(address[valid_ms], "/page.txt"), "version 1\n");  // read, then cached
    EXPECT_EQ(HttpGetBody(address[valid_ms], "/page.txt"), "version 1\n");  // from memory
  }
  std::ofstream(root + "/page.txt", std::ios::trunc) << "version 2\n";
  EXPECT_EQ(HttpGetBody(address["0"], "/page.txt"), "version 2\n");
  EXPECT_EQ(HttpGetBody(address["600000"], "/page.txt"), "version 1\n");

  CommandResult refused = Ctl({"start", "echo", "--protocol", "tcp-echo", "--listen", "127.0.0.1:0",
                               "--file-cache-valid-ms", "0"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(refused.err, "http protocol only")) << refused.err;
}

TEST_F(AgentTest, LargeEchoRoundTrips) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("big", "127.0.0.1:0", &server).ok());
  std::string payload(1 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 + 7);
  EXPECT_TRUE(EchoOnce(server.bound_address(), payload) == payload);
}

TEST_F(AgentTest, StopClosesThePortAndIsHarmlessTwice) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  ASSERT_TRUE(CanConnect(server.bound_address()));
  const int pid = server.pid();

  CommandResult stop = Ctl({"stop", "echo"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_TRUE(absl::StrContains(stop.out, "STOPPED")) << stop.out;
  EXPECT_FALSE(CanConnect(server.bound_address()));
  EXPECT_FALSE(ProcessAlive(pid));
  absl::StatusOr<v1::Server> stopped = Get("echo");
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->state(), v1::STATE_STOPPED);
  EXPECT_EQ(stopped->pid(), 0);
  ASSERT_TRUE(stopped->has_last_exit());
  EXPECT_EQ(stopped->last_exit().code(), 0);  // drained and exited cleanly on SIGTERM

  EXPECT_EQ(Ctl({"stop", "echo"}).exit_code, 0);

  // Restart brings it back; rm forgets it.
  CommandResult restart = Ctl({"restart", "echo"});
  ASSERT_EQ(restart.exit_code, 0) << restart.err;
  absl::StatusOr<v1::Server> again = Get("echo");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->state(), v1::STATE_RUNNING);
  EXPECT_EQ(EchoOnce(again->bound_address(), "again"), "again");
  EXPECT_EQ(again->restarts(), 0u);  // asked for, so not counted

  ASSERT_EQ(Ctl({"rm", "echo"}).exit_code, 0);
  EXPECT_FALSE(CanConnect(again->bound_address()));
  EXPECT_EQ(Get("echo").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AgentTest, DuplicateNameIsAlreadyExists) {
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", nullptr).ok());
  grpc::Status again = StartEcho("echo", "127.0.0.1:0", nullptr);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(absl::StrContains(again.error_message(), "already exists"));

  CommandResult ctl = Ctl({"start", "echo"});
  EXPECT_EQ(ctl.exit_code, 4);
  EXPECT_TRUE(absl::StartsWith(ctl.err, "corralctl: start \"echo\": ")) << ctl.err;
}

TEST_F(AgentTest, UnknownNameIsNotFound) {
  for (const char* verb : {"stop", "restart", "rm", "get"}) {
    CommandResult ctl = Ctl({verb, "ghost"});
    EXPECT_EQ(ctl.exit_code, 3) << verb;
    EXPECT_TRUE(absl::StartsWith(ctl.err, std::string("corralctl: ") + verb + " \"ghost\": "))
        << ctl.err;
    EXPECT_TRUE(absl::StrContains(ctl.err, "no such server")) << ctl.err;
  }
  v1::GetRequest request;
  request.set_name("ghost");
  v1::GetResponse response;
  grpc::ClientContext context;
  EXPECT_EQ(stub().Get(&context, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AgentTest, InvalidSpecsAreRefusedWithoutSideEffects) {
  struct Case {
    std::string name, listen;
    v1::Protocol protocol;
    std::string expected;
  } cases[] = {
      {"", "127.0.0.1:0", v1::PROTOCOL_TCP_ECHO, "name is empty"},
      {"bad/name", "127.0.0.1:0", v1::PROTOCOL_TCP_ECHO, "only letters"},
      {"web", "127.0.0.1:99999", v1::PROTOCOL_TCP_ECHO, "0 to 65535"},
      {"web", "nowhere", v1::PROTOCOL_TCP_ECHO, "no port"},
      // The API takes numeric addresses only; corralctl resolves names before it sends.
      {"web", "localhost:80", v1::PROTOCOL_TCP_ECHO, "not a numeric IPv4 address"},
      {"web", "127.0.0.1:0", v1::PROTOCOL_UNSPECIFIED, "unknown protocol"},
  };
  for (const Case& c : cases) {
    v1::StartRequest request;
    request.mutable_spec()->set_name(c.name);
    request.mutable_spec()->set_protocol(c.protocol);
    request.mutable_spec()->set_model(v1::MODEL_THREAD);
    request.mutable_spec()->set_listen(c.listen);
    v1::StartResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub().Start(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.expected;
    EXPECT_TRUE(absl::StrContains(status.error_message(), c.expected)) << status.error_message();
  }
  CommandResult ctl = Ctl({"start", "web", "--listen", "no-such-host.invalid:80"});
  EXPECT_EQ(ctl.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(ctl.err, "cannot resolve no-such-host.invalid")) << ctl.err;
  EXPECT_EQ(Ctl({"start", "web", "--protocol", "gopher"}).exit_code, 2);
  EXPECT_EQ(Ctl({"frobnicate"}).exit_code, 2);

  v1::ListResponse list;
  grpc::ClientContext context;
  ASSERT_TRUE(stub().List(&context, v1::ListRequest(), &list).ok());
  EXPECT_EQ(list.servers_size(), 0);
  EXPECT_FALSE(std::filesystem::exists(home_ + "/servers/web"));
}

// Whatever servers/server_kinds.h says is not built yet is refused with exit code 2 and
// nothing added; the matrix can grow without this test changing.
TEST_F(AgentTest, UnbuiltPairsAreUnimplemented) {
  for (ProtocolKind protocol :
       {ProtocolKind::kTcpEcho, ProtocolKind::kUdpEcho, ProtocolKind::kHttp, ProtocolKind::kFile}) {
    for (ModelKind model : {ModelKind::kFork, ModelKind::kThread, ModelKind::kCoroutine}) {
      if (IsImplemented(protocol, model)) continue;
      CommandResult ctl =
          Ctl({"start", "unbuilt", "--protocol", std::string(ProtocolName(protocol)), "--model",
               std::string(ModelName(model)), "--root", "/tmp"});
      EXPECT_EQ(ctl.exit_code, 2) << ctl.err;
      EXPECT_TRUE(absl::StrContains(ctl.err, "not built yet")) << ctl.err;
      EXPECT_EQ(Get("unbuilt").status().code(), absl::StatusCode::kNotFound);
    }
  }
}

TEST_F(AgentTest, PortInUseEndsFailedWithTheReason) {
  absl::StatusOr<base::UniqueFd> taken = net::ListenTcp(*net::Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(taken.ok());
  std::string address = net::LocalAddress(taken->get())->ToString();

  CommandResult ctl = Ctl({"start", "web", "--listen", address});
  EXPECT_EQ(ctl.exit_code, 1);
  EXPECT_EQ(ctl.err, "corralctl: start \"web\": bind " + address + ": address already in use\n");

  absl::StatusOr<v1::Server> server = Get("web");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->state(), v1::STATE_FAILED);
  EXPECT_EQ(server->reason(), "bind " + address + ": address already in use");
  // FAILED is final: nothing respawns it behind the operator's back. An absence cannot be
  // awaited: the agent gets 600 ms, longer than its first restart backoff, to do it if it would.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  server = Get("web");
  EXPECT_EQ(server->state(), v1::STATE_FAILED);
  EXPECT_EQ(server->pid(), 0);
  EXPECT_EQ(server->restarts(), 0u);
  CommandResult ls = Ctl({"ls"});
  EXPECT_TRUE(absl::StrContains(ls.out, "address already in use")) << ls.out;

  // The agent keeps serving everything else.
  v1::Server other;
  ASSERT_TRUE(StartEcho("other", "127.0.0.1:0", &other).ok());
  EXPECT_EQ(EchoOnce(other.bound_address(), "still here"), "still here");

  // Once the port is free, restart recovers it.
  taken->Reset();
  CommandResult restart = Ctl({"restart", "web"});
  EXPECT_EQ(restart.exit_code, 0) << restart.err;
  EXPECT_EQ(EchoOnce(address, "back"), "back");
}

TEST_F(AgentTest, KilledServerIsRestartedAndServesAgain) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  const int old_pid = server.pid();
  ASSERT_EQ(kill(old_pid, SIGKILL), 0);

  v1::Server again = WaitUntil("echo", [&](const v1::Server& s) {
    return IsRunning(s) && s.pid() != 0 && s.pid() != old_pid;
  });
  EXPECT_EQ(again.restarts(), 1u);
  ASSERT_TRUE(again.has_last_exit());
  EXPECT_EQ(again.last_exit().signal(), SIGKILL);
  EXPECT_EQ(EchoOnce(again.bound_address(), "reborn"), "reborn");
}

TEST_F(AgentTest, SecondAgentOnTheSameHomeRefuses) {
  CommandResult second = RunCommand({BinaryPath("corral-agent"), "--home", home_});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(
      second.err, "another corral-agent (pid " + std::to_string(agent_->pid()) + ") already runs"))
      << second.err;
  // The first one is unharmed.
  EXPECT_EQ(Ctl({"ls"}).exit_code, 0);
}

TEST_F(AgentTest, HomeAndSocketArePrivate) {
  struct stat st {};
  ASSERT_EQ(stat(home_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat((home_ + "/agent.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AgentTest, UnreachableAgentHasItsOwnExitCode) {
  CommandResult ctl =
      RunCommand({BinaryPath("corralctl"), "--agent", "unix:" + home_ + "/nothing.sock", "ls"});
  EXPECT_EQ(ctl.exit_code, 6);
  EXPECT_TRUE(absl::StrContains(ctl.err, "cannot reach corral-agent")) << ctl.err;
}

// Without --agent, corralctl uses the default home only while it is the caller's own: a home
// others may write, or (as root) one that belongs to another user, is refused with exit 5 and a
// reason, before anything is sent to the socket in it.
TEST_F(AgentTest, CorralctlUsesItsOwnHomeAndRefusesOneItDoesNotOwn) {
  const std::vector<std::string> ls = {"/usr/bin/env",          "-u",
                                       "XDG_RUNTIME_DIR",       "CORRAL_HOME=" + home_,
                                       BinaryPath("corralctl"), "ls"};
  CommandResult own = RunCommand(ls);
  EXPECT_EQ(own.exit_code, 0) << own.err;

  ASSERT_EQ(chmod(home_.c_str(), 0777), 0);
  CommandResult open_home = RunCommand(ls);
  ASSERT_EQ(chmod(home_.c_str(), 0700), 0);
  EXPECT_EQ(open_home.exit_code, 5) << open_home.err;
  EXPECT_TRUE(absl::StrContains(open_home.err, "refusing home " + home_ + ": mode 0777"))
      << open_home.err;

  if (getuid() == 0) {
    ASSERT_EQ(chown(home_.c_str(), 65534, 65534), 0);
    CommandResult foreign = RunCommand(ls);
    ASSERT_EQ(chown(home_.c_str(), 0, 0), 0);
    EXPECT_EQ(foreign.exit_code, 5) << foreign.err;
    EXPECT_TRUE(absl::StrContains(foreign.err, "belongs to uid 65534")) << foreign.err;
  }
  EXPECT_EQ(RunCommand(ls).exit_code, 0);
}

TEST_F(AgentTest, AgentShutdownLeavesServersRunningByDefault) {
  agent_->SignalAndWait(SIGTERM);
  StartAgent({});  // the default: no --stop-servers-on-exit
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  int status = agent_->SignalAndWait(SIGTERM, std::chrono::seconds(20));
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(ProcessAlive(server.pid()));
  EXPECT_EQ(EchoOnce(server.bound_address(), "still here"), "still here");

  // The next agent adopts it, and (started with the option) stops it on SIGTERM.
  StartAgent();
  absl::StatusOr<v1::Server> adopted = Get("echo");
  ASSERT_TRUE(adopted.ok());
  EXPECT_EQ(adopted->state(), v1::STATE_RUNNING);
  EXPECT_EQ(adopted->pid(), server.pid());
  EXPECT_TRUE(adopted->adopted());
  status = agent_->SignalAndWait(SIGTERM, std::chrono::seconds(20));
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(ProcessAlive(server.pid()));
  EXPECT_FALSE(CanConnect(server.bound_address()));
}

TEST_F(AgentTest, AgentShutdownWithTheOptionStopsItsServersAndTheNextAgentStartsThemAgain) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  v1::Server parked;
  ASSERT_TRUE(StartEcho("parked", "127.0.0.1:0", &parked).ok());
  ASSERT_EQ(Ctl({"stop", "parked"}).exit_code, 0);
  int status = agent_->SignalAndWait(SIGTERM, std::chrono::seconds(20));
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(ProcessAlive(server.pid()));
  EXPECT_FALSE(CanConnect(server.bound_address()));

  // Stopping for the shutdown is not the operator's stop: what ran runs again, what the
  // operator stopped stays stopped.
  StartAgent();
  v1::Server again = WaitUntil("echo", [](const v1::Server& s) {
    return s.state() == v1::STATE_RUNNING && !s.bound_address().empty();
  });
  EXPECT_EQ(again.state(), v1::STATE_RUNNING);
  EXPECT_NE(again.pid(), server.pid());
  EXPECT_FALSE(again.adopted());
  EXPECT_EQ(EchoOnce(again.bound_address(), "back"), "back");
  absl::StatusOr<v1::Server> still_parked = Get("parked");
  ASSERT_TRUE(still_parked.ok());
  EXPECT_EQ(still_parked->state(), v1::STATE_STOPPED);
}

TEST_F(AgentTest, AgentShutdownWithTheOptionStopsServersEvenWhenTheStateCannotBeSaved) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  // A directory where the temp file must go: every save fails, even for root.
  const std::string temp_path = home_ + "/state.pb.tmp";
  ASSERT_EQ(mkdir(temp_path.c_str(), 0700), 0);
  int status = agent_->SignalAndWait(SIGTERM, std::chrono::seconds(20));
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(ProcessAlive(server.pid()));
  EXPECT_FALSE(CanConnect(server.bound_address()));
  ASSERT_EQ(rmdir(temp_path.c_str()), 0);
}

}  // namespace
}  // namespace corral::testing
