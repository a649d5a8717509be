// Idle keep-alive connections yield to waiting clients whenever workers are bounded (design
// decision 24, issue 26): under fork and thread connections at --max-workers, a fork or thread
// pool at --max-workers and a coroutine hub at its share of --max-workers, two clients that made
// one request each and keep their connections open no longer leave a third without an answer until
// the 60 s idle timeout; and under load with ten times more connections than workers, every
// connection gets answers (responses say Connection: close while clients wait). Real
// corral-server processes on 127.0.0.1.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "tests/servers/models/model_cases.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Far below the 60 s idle timeout that freed a worker before, and the 10 s the issue measured;
// far above the 50 ms (at most 1 s) an idle connection takes to notice (the measured figure is
// printed).
constexpr milliseconds kAnswerBound{5000};

constexpr std::string_view kGet = "GET /index.html HTTP/1.1\r\nHost: test\r\n\r\n";

// Sends all of `bytes`; false if the connection broke.
bool SendAll(int fd, std::string_view bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// Receives into `got` what arrives on the non-blocking `fd` until `done(got)` or `deadline`.
// Returns false on a timeout, and also when the peer closed (then `closed` is set).
template <typename Done>
bool ReceiveUntil(int fd, Clock::time_point deadline, std::string& got, bool& closed, Done done) {
  closed = false;
  while (!done(got)) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) {
      closed = true;
      return false;
    }
    got.append(buffer, static_cast<size_t>(n));
  }
  return true;
}

// One whole response: its head and the Content-Length bytes after it.
bool HasWholeResponse(const std::string& got) {
  const size_t end = got.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const size_t length = got.find("Content-Length: ");
  if (length == std::string::npos || length > end) return true;
  return got.size() >= end + 4 + std::strtoul(got.c_str() + length + 16, nullptr, 10);
}

// Sends one GET on `fd` and reads its response until `deadline`; "" when none came.
std::string Exchange(int fd, Clock::time_point deadline) {
  std::string got;
  bool closed = false;
  if (!SendAll(fd, kGet) || !ReceiveUntil(fd, deadline, got, closed, HasWholeResponse)) return "";
  return got;
}

struct Bounded {
  std::string name;
  std::vector<std::string> flags;
};

void PrintTo(const Bounded& bounded, std::ostream* out) { *out << bounded.name; }
std::string BoundedName(const ::testing::TestParamInfo<Bounded>& bounded) {
  return bounded.param.name;
}

class WaitingClientsTest : public ::testing::TestWithParam<Bounded> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-waiting-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    std::ofstream(root_ + "/index.html") << "hello\n";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::vector<std::string> Args(const std::string& protocol) const {
    std::vector<std::string> args = {"--protocol", protocol, "--listen", "127.0.0.1:0"};
    if (protocol == "http") args.insert(args.end(), {"--root", root_});
    args.insert(args.end(), GetParam().flags.begin(), GetParam().flags.end());
    return args;
  }

  std::string root_;
};

TEST_P(WaitingClientsTest, TwoIdleKeepAliveConnectionsLeaveAThirdClientServed) {
  ServerProcess server(Args("http"));
  ASSERT_TRUE(server.ready()) << server.detail();
  std::vector<base::UniqueFd> idle;
  for (int i = 0; i < 2; ++i) {
    idle.push_back(ConnectTcp(server.detail()));
    ASSERT_TRUE(idle.back());
    const std::string response = Exchange(idle.back().get(), Clock::now() + kAnswerBound);
    ASSERT_NE(response.find("200 OK"), std::string::npos) << i << ": " << response;
    // Nobody waited then: the connection stays open for the client's next request.
    EXPECT_EQ(response.find("Connection: close"), std::string::npos) << response;
  }
  base::UniqueFd third = ConnectTcp(server.detail());
  ASSERT_TRUE(third);
  const auto start = Clock::now();
  const std::string response = Exchange(third.get(), start + kAnswerBound);
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  ASSERT_NE(response.find("200 OK"), std::string::npos)
      << "a third client was not answered within " << kAnswerBound.count()
      << " ms while two idle keep-alive connections held the " << GetParam().name
      << " server's two workers";
  std::cout << GetParam().name << ": third client answered in " << took.count() << " ms\n";
  // One idle connection was closed quietly for it: end of stream, no bytes (no response to a
  // request that was never sent).
  int closed = 0;
  for (base::UniqueFd& fd : idle) {
    std::string got;
    bool eof = false;
    ReceiveUntil(fd.get(), Clock::now() + milliseconds(200), got, eof,
                 [](const std::string&) { return false; });
    EXPECT_EQ(got, "");
    closed += eof ? 1 : 0;
  }
  EXPECT_GE(closed, 1);
}

// A response written while a client waits says Connection: close, and its worker takes the
// waiting client at once: it does not linger for the closed connection's client to hang up
// (which held the worker up to the 1 s linger while that client kept its socket open).
TEST_P(WaitingClientsTest, AConnectionClosedForAWaitingClientFreesItsWorkerAtOnce) {
  ServerProcess server(Args("http"));
  ASSERT_TRUE(server.ready()) << server.detail();
  std::vector<base::UniqueFd> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(ConnectTcp(server.detail()));
    ASSERT_TRUE(held.back());
    ASSERT_NE(Exchange(held.back().get(), Clock::now() + kAnswerBound).find("200 OK"),
              std::string::npos)
        << i;
  }
  // A third client waits; both held connections send their next request right after it, so
  // that each worker answers a request while a client waits, rather than ending an idle wait.
  base::UniqueFd third = ConnectTcp(server.detail());
  ASSERT_TRUE(third);
  ASSERT_TRUE(SendAll(third.get(), kGet));
  for (base::UniqueFd& fd : held) ASSERT_TRUE(SendAll(fd.get(), kGet));
  const auto start = Clock::now();
  std::string got;
  bool closed = false;
  ReceiveUntil(third.get(), start + kAnswerBound, got, closed, HasWholeResponse);
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  ASSERT_NE(got.find("200 OK"), std::string::npos) << got;
  std::cout << GetParam().name << ": waiting client answered in " << took.count() << " ms\n";
  // Well within the linger (1 s) that the held connections, whose clients keep them open,
  // would have cost: tens of milliseconds at most, even on a loaded machine.
  EXPECT_LT(took, milliseconds(600)) << "a worker lingered on a connection it closed";
}

// The same for a protocol without keep-alive rules of its own: an echo session idle between
// two messages ends for a waiting client.
TEST_P(WaitingClientsTest, IdleEchoSessionsLeaveAThirdClientServed) {
  ServerProcess server(Args("tcp-echo"));
  ASSERT_TRUE(server.ready()) << server.detail();
  std::vector<base::UniqueFd> idle;
  for (int i = 0; i < 2; ++i) {
    idle.push_back(ConnectTcp(server.detail()));
    ASSERT_EQ(EchoOn(idle.back().get(), "first"), "first") << i;
  }
  base::UniqueFd third = ConnectTcp(server.detail());
  ASSERT_TRUE(third);
  ASSERT_TRUE(SendAll(third.get(), "third"));
  std::string got;
  bool closed = false;
  EXPECT_TRUE(ReceiveUntil(third.get(), Clock::now() + kAnswerBound, got, closed,
                           [](const std::string& s) { return s.size() >= 5; }))
      << "a third echo client was not answered within " << kAnswerBound.count() << " ms";
  EXPECT_EQ(got, "third");
}

// wrk-style load: 20 connections, each sending its requests back to back for a few seconds
// (reconnecting when the server closes), on 2 workers. Before, the first two connections kept
// both workers and the other 18 got nothing.
TEST_P(WaitingClientsTest, EveryConnectionGetsAnswersUnderLoad) {
  constexpr int kConnections = 20;
  constexpr milliseconds kLoadTime{3000};
  ServerProcess server(Args("http"));
  ASSERT_TRUE(server.ready()) << server.detail();
  const std::string address = server.detail();
  std::vector<int> answers(kConnections, 0);
  std::vector<std::thread> clients;
  const auto end = Clock::now() + kLoadTime;
  for (int i = 0; i < kConnections; ++i) {
    clients.emplace_back([&address, end, count = &answers[i]] {
      base::UniqueFd fd;
      while (Clock::now() < end) {
        if (!fd) fd = ConnectTcp(address);
        if (!fd) return;
        const std::string response = Exchange(fd.get(), end);
        if (response.find("200 OK") != std::string::npos) ++*count;
        if (response.empty() || response.find("Connection: close") != std::string::npos) {
          fd.Reset();
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  int total = 0;
  for (int i = 0; i < kConnections; ++i) {
    EXPECT_GE(answers[i], 1) << "connection " << i << " got no answer in " << kLoadTime.count()
                             << " ms on the " << GetParam().name << " server's two workers";
    total += answers[i];
  }
  // And none is served only now and then: the slowest connection's share of the mean (each
  // turn is a reconnect behind the others, so the shares come out near 1; before, the waiting
  // connections' was 0, or a lucky one's 1 answer in thousands).
  int fewest = answers[0];
  for (int n : answers) fewest = std::min(fewest, n);
  const double share = total > 0 ? fewest * kConnections / static_cast<double>(total) : 0;
  EXPECT_GE(share, 0.05) << "the slowest connection got " << fewest << " of " << total
                         << " answers";
  std::cout << GetParam().name << ": " << total << " answers, the slowest connection's share "
            << share << "\n";
}

INSTANTIATE_TEST_SUITE_P(
    Bounded, WaitingClientsTest,
    ::testing::Values(
        Bounded{"fork", {"--model", "fork", "--max-workers", "2"}},
        Bounded{"fork_pool", {"--model", "fork", "--pool-size", "2", "--max-workers", "2"}},
        Bounded{"thread_pool", {"--model", "thread", "--pool-size", "2", "--max-workers", "2"}},
        Bounded{"thread", {"--model", "thread", "--max-workers", "2"}},
        Bounded{"coroutine", {"--model", "coroutine", "--hubs", "1", "--max-workers", "2"}}),
    BoundedName);

}  // namespace
}  // namespace corral::testing
