// Live statistics end to end: a real agent runs real servers under each model, a known
// workload goes through real sockets, and GetStats / WatchStats / corralctl stats, watch, top
// and the Prometheus endpoint must report exactly that workload.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/integration/stats_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Workload {
  v1::Protocol protocol;
  v1::Model model;
  const char* label;
};

class StatsWorkloadTest : public StatsTest, public ::testing::WithParamInterface<Workload> {};

TEST_P(StatsWorkloadTest, KnownWorkloadGivesExactCounts) {
  const Workload w = GetParam();
  const bool udp = w.protocol == v1::PROTOCOL_UDP_ECHO;
  StartStatsAgent();
  v1::Server server;
  grpc::Status started = StartEcho("s", "127.0.0.1:0", &server, [&w](v1::ServerSpec& spec) {
    spec.set_protocol(w.protocol);
    spec.set_model(w.model);
  });
  ASSERT_TRUE(started.ok()) << started.error_message();
  ASSERT_EQ(server.state(), v1::STATE_RUNNING) << server.reason();

  int fd = ConnectTo(server.bound_address(), udp ? SOCK_DGRAM : SOCK_STREAM);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < kMessages; ++i) {
    std::string message(kMessageBytes, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(EchoOn(fd, message, udp)) << "message " << i;
  }
  const uint64_t bytes = kMessages * kMessageBytes;
  if (!udp) {
    // With the connection still open: one active connection, held by a worker (under fork, a
    // child process that the process tree must include).
    v1::ServerStats open = WaitForStats("s", [](const v1::ServerStats& s) {
      return s.active_connections() == 1 && s.totals().requests() == kMessages;
    });
    EXPECT_EQ(open.active_connections(), 1u);
    ASSERT_TRUE(open.has_process());
    if (w.model == v1::MODEL_FORK) {
      EXPECT_GE(open.process().processes(), 2u);
    }
  }
  ::close(fd);

  v1::ServerStats s = WaitForStats("s", [&](const v1::ServerStats& seen) {
    return seen.totals().requests() >= kMessages && seen.totals().bytes_out() >= bytes &&
           (udp || seen.totals().connections_closed() >= 1);
  });
  ASSERT_TRUE(s.scoreboard_available()) << s.unavailable_reason();
  EXPECT_EQ(s.name(), "s");
  EXPECT_EQ(s.state(), v1::STATE_RUNNING);
  EXPECT_EQ(s.protocol(), w.protocol);
  EXPECT_EQ(s.model(), w.model);
  EXPECT_EQ(s.bound_address(), server.bound_address());
  EXPECT_EQ(s.totals().requests(), uint64_t(kMessages));
  EXPECT_EQ(s.totals().bytes_in(), bytes);
  EXPECT_EQ(s.totals().bytes_out(), bytes);
  EXPECT_EQ(s.totals().connections_accepted(), udp ? 0u : 1u);
  EXPECT_EQ(s.totals().connections_closed(), udp ? 0u : 1u);
  EXPECT_EQ(s.totals().errors_timeout() + s.totals().errors_reset() + s.totals().errors_protocol() +
                s.totals().errors_refused_at_cap(),
            0u);
  EXPECT_EQ(s.active_connections(), 0u);
  EXPECT_EQ(s.lifetime_latency().count(), uint64_t(kMessages));
  EXPECT_GT(s.lifetime_latency().p50_ns(), 0u);
  EXPECT_LE(s.lifetime_latency().p50_ns(), s.lifetime_latency().p99_ns());
  EXPECT_EQ(s.listener_state(), "accepting");
  EXPECT_EQ(s.pid(), server.pid());
  EXPECT_GT(s.uptime_seconds(), 0);
  ASSERT_TRUE(s.has_process());
  EXPECT_GE(s.process().processes(), 1u);
  EXPECT_GE(s.process().threads(), 1u);
  EXPECT_GT(s.process().rss_bytes(), 0u);
  EXPECT_GT(s.process().open_fds(), 0u);

  // Per worker: the slots add up to the totals.
  v1::StatsReport detailed;
  ASSERT_TRUE(GetStats("s", &detailed, true).ok());
  ASSERT_EQ(detailed.servers_size(), 1);
  uint64_t slot_requests = 0, slot_bytes = 0;
  for (const v1::WorkerStats& worker : detailed.servers(0).workers()) {
    slot_requests += worker.counters().requests();
    slot_bytes += worker.counters().bytes_in();
  }
  EXPECT_GT(detailed.servers(0).workers_size(), 0);
  EXPECT_EQ(slot_requests, uint64_t(kMessages));
  EXPECT_EQ(slot_bytes, bytes);

  // corralctl shows the same figures.
  CommandResult block = Ctl({"stats", "s"});
  EXPECT_EQ(block.exit_code, 0) << block.err;
  EXPECT_THAT(block.out, HasSubstr(absl::StrCat(kMessages, " total")));
  EXPECT_THAT(block.out, HasSubstr(absl::StrCat("bytes in:", std::string(12, ' '), bytes)));
  CommandResult json = Ctl({"--json", "stats", "s"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr(absl::StrCat("\"requests\": \"", kMessages, "\"")));
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, StatsWorkloadTest,
    ::testing::Values(Workload{v1::PROTOCOL_TCP_ECHO, v1::MODEL_THREAD, "tcp_thread"},
                      Workload{v1::PROTOCOL_TCP_ECHO, v1::MODEL_FORK, "tcp_fork"},
                      Workload{v1::PROTOCOL_TCP_ECHO, v1::MODEL_COROUTINE, "tcp_coroutine"},
                      Workload{v1::PROTOCOL_UDP_ECHO, v1::MODEL_THREAD, "udp_thread"},
                      Workload{v1::PROTOCOL_UDP_ECHO, v1::MODEL_FORK, "udp_fork"},
                      Workload{v1::PROTOCOL_UDP_ECHO, v1::MODEL_COROUTINE, "udp_coroutine"}),
    [](const ::testing::TestParamInfo<Workload>& param) { return std::string(param.param.label); });

TEST_F(StatsTest, UnknownServerAndBadIntervalAreRefused) {
  StartStatsAgent();
  v1::StatsReport report;
  EXPECT_EQ(GetStats("nope", &report).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(GetStats("", &report).ok());
  EXPECT_EQ(report.servers_size(), 0);

  for (uint32_t interval : {50u, 4'000'000u}) {
    grpc::ClientContext context;
    v1::WatchStatsRequest request;
    request.set_interval_ms(interval);
    auto reader = stats_->WatchStats(&context, request);
    v1::StatsReport r;
    EXPECT_FALSE(reader->Read(&r));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  grpc::ClientContext context;
  v1::WatchStatsRequest request;
  request.set_name("nope");
  auto reader = stats_->WatchStats(&context, request);
  v1::StatsReport r;
  EXPECT_FALSE(reader->Read(&r));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);

  CommandResult missing = Ctl({"stats", "nope"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("corralctl: stats \"nope\": "));
}

TEST_F(StatsTest, WatchStatsDeliversIncreasingSnapshotsAndStopsOnCancel) {
  StartStatsAgent();
  v1::Server server;
  ASSERT_TRUE(StartEcho("w", "127.0.0.1:0", &server).ok());
  int fd = ConnectTo(server.bound_address(), SOCK_STREAM);
  ASSERT_GE(fd, 0);

  grpc::ClientContext context;
  v1::WatchStatsRequest request;
  request.set_name("w");
  request.set_interval_ms(100);
  auto reader = stats_->WatchStats(&context, request);
  uint64_t previous = 0;
  int increases = 0;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(EchoOn(fd, std::string(kMessageBytes, 'w'), false));
    v1::StatsReport report;
    ASSERT_TRUE(reader->Read(&report)) << "message " << i;
    ASSERT_EQ(report.servers_size(), 1);
    const v1::ServerStats& s = report.servers(0);
    EXPECT_EQ(s.name(), "w");
    EXPECT_GE(s.totals().requests(), previous);
    if (s.totals().requests() > previous) ++increases;
    previous = s.totals().requests();
    EXPECT_GT(s.interval_seconds(), 0);
  }
  EXPECT_GE(increases, 2);
  ::close(fd);
  context.TryCancel();
  v1::StatsReport report;
  while (reader->Read(&report)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // The agent still answers, and a new watch works.
  v1::StatsReport again;
  EXPECT_TRUE(GetStats("w", &again).ok());
}

TEST_F(StatsTest, WatchStatsEndsWhenTheServerIsRemoved) {
  StartStatsAgent();
  ASSERT_TRUE(StartEcho("gone", "127.0.0.1:0", nullptr).ok());
  grpc::ClientContext context;
  v1::WatchStatsRequest request;
  request.set_name("gone");
  request.set_interval_ms(100);
  auto reader = stats_->WatchStats(&context, request);
  v1::StatsReport report;
  ASSERT_TRUE(reader->Read(&report));
  CommandResult rm = Ctl({"rm", "gone"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  while (reader->Read(&report)) {
  }
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(StatsTest, WatchCommandPrintsALinePerSample) {
  StartStatsAgent();
  ASSERT_TRUE(StartEcho("echo", "127.0.0.1:0", nullptr).ok());
  CommandResult watch = Ctl({"watch", "echo", "--interval-ms", "100", "--count", "3"});
  EXPECT_EQ(watch.exit_code, 0) << watch.err;
  std::vector<std::string> lines = absl::StrSplit(watch.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << watch.out;
  EXPECT_THAT(lines[0], HasSubstr("REQ/S"));
  for (size_t i = 1; i < lines.size(); ++i) EXPECT_THAT(lines[i], HasSubstr("echo"));
}

TEST_F(StatsTest, TopWithoutATerminalPrintsPlainTables) {
  StartStatsAgent();
  ASSERT_TRUE(StartEcho("plain", "127.0.0.1:0", nullptr).ok());
  CommandResult top = Ctl({"top", "--interval-ms", "100", "--count", "2"});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  EXPECT_EQ(top.out.find("\x1b"), std::string::npos) << "no escape sequences without a terminal";
  size_t headers = 0;
  for (size_t at = 0; (at = top.out.find("NAME*", at)) != std::string::npos; ++at) ++headers;
  EXPECT_EQ(headers, 2u) << top.out;
  EXPECT_THAT(top.out, HasSubstr("plain"));
}

// Runs tmux on a server of its own, so the test never touches a user's sessions.
class Tmux {
 public:
  Tmux() : socket_(absl::StrCat("corral-stats-test-", ::getpid())) {}
  ~Tmux() { Run({"kill-server"}); }
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/tmux", "-L", socket_});
    return RunCommand(args, std::chrono::seconds(20));
  }
  std::string Capture() { return Run({"capture-pane", "-p", "-t", "top"}).out; }
  // Polls the pane until it shows `text` (20 s at most).
  bool WaitFor(const std::string& text) {
    return testing::WaitFor([&] { return absl::StrContains(Capture(), text); });
  }

 private:
  std::string socket_;
};

TEST_F(StatsTest, TopRendersInATerminalSortsAndQuitsRestoringIt) {
  StartStatsAgent();
  v1::Server a, b;
  ASSERT_TRUE(StartEcho("alpha", "127.0.0.1:0", &a).ok());
  ASSERT_TRUE(StartEcho("beta", "127.0.0.1:0", &b).ok());
  ASSERT_EQ(EchoOnce(b.bound_address(), "hello"), "hello");

  Tmux tmux;
  std::string command = absl::StrCat(BinaryPath("corralctl"), " --agent ", socket_address(),
                                     " top --interval-ms 200; echo top-exit=$?; stty -a; "
                                     "echo stty-done; sleep 60");
  CommandResult started =
      tmux.Run({"new-session", "-d", "-s", "top", "-x", "200", "-y", "50", "sh", "-c", command});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  ASSERT_TRUE(tmux.WaitFor("RESTARTS")) << tmux.Capture();
  std::string screen = tmux.Capture();
  EXPECT_THAT(screen, HasSubstr("corral top"));
  EXPECT_THAT(screen, HasSubstr("NAME*"));
  EXPECT_THAT(screen, HasSubstr("alpha"));
  EXPECT_THAT(screen, HasSubstr("beta"));
  EXPECT_THAT(screen, HasSubstr("RUNNING"));
  EXPECT_THAT(screen, HasSubstr(a.bound_address()));

  ASSERT_EQ(tmux.Run({"send-keys", "-t", "top", "m"}).exit_code, 0);
  ASSERT_TRUE(tmux.WaitFor("RSS*")) << tmux.Capture();

  ASSERT_EQ(tmux.Run({"send-keys", "-t", "top", "q"}).exit_code, 0);
  // stty's report follows top-exit=; the sentinel after it says the whole report is on screen.
  ASSERT_TRUE(tmux.WaitFor("stty-done")) << tmux.Capture();
  screen = tmux.Capture();
  EXPECT_THAT(screen, HasSubstr("top-exit=0"));
  // Back on the main screen with the line discipline as it was: canonical mode and echo on.
  EXPECT_THAT(screen, Not(HasSubstr("RESTARTS")));
  EXPECT_THAT(screen, ::testing::ContainsRegex("[^-]icanon"));
  EXPECT_THAT(screen, ::testing::ContainsRegex("[^-]echo "));
}

TEST_F(StatsTest, TopQuitsOnSigtermAndRestoresTheTerminal) {
  // `</dev/tty`: a background command's stdin is /dev/null in a shell without job control;
  // top must get the terminal so that raw mode is really entered, and must be undone.
  StartStatsAgent();
  Tmux tmux;
  std::string command = absl::StrCat(
      BinaryPath("corralctl"), " --agent ", socket_address(),
      " top --interval-ms 200 </dev/tty & pid=$!; sleep 2; kill -TERM $pid; wait $pid; "
      "echo top-exit=$?; stty -a; echo stty-done; sleep 60");
  ASSERT_EQ(
      tmux.Run({"new-session", "-d", "-s", "top", "-x", "200", "-y", "50", "sh", "-c", command})
          .exit_code,
      0);
  // stty's report follows top-exit=; the sentinel after it says the whole report is on screen.
  ASSERT_TRUE(tmux.WaitFor("stty-done")) << tmux.Capture();
  std::string screen = tmux.Capture();
  EXPECT_THAT(screen, HasSubstr("top-exit=0"));
  EXPECT_THAT(screen, ::testing::ContainsRegex("[^-]icanon"));
}

}  // namespace
}  // namespace corral::testing
