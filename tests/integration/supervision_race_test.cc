// Operators racing each other (issue 19 item 2): start, stop, restart and rm of the same servers
// from many clients at once, with servers killed under them. Whatever the interleaving, every
// call is answered, every corral-server process belongs to a listed server, the state file says
// what `ls` says, and the agent still shuts down.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "servers/net/address.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using std::chrono::seconds;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ProcessInfo {
  char state = '?';
  pid_t ppid = 0;
};

std::optional<ProcessInfo> ReadStat(pid_t pid) {
  std::string line = Slurp(absl::StrCat("/proc/", pid, "/stat"));
  size_t paren = line.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(paren + 2));
  ProcessInfo info;
  if (!(rest >> info.state >> info.ppid)) return std::nullopt;
  return info;
}

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

// The server name of a live corral-server of `home` (from its --scoreboard
// HOME/servers/NAME/scoreboard argument), or "" when `pid` is not one.
std::string ServerNameOf(pid_t pid, const std::string& home) {
  std::optional<ProcessInfo> info = ReadStat(pid);
  if (!info || info->state == 'Z') return "";
  std::string cmdline = Slurp(absl::StrCat("/proc/", pid, "/cmdline"));
  std::vector<std::string> argv;
  std::stringstream in(cmdline);
  for (std::string arg; std::getline(in, arg, '\0');) argv.push_back(arg);
  if (argv.empty() || std::filesystem::path(argv[0]).filename() != "corral-server") return "";
  const std::string prefix = home + "/servers/";
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "--scoreboard" && argv[i + 1].starts_with(prefix)) {
      std::string rest = argv[i + 1].substr(prefix.size());
      return rest.substr(0, rest.find('/'));
    }
  }
  return "";
}

// Every live corral-server process of `home`, by server name.
std::multimap<std::string, pid_t> ServerProcesses(const std::string& home) {
  std::multimap<std::string, pid_t> found;
  for (pid_t pid : AllPids()) {
    if (std::string name = ServerNameOf(pid, home); !name.empty()) found.emplace(name, pid);
  }
  return found;
}

std::vector<pid_t> ZombieChildrenOf(pid_t parent) {
  std::vector<pid_t> zombies;
  for (pid_t pid : AllPids()) {
    std::optional<ProcessInfo> info = ReadStat(pid);
    if (info && info->ppid == parent && info->state == 'Z') zombies.push_back(pid);
  }
  return zombies;
}

std::unique_ptr<v1::Agent::Stub> NewStub(const std::string& address) {
  return v1::Agent::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

std::chrono::system_clock::time_point In(seconds s) { return std::chrono::system_clock::now() + s; }

// One call that names a server (Stop, Restart, Remove), by `deadline` from now.
template <typename Request, typename Response>
grpc::Status CallByName(grpc::Status (v1::Agent::Stub::*method)(grpc::ClientContext*,
                                                                const Request&, Response*),
                        v1::Agent::Stub& stub, const std::string& name, seconds deadline) {
  grpc::ClientContext context;
  context.set_deadline(In(deadline));
  Request request;
  request.set_name(name);
  Response response;
  return (stub.*method)(&context, request, &response);
}

grpc::Status Restart(v1::Agent::Stub& stub, const std::string& name, seconds deadline) {
  return CallByName(&v1::Agent::Stub::Restart, stub, name, deadline);
}

grpc::Status Remove(v1::Agent::Stub& stub, const std::string& name, seconds deadline) {
  return CallByName(&v1::Agent::Stub::Remove, stub, name, deadline);
}

grpc::Status Stop(v1::Agent::Stub& stub, const std::string& name, seconds deadline) {
  return CallByName(&v1::Agent::Stub::Stop, stub, name, deadline);
}

grpc::Status Start(v1::Agent::Stub& stub, const v1::ServerSpec& spec, seconds deadline) {
  grpc::ClientContext context;
  context.set_deadline(In(deadline));
  v1::StartRequest request;
  *request.mutable_spec() = spec;
  v1::StartResponse response;
  return stub.Start(&context, request, &response);
}

std::vector<v1::Server> List(v1::Agent::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(In(seconds(10)));
  v1::ListResponse response;
  EXPECT_TRUE(stub.List(&context, v1::ListRequest(), &response).ok());
  return {response.servers().begin(), response.servers().end()};
}

v1::State DesiredOf(v1::State state) {
  switch (state) {
    case v1::STATE_STARTING:
    case v1::STATE_RUNNING:
    case v1::STATE_BACKOFF:
      return v1::STATE_RUNNING;
    case v1::STATE_FAILED:
    case v1::STATE_FATAL:
      return state;
    default:
      return v1::STATE_STOPPED;
  }
}

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    default:
      return absl::StrCat("code ", code);
  }
}

bool Settled(v1::State state) {
  return state == v1::STATE_RUNNING || state == v1::STATE_STOPPED || state == v1::STATE_FAILED ||
         state == v1::STATE_FATAL;
}

// The exact report of issue 19: `rm r1`, then `restart r1` while r1 drains. The restart used to
// spawn a process that the removal orphaned 3 ms later, hang to its deadline, break the next
// start's readiness (a stale epoll registration) and keep the agent from exiting on SIGTERM.
TEST_F(AgentTest, RestartWhileARemoveDrainsIsAnsweredAndLeavesNoProcessBehind) {
  v1::Server r1;
  ASSERT_TRUE(StartEcho("r1", "127.0.0.1:0", &r1, [](v1::ServerSpec& spec) {
                spec.set_stop_timeout_ms(5000);  // drains for 4 s with a client connected
              }).ok());
  // An idle client keeps the draining server alive until its drain deadline.
  absl::StatusOr<net::Address> address = net::Address::Parse(r1.bound_address());
  ASSERT_TRUE(address.ok());
  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(client, address->sockaddr_ptr(), address->length()), 0);
  ASSERT_EQ(::write(client, "y", 1), 1);
  char echoed;
  ASSERT_EQ(::read(client, &echoed, 1), 1);

  grpc::Status removed;
  std::thread remover([&] { removed = Remove(stub(), "r1", seconds(30)); });
  v1::Server draining =
      WaitUntil("r1", [](const v1::Server& s) { return s.state() == v1::STATE_STOPPING; });
  ASSERT_EQ(draining.state(), v1::STATE_STOPPING);
  ASSERT_TRUE(ProcessAlive(r1.pid())) << "the drain ended before the restart could race it";
  grpc::Status restarted = Restart(stub(), "r1", seconds(15));
  remover.join();
  ::close(client);

  EXPECT_TRUE(removed.ok()) << removed.error_message();
  EXPECT_TRUE(restarted.error_code() == grpc::StatusCode::ABORTED ||
              restarted.error_code() == grpc::StatusCode::NOT_FOUND)
      << restarted.error_code() << ": " << restarted.error_message();
  EXPECT_TRUE(List(stub()).empty());
  EXPECT_TRUE(ServerProcesses(home_).empty()) << "a corral-server runs that no server lists";

  // The agent is still whole: a new server reports ready, and SIGTERM ends the agent.
  v1::Server r2;
  grpc::Status started = StartEcho("r2", "127.0.0.1:0", &r2);
  ASSERT_TRUE(started.ok()) << started.error_message();
  EXPECT_EQ(r2.state(), v1::STATE_RUNNING) << r2.reason();
  EXPECT_EQ(EchoOnce(r2.bound_address(), "alive"), "alive");
  int status = agent_->SignalAndWait(SIGTERM, seconds(20));
  ASSERT_NE(status, -1) << "the agent did not exit within 20 s of SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(ServerProcesses(home_).empty());
}

// 16 clients, 8 names, at least 2,000 calls in a random mix, with servers SIGKILLed meanwhile.
TEST_F(AgentTest, RandomRacingOperationsLeaveEveryProcessSupervisedAndTheStateTrue) {
  constexpr int kClients = 16;
  constexpr int kNames = 8;
  constexpr int kCallsPerClient = 125;  // 2,000 in all
  const seconds kCallDeadline(30);

  auto spec_of = [](const std::string& name) {
    v1::ServerSpec spec;
    spec.set_name(name);
    spec.set_protocol(v1::PROTOCOL_TCP_ECHO);
    spec.set_model(v1::MODEL_THREAD);
    spec.set_listen("127.0.0.1:0");
    spec.set_stop_timeout_ms(2000);
    spec.set_backoff_initial_ms(20);
    spec.set_backoff_max_ms(100);
    return spec;
  };

  absl::Mutex mu;                       // guards the two below until the clients are joined
  std::map<std::string, int> outcomes;  // "Op CODE" -> count
  std::vector<std::string> unexpected;
  std::atomic<int> calls{0}, kills{0};
  // Set on the first unexpected answer: a hang costs each later call its whole deadline.
  std::atomic<bool> give_up{false};
  const uint32_t seed = std::random_device{}();
  std::cerr << "seed " << seed << "\n";

  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::unique_ptr<v1::Agent::Stub> stub = NewStub(socket_address());
      std::mt19937 random(seed + c);
      for (int done = 0; done < kCallsPerClient && !give_up;) {
        const std::string name = absl::StrCat("n", random() % kNames);
        const int dice = random() % 100;
        if (dice < 8) {
          // kill -9, as an operator or the OOM killer would, of the process `get` shows.
          grpc::ClientContext context;
          context.set_deadline(In(kCallDeadline));
          v1::GetRequest request;
          request.set_name(name);
          v1::GetResponse response;
          pid_t pid = stub->Get(&context, request, &response).ok() ? response.server().pid() : 0;
          if (pid > 0 && ServerNameOf(pid, home_) == name && ::kill(pid, SIGKILL) == 0) ++kills;
          continue;
        }
        std::string op;
        grpc::Status status;
        if (dice < 40) {
          op = "start";
          status = Start(*stub, spec_of(name), kCallDeadline);
        } else if (dice < 60) {
          op = "stop";
          status = Stop(*stub, name, kCallDeadline);
        } else if (dice < 80) {
          op = "restart";
          status = Restart(*stub, name, kCallDeadline);
        } else {
          op = "rm";
          status = Remove(*stub, name, kCallDeadline);
        }
        ++done;
        ++calls;
        const grpc::StatusCode code = status.error_code();
        const bool expected = code == grpc::StatusCode::OK || code == grpc::StatusCode::NOT_FOUND ||
                              code == grpc::StatusCode::ABORTED ||
                              (op == "start" && code == grpc::StatusCode::ALREADY_EXISTS);
        absl::MutexLock lock(&mu);
        ++outcomes[absl::StrCat(op, " ", CodeName(code))];
        if (!expected) {
          give_up = true;
          unexpected.push_back(
              absl::StrCat(op, " ", name, ": ", CodeName(code), ": ", status.error_message()));
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  for (const auto& [outcome, count] : outcomes) std::cerr << outcome << ": " << count << "\n";
  std::cerr << "kill -9: " << kills << "\n";
  EXPECT_GE(calls.load(), 2000);
  EXPECT_TRUE(unexpected.empty()) << unexpected.size()
                                  << " calls answered unexpectedly, first: " << unexpected.front();

  // Once the crashed ones have come back, each RUNNING server has exactly its own process, and
  // no process runs for any other.
  std::vector<v1::Server> servers;
  ASSERT_TRUE(WaitFor(
      [&] {
        servers = List(stub());
        return std::all_of(servers.begin(), servers.end(),
                           [](const v1::Server& s) { return Settled(s.state()); });
      },
      std::chrono::seconds(30)))
      << "servers still changing state 30 s after the last call";
  std::multimap<std::string, pid_t> processes = ServerProcesses(home_);
  std::map<std::string, const v1::Server*> listed;
  for (const v1::Server& s : servers) listed[s.spec().name()] = &s;
  for (const auto& [name, pid] : processes) {
    EXPECT_TRUE(listed.count(name)) << "pid " << pid << " runs for unlisted server " << name;
  }
  for (const v1::Server& s : servers) {
    const std::string& name = s.spec().name();
    if (s.state() == v1::STATE_RUNNING) {
      ASSERT_EQ(processes.count(name), 1u) << name;
      EXPECT_EQ(processes.find(name)->second, s.pid()) << name;
    } else {
      EXPECT_EQ(processes.count(name), 0u) << name << " is " << v1::State_Name(s.state());
      EXPECT_EQ(s.pid(), 0) << name;
    }
  }

  // The state file says what `ls` says.
  v1::StateFile state;
  ASSERT_TRUE(state.ParseFromString(Slurp(home_ + "/state.pb")));
  ASSERT_EQ(state.servers_size(), static_cast<int>(servers.size()));
  for (int i = 0; i < state.servers_size(); ++i) {
    const v1::ServerRecord& saved = state.servers(i);
    const v1::Server& live = servers[i];
    EXPECT_EQ(saved.spec().name(), live.spec().name());
    EXPECT_EQ(saved.desired(), DesiredOf(live.state())) << live.spec().name();
    EXPECT_EQ(saved.pid(), live.pid()) << live.spec().name();
    EXPECT_EQ(saved.bound_address(), live.bound_address()) << live.spec().name();
  }

  // Nothing left unreaped (a logger may take a moment to follow its server out).
  const pid_t agent = agent_->pid();
  EXPECT_TRUE(WaitFor([&] { return ZombieChildrenOf(agent).empty(); }, seconds(10)))
      << ZombieChildrenOf(agent).size() << " zombie children of the agent";

  // And the agent still shuts down, stopping its servers on the way (--stop-servers-on-exit).
  int status = agent_->SignalAndWait(SIGTERM, seconds(30));
  ASSERT_NE(status, -1) << "the agent did not exit within 30 s of SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(ServerProcesses(home_).empty());
}

}  // namespace
}  // namespace corral::testing
