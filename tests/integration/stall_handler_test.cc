// The stall watch through the agent: a coroutine handler that busy-loops past --stall-bound-ms
// shows as a STALLED event, a `stalls` line in corralctl stats and a log line naming it.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

// Reads until `want` arrived or 10 s passed.
std::string ReadUntil(int fd, const std::string& want) {
  std::string got;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!absl::StrContains(got, want) && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST_F(AgentTest, StallingCoroutineHandlerIsReportedAsEventStatsAndLog) {
  CommandResult start = Ctl({"start", "spin", "--protocol", "tcp", "--handler",
                             CORRAL_HANDLER_DIR "/spin.so", "--model", "coroutine", "--hubs", "1",
                             "--stall-bound-ms", "50", "--listen", "127.0.0.1:0"});
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(start.out, m, std::regex(R"(RUNNING on (127\.0\.0\.1:\d+))")))
      << start.out;
  // Subscribed before the first connection, so the STALLED event cannot be missed (a
  // subscription names an existing server).
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(1));
  v1::WatchEventsRequest request;
  request.set_name("spin");
  std::unique_ptr<grpc::ClientReader<v1::Event>> events = stub().WatchEvents(&context, request);
  events->WaitForInitialMetadata();
  absl::Mutex mu;
  v1::Event stalled;
  bool seen = false;
  std::thread reader([&] {
    v1::Event e;
    while (events->Read(&e)) {
      if (e.kind() != v1::Event::STALLED) continue;
      absl::MutexLock lock(&mu);
      stalled = e;
      seen = true;
    }
  });
  struct Join {  // however the test ends
    grpc::ClientContext& context;
    std::thread& reader;
    ~Join() {
      context.TryCancel();
      reader.join();
    }
  } join{context, reader};

  base::UniqueFd client = ConnectTcp(m[1]);
  ASSERT_TRUE(client);
  // Something to read: the listener holds a connection back until its first bytes arrive.
  ASSERT_EQ(::send(client.get(), "go\n", 3, MSG_NOSIGNAL), 3);
  EXPECT_TRUE(absl::StrContains(ReadUntil(client.get(), "done\n"), "done"));

  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(&seen), absl::Seconds(20));
    ASSERT_TRUE(seen) << "no STALLED event";
    EXPECT_EQ(stalled.name(), "spin");
    EXPECT_TRUE(absl::StrContains(stalled.reason(), "1 new stall(s)")) << stalled.reason();
  }

  CommandResult stats = Ctl({"stats", "spin"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_TRUE(std::regex_search(stats.out, std::regex(R"(stalls: +1 )"))) << stats.out;
  CommandResult logs = Ctl({"logs", "spin"});
  EXPECT_TRUE(std::regex_search(
      logs.out, std::regex(R"(handler spin: hub 0 stalled: one greenlet has held it for \d+ ms)")))
      << logs.out;
}

}  // namespace
}  // namespace corral::testing
