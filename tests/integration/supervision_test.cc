// Supervision faults with real processes: crash loops, agent death and adoption, whole-tree
// stops, the state file, logs, events, and many clients at once.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/procfs/process_tree.h"
#include "servers/net/address.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

bool IsRunning(const v1::Server& s) { return s.state() == v1::STATE_RUNNING; }

int64_t Millis(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1'000'000;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A WatchEvents stream read on its own thread, so a test can wait for events.
class EventWatcher {
 public:
  // Returns once the agent has subscribed the stream (it then sends the initial metadata), so
  // every event after the constructor is seen.
  explicit EventWatcher(v1::Agent::Stub& stub, const std::string& name = "") {
    v1::WatchEventsRequest request;
    request.set_name(name);
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
    reader_ = stub.WatchEvents(&context_, request);
    reader_->WaitForInitialMetadata();
    thread_ = std::thread([this] {
      v1::Event event;
      while (reader_->Read(&event)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(event);
      }
    });
  }
  ~EventWatcher() {
    context_.TryCancel();
    thread_.join();
    status_ = reader_->Finish();
  }
  // Waits up to 20 s for the `count`-th event of `kind`; returns it (or a default on timeout).
  v1::Event WaitFor(v1::Event::Kind kind, int count = 1) {
    v1::Event found;
    auto seen_enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      int seen = 0;
      for (const v1::Event& e : events_) {
        if (e.kind() == kind && ++seen == count) {
          found = e;
          return true;
        }
      }
      return false;
    };
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&seen_enough), absl::Seconds(20));
    return found;
  }
  std::vector<v1::Event> Of(v1::Event::Kind kind) {
    absl::MutexLock lock(&mu_);
    std::vector<v1::Event> out;
    for (const v1::Event& e : events_) {
      if (e.kind() == kind) out.push_back(e);
    }
    return out;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::Event> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_;
};

TEST_F(AgentTest, CrashLoopBacksOffWithGrowingDelaysThenGoesFatal) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("crashy", "127.0.0.1:0", &server, [](v1::ServerSpec& spec) {
                spec.set_backoff_initial_ms(200);
                spec.set_max_failures(4);
                spec.set_stable_after_ms(60'000);
              }).ok());
  // Watching an unknown name is refused, so the watch starts once the server exists.
  EventWatcher watch(stub(), "crashy");

  int pid = server.pid();
  for (int crash = 1; crash <= 3; ++crash) {
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    v1::Event backoff = watch.WaitFor(v1::Event::BACKOFF, crash);
    ASSERT_EQ(backoff.kind(), v1::Event::BACKOFF) << "crash " << crash;
    v1::Server again = WaitUntil("crashy", [&](const v1::Server& s) {
      return IsRunning(s) && s.pid() != pid && s.pid() != 0;
    });
    EXPECT_EQ(again.restarts(), static_cast<uint32_t>(crash));
    EXPECT_EQ(again.consecutive_failures(), static_cast<uint32_t>(crash));
    pid = again.pid();
  }
  // Delays: 200, 400, 800 ms, each within +-20 % jitter, so each strictly longer.
  std::vector<v1::Event> backoffs = watch.Of(v1::Event::BACKOFF);
  ASSERT_EQ(backoffs.size(), 3u);
  std::vector<int64_t> delays;
  for (const v1::Event& e : backoffs)
    delays.push_back(Millis(e.next_start_time()) - Millis(e.time()));
  EXPECT_GE(delays[0], 150);
  EXPECT_LE(delays[0], 250);
  EXPECT_GT(delays[1], delays[0]);
  EXPECT_GT(delays[2], delays[1]);
  EXPECT_GE(delays[2], 600);

  // The fourth failure in a row is the last.
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  v1::Event fatal = watch.WaitFor(v1::Event::FATAL);
  EXPECT_TRUE(absl::StrContains(fatal.reason(), "gave up after 4 consecutive failures"))
      << fatal.reason();
  v1::Server dead =
      WaitUntil("crashy", [](const v1::Server& s) { return s.state() == v1::STATE_FATAL; });
  EXPECT_EQ(dead.pid(), 0);
  EXPECT_EQ(dead.consecutive_failures(), 4u);
  // That nothing restarts it cannot be awaited: the test gives the agent longer than any
  // backoff (800 ms at most here) to do it if it would.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Get("crashy")->state(), v1::STATE_FATAL);

  CommandResult ls = Ctl({"ls"});
  EXPECT_TRUE(std::regex_search(ls.out, std::regex("crashy +FATAL .* 3 +4 +- +signal 9")))
      << ls.out;
  EXPECT_TRUE(absl::StrContains(ls.out, "FAILS")) << ls.out;
  // Restart is the way out.
  CommandResult restart = Ctl({"restart", "crashy"});
  EXPECT_EQ(restart.exit_code, 0) << restart.err;
  EXPECT_EQ(Get("crashy")->consecutive_failures(), 0u);

  // The events told the whole story in order.
  EXPECT_EQ(watch.Of(v1::Event::EXITED).size(), 4u);
  EXPECT_EQ(watch.Of(v1::Event::EXITED)[0].exit().signal(), SIGKILL);
}

TEST_F(AgentTest, AgentKilledServersKeepServingAndANewAgentAdoptsThem) {
  v1::Server a, b;
  ASSERT_TRUE(StartEcho("a", "127.0.0.1:0", &a).ok());
  ASSERT_TRUE(StartEcho("b", "127.0.0.1:0", &b).ok());
  ASSERT_EQ(Ctl({"stop", "b"}).exit_code, 0);

  // A client talks to the server the whole time the agent is dead and coming back.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread client([&] {
    while (!stop) {
      (EchoOnce(a.bound_address(), "ping") == "ping" ? ok : failed)++;
      // Paces the client (a connection each time), so it does not run out of ports.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  // Served while no agent runs, then while the new one adopts it, then after.
  auto served_more = [&](int count) {
    const int before = ok;
    return WaitFor([&] { return ok >= before + count || failed > 0; }) && failed == 0;
  };
  ASSERT_NE(agent_->SignalAndWait(SIGKILL), -1);
  EXPECT_TRUE(served_more(20));
  StartAgent();
  absl::StatusOr<v1::Server> adopted = Get("a");
  EXPECT_TRUE(served_more(20));
  stop = true;
  client.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 10);

  ASSERT_TRUE(adopted.ok());
  EXPECT_EQ(adopted->state(), v1::STATE_RUNNING);
  EXPECT_EQ(adopted->pid(), a.pid());
  EXPECT_TRUE(adopted->adopted());
  EXPECT_EQ(adopted->bound_address(), a.bound_address());
  EXPECT_EQ(adopted->restarts(), 0u);
  EXPECT_EQ(Get("b")->state(), v1::STATE_STOPPED);  // stopped stays stopped
  CommandResult ls = Ctl({"ls"});
  EXPECT_TRUE(
      std::regex_search(ls.out, std::regex("a +RUNNING +tcp-echo +thread +" + a.bound_address() +
                                           " +" + std::to_string(a.pid()))))
      << ls.out;

  // The adopted server is supervised: killed, it comes back (exit status unknown: not our child).
  ASSERT_EQ(kill(a.pid(), SIGKILL), 0);
  v1::Server again = WaitUntil(
      "a", [&](const v1::Server& s) { return IsRunning(s) && s.pid() != a.pid() && s.pid() != 0; });
  EXPECT_TRUE(again.last_exit().unknown());
  EXPECT_EQ(again.restarts(), 1u);
  EXPECT_FALSE(again.adopted());
  EXPECT_EQ(EchoOnce(again.bound_address(), "back"), "back");

  // And it can be stopped.
  ASSERT_EQ(Ctl({"stop", "a"}).exit_code, 0);
  EXPECT_FALSE(ProcessAlive(again.pid()));
}

TEST_F(AgentTest, DeadServerIsRestartedByTheNewAgentAndRecycledPidIsNotAdopted) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  ASSERT_NE(agent_->SignalAndWait(SIGKILL), -1);
  // While no agent watches, the server dies too.
  ASSERT_EQ(kill(server.pid(), SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return !ProcessAlive(server.pid()); }));
  // Fake a recycled pid: the saved pid now names another live process (this test), whose
  // start time differs from the one saved.
  v1::StateFile state;
  ASSERT_TRUE(state.ParseFromString(Slurp(home_ + "/state.pb")));
  ASSERT_EQ(state.servers_size(), 1);
  state.mutable_servers(0)->set_pid(getpid());
  std::ofstream(home_ + "/state.pb", std::ios::binary | std::ios::trunc)
      << state.SerializeAsString();

  StartAgent();
  v1::Server again = WaitUntil("echo", [&](const v1::Server& s) {
    return IsRunning(s) && s.pid() != 0 && s.pid() != getpid();
  });
  EXPECT_FALSE(again.adopted());
  EXPECT_EQ(EchoOnce(again.bound_address(), "fresh"), "fresh");
  EXPECT_TRUE(ProcessAlive(getpid()));  // obviously, but the agent must not have killed us
}

TEST_F(AgentTest, StopWithClientsConnectedLeavesNoProcessOfTheServer) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("forky", "127.0.0.1:0", &server, [](v1::ServerSpec& spec) {
                spec.set_model(v1::MODEL_FORK);
                spec.set_stop_timeout_ms(500);
              }).ok());
  // Connected clients, each served by a forked child, none of them going away.
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<net::Address> address = net::Address::Parse(server.bound_address());
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(::connect(fd, address->sockaddr_ptr(), address->length()), 0);
    ASSERT_EQ(::write(fd, "y", 1), 1);
    char c;
    ASSERT_EQ(::read(fd, &c, 1), 1);
    fds.push_back(fd);
  }
  absl::StatusOr<std::vector<pid_t>> tree = procfs::FindProcessTree(procfs::ProcFs(), server.pid());
  ASSERT_TRUE(tree.ok());
  EXPECT_GE(tree->size(), 5u) << "the server and a child per connected client";

  CommandResult stop = Ctl({"stop", "forky"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  for (pid_t pid : *tree) EXPECT_FALSE(ProcessAlive(pid)) << pid;
  EXPECT_TRUE(ProcessGroupMembers(server.pid()).empty());
  for (int fd : fds) ::close(fd);
  // Stopping twice is harmless.
  EXPECT_EQ(Ctl({"stop", "forky"}).exit_code, 0);
}

TEST_F(AgentTest, StateWriteFailureIsAClearErrorAndKeepsTheOldState) {
  ASSERT_TRUE(StartEcho("kept", "127.0.0.1:0", nullptr).ok());
  const std::string state_path = home_ + "/state.pb";
  const std::string before = Slurp(state_path);
  ASSERT_FALSE(before.empty());
  // A directory where the temp file must go: open() fails even for root.
  ASSERT_EQ(mkdir((state_path + ".tmp").c_str(), 0700), 0);

  CommandResult start = Ctl({"start", "lost"});
  EXPECT_EQ(start.exit_code, 4) << start.err;
  EXPECT_EQ(start.err, "corralctl: start \"lost\": save state " + state_path + ": open " +
                           state_path + ".tmp: is a directory; nothing was changed\n");
  CommandResult stop = Ctl({"stop", "kept"});
  EXPECT_EQ(stop.exit_code, 4) << stop.err;
  EXPECT_EQ(Slurp(state_path), before);
  EXPECT_EQ(Get("lost").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Get("kept")->state(), v1::STATE_RUNNING);

  ASSERT_EQ(rmdir((state_path + ".tmp").c_str()), 0);
  EXPECT_EQ(Ctl({"start", "lost"}).exit_code, 0);
  EXPECT_NE(Slurp(state_path), before);
}

TEST_F(AgentTest, TwoHundredConcurrentCtlCallsAreAllAnswered) {
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", nullptr).ok());
  std::vector<std::thread> threads;
  std::atomic<int> answered{0};
  absl::Mutex mu;
  std::string first_error;  // guarded by mu until the threads are joined
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&, i] {
      CommandResult r = i % 2 == 0 ? Ctl({"ls"}) : Ctl({"get", "echo"});
      if (r.exit_code == 0 && absl::StrContains(r.out, "echo")) {
        ++answered;
      } else {
        absl::MutexLock lock(&mu);
        if (first_error.empty()) first_error = r.err;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(answered.load(), 200) << first_error;
}

TEST_F(AgentTest, LogsAreTimestampedTailedAndFollowed) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  const std::regex stamped(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z .*serving tcp-echo.*)");
  // The server's start-up line reaches the log through its logger.
  CommandResult logs;
  WaitFor([&] {
    logs = Ctl({"logs", "echo", "-n", "5"});
    return absl::StrContains(logs.out, "serving");
  });
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  std::istringstream lines(logs.out);
  std::string line;
  bool found = false;
  while (std::getline(lines, line)) found = found || std::regex_match(line, stamped);
  EXPECT_TRUE(found) << logs.out;

  // Following: a restart writes new lines, which the stream delivers.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(1));
  v1::TailLogsRequest request;
  request.set_name("echo");
  request.set_lines(0);
  request.set_follow(true);
  std::unique_ptr<grpc::ClientReader<v1::LogLines>> reader = stub().TailLogs(&context, request);
  reader->WaitForInitialMetadata();  // sent once the agent follows the log
  ASSERT_EQ(Ctl({"restart", "echo"}).exit_code, 0);
  std::string followed;
  v1::LogLines message;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && !absl::StrContains(followed, "serving") &&
         reader->Read(&message)) {
    for (const std::string& l : message.lines()) followed += l + "\n";
  }
  EXPECT_TRUE(absl::StrContains(followed, "stopped")) << followed;  // the old process's last line
  EXPECT_TRUE(absl::StrContains(followed, "serving")) << followed;  // the new one's first
  context.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  EXPECT_EQ(Ctl({"logs", "ghost"}).exit_code, 3);
}

// The agent sends a watch's initial metadata as soon as the stream is subscribed, without
// waiting for an event: a watcher that waits for it knows it will see whatever happens next.
TEST_F(AgentTest, AWatchIsAnnouncedOnceSubscribedBeforeAnyEvent) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader =
      stub().WatchEvents(&context, v1::WatchEventsRequest());
  reader->WaitForInitialMetadata();
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  v1::Event event;
  ASSERT_TRUE(reader->Read(&event)) << "the watch ended: " << reader->Finish().error_message();
  EXPECT_EQ(event.kind(), v1::Event::STARTED);
  EXPECT_EQ(event.pid(), server.pid());
  context.TryCancel();
  reader->Finish();
}

TEST_F(AgentTest, EventsCommandPrintsEventsAndWatchingAnUnknownServerIsNotFound) {
  grpc::ClientContext context;
  v1::WatchEventsRequest request;
  request.set_name("ghost");
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader = stub().WatchEvents(&context, request);
  v1::Event event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);

  EventWatcher all(stub());
  v1::Server server;
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", &server).ok());
  ASSERT_EQ(Ctl({"stop", "echo"}).exit_code, 0);
  EXPECT_EQ(all.WaitFor(v1::Event::STARTED).pid(), server.pid());
  EXPECT_EQ(all.WaitFor(v1::Event::READY).bound_address(), server.bound_address());
  EXPECT_EQ(all.WaitFor(v1::Event::EXITED).exit().code(), 0);
  EXPECT_EQ(all.WaitFor(v1::Event::STOPPED).state(), v1::STATE_STOPPED);
}

}  // namespace
}  // namespace corral::testing
