// Health (issue 21 items 4 and 6): the liveness probe and the memory guard restart a real
// program (tests/programs/health_server.py) that hangs or grows, through the restart policy, the
// reason and an UNHEALTHY event naming the check; a healthy one is left alone.
#include <signal.h>

#include <chrono>
#include <memory>
#include <regex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

const std::string kProgram = std::string(CORRAL_SOURCE_DIR) + "/tests/programs/health_server.py";

// A long backoff and no "stable" run, so a restart by a check is seen as BACKOFF with its reason.
const std::vector<std::string> kSlowRestart = {"--backoff-initial-ms", "4000", "--stable-after-ms",
                                               "600000"};

class HealthTest : public AgentTest {
 protected:
  // `corralctl start NAME --listen 127.0.0.1:0 --ready http:/ FLAGS... -- python3 PROGRAM ARGS`
  void StartProgram(const std::string& name, std::vector<std::string> flags,
                    const std::vector<std::string>& program_args) {
    std::vector<std::string> args = {"start", name, "--listen", "127.0.0.1:0", "--ready", "http:/"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--", "python3", kProgram});
    args.insert(args.end(), program_args.begin(), program_args.end());
    CommandResult started = Ctl(args);
    ASSERT_EQ(started.exit_code, 0) << started.err;
  }

  // Every event from now on, collected by a thread until the test ends (subscribed before the
  // server exists, so none can be missed).
  class Events {
   public:
    explicit Events(v1::Agent::Stub& stub) {
      context_.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
      v1::WatchEventsRequest request;
      reader_ = stub.WatchEvents(&context_, request);
      reader_->WaitForInitialMetadata();
      thread_ = std::thread([this] {
        v1::Event e;
        while (reader_->Read(&e)) {
          absl::MutexLock lock(&mu_);
          events_.push_back(e);
        }
      });
    }
    ~Events() {
      context_.TryCancel();
      thread_.join();
    }
    // The first event of `kind` for `name`, waiting up to 30 s; kind unset if none came.
    v1::Event First(const std::string& name, v1::Event::Kind kind) {
      absl::MutexLock lock(&mu_);
      auto find = [&]() -> const v1::Event* {
        for (const v1::Event& e : events_) {
          if (e.kind() == kind && e.name() == name) return &e;
        }
        return nullptr;
      };
      auto found = [&] { return find() != nullptr; };
      mu_.AwaitWithTimeout(absl::Condition(&found), absl::Seconds(30));
      return find() != nullptr ? *find() : v1::Event();
    }

   private:
    grpc::ClientContext context_;
    std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
    absl::Mutex mu_;
    std::vector<v1::Event> events_ ABSL_GUARDED_BY(mu_);
    std::thread thread_;
  };

  // Waits until the program has counted at least `n` probes.
  void AwaitProbes(const std::string& address, int n) {
    int count = 0;
    WaitFor(
        [&] {
          if (!absl::SimpleAtoi(HttpGetBody(address, "/count"), &count)) count = 0;
          return count >= n;
        },
        std::chrono::seconds(30));
    ASSERT_GE(count, n);
  }
};

// A program that stops answering is restarted by the http probe: the event and the reason name
// the check, and the restart goes through the restart policy (BACKOFF, then a new process).
TEST_F(HealthTest, AHungServerIsRestartedByTheHttpProbe) {
  std::vector<std::string> flags = {"--health",
                                    "http:/healthz",
                                    "--health-interval-ms",
                                    "200",
                                    "--health-timeout-ms",
                                    "300",
                                    "--health-failures",
                                    "3"};
  flags.insert(flags.end(), kSlowRestart.begin(), kSlowRestart.end());
  Events events(stub());
  StartProgram("hangs", flags, {"--hang-after-ms", "1500"});
  const pid_t first = Get("hangs")->pid();
  v1::Event unhealthy = events.First("hangs", v1::Event::UNHEALTHY);
  EXPECT_EQ(unhealthy.reason(), "health check http:/healthz failed 3 times: timeout after 300 ms");
  EXPECT_EQ(unhealthy.pid(), first);
  v1::Server server =
      WaitUntil("hangs", [](const v1::Server& s) { return s.state() == v1::STATE_BACKOFF; });
  ASSERT_EQ(server.state(), v1::STATE_BACKOFF);
  EXPECT_TRUE(absl::StartsWith(
      server.reason(), "health check http:/healthz failed 3 times: timeout after 300 ms; died: "))
      << server.reason();
  EXPECT_EQ(server.last_exit().signal(), SIGTERM);  // graceful: python's default SIGTERM
  server = WaitUntil("hangs", [first](const v1::Server& s) {
    return s.state() == v1::STATE_RUNNING && s.pid() != first && s.pid() != 0;
  });
  EXPECT_EQ(server.restarts(), 1u);
}

// With the tcp probe, the agent's own listener makes every connect succeed; the probe still
// sees that the program no longer accepts.
TEST_F(HealthTest, AHungServerIsRestartedByTheTcpProbe) {
  std::vector<std::string> flags = {
      "--health",          "tcp", "--health-interval-ms", "200", "--health-timeout-ms", "300",
      "--health-failures", "2"};
  flags.insert(flags.end(), kSlowRestart.begin(), kSlowRestart.end());
  StartProgram("hangs", flags, {"--hang-after-ms", "1500"});
  v1::Server server =
      WaitUntil("hangs", [](const v1::Server& s) { return s.state() == v1::STATE_BACKOFF; });
  ASSERT_EQ(server.state(), v1::STATE_BACKOFF);
  EXPECT_TRUE(
      absl::StartsWith(server.reason(), "health check tcp failed 2 times: timeout after 300 ms; "))
      << server.reason();
}

// A program whose memory keeps growing is restarted once its tree stays above --memory-max.
TEST_F(HealthTest, AGrowingServerIsRestartedByTheMemoryGuard) {
  std::vector<std::string> flags = {"--memory-max", "96M"};
  flags.insert(flags.end(), kSlowRestart.begin(), kSlowRestart.end());
  Events events(stub());
  StartProgram("grows", flags, {"--grow-mib", "4"});
  v1::Event unhealthy = events.First("grows", v1::Event::UNHEALTHY);
  EXPECT_TRUE(
      std::regex_match(unhealthy.reason(), std::regex(R"(memory \d+ MiB > max 96 MiB for 3 s)")))
      << unhealthy.reason();
  v1::Server server =
      WaitUntil("grows", [](const v1::Server& s) { return s.state() == v1::STATE_BACKOFF; });
  ASSERT_EQ(server.state(), v1::STATE_BACKOFF);
  EXPECT_TRUE(absl::StartsWith(server.reason(), unhealthy.reason() + "; died: "))
      << server.reason();
}

// corral-server is probed the same way: a path it answers 404 fails the http probe.
TEST_F(HealthTest, ACorralServerIsProbedToo) {
  Events events(stub());
  CommandResult started =
      Ctl({"start", "web", "--protocol", "http", "--root", home_, "--listen", "127.0.0.1:0",
           "--health", "http:/missing", "--health-interval-ms", "100", "--health-failures", "2",
           "--backoff-initial-ms", "4000", "--stable-after-ms", "600000"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  v1::Event unhealthy = events.First("web", v1::Event::UNHEALTHY);
  EXPECT_TRUE(absl::StartsWith(
      unhealthy.reason(), "health check http:/missing failed 2 times: answered \"HTTP/1.1 404"))
      << unhealthy.reason();
  v1::Server server =
      WaitUntil("web", [](const v1::Server& s) { return s.state() == v1::STATE_BACKOFF; });
  EXPECT_EQ(server.state(), v1::STATE_BACKOFF) << server.reason();
}

// Healthy programs answer every probe and stay under their limit: never restarted, over many
// intervals of both probes.
TEST_F(HealthTest, HealthyServersAreLeftAlone) {
  StartProgram("http",
               {"--health", "http:/healthz", "--health-interval-ms", "50", "--health-timeout-ms",
                "2000", "--health-failures", "1", "--memory-max", "1G"},
               {});
  StartProgram("tcp",
               {"--health", "tcp", "--health-interval-ms", "50", "--health-timeout-ms", "2000",
                "--health-failures", "1"},
               {});
  v1::Server http = *Get("http");
  v1::Server tcp = *Get("tcp");
  ASSERT_EQ(http.state(), v1::STATE_RUNNING);
  ASSERT_EQ(tcp.state(), v1::STATE_RUNNING);
  AwaitProbes(http.bound_address(), 20);
  AwaitProbes(tcp.bound_address(), 20);
  for (const v1::Server& before : {http, tcp}) {
    v1::Server now = *Get(before.spec().name());
    EXPECT_EQ(now.state(), v1::STATE_RUNNING) << now.spec().name() << ": " << now.reason();
    EXPECT_EQ(now.pid(), before.pid()) << now.spec().name();
    EXPECT_EQ(now.restarts(), 0u) << now.spec().name();
  }
}

}  // namespace
}  // namespace corral::testing
