// Slow clients cannot pin a server's workers, under every model: 2,000 connections from one
// address that trickle or stay silent leave a second address served at once (the per-client
// cap), a head that does not arrive in time is answered 408 however its bytes trickle (the
// header deadline from the accept), and a trickled body is cut (the body's minimum rate); each
// is counted in the scoreboard. Real corral-server processes on 127.0.0.1, the second client
// on 127.0.0.2 (the whole of 127/8 is loopback).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "servers/net/address.h"
#include "servers/stats/scoreboard_reader.h"
#include "tests/servers/models/model_cases.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kSlowConnections = 2000;
constexpr int kCap = 4;

// A blocking TCP connection to `server` ("127.0.0.1:PORT") from `source` (port 0).
base::UniqueFd ConnectFrom(const std::string& server, const char* source) {
  absl::StatusOr<net::Address> to = net::Address::Parse(server);
  if (!to.ok()) return base::UniqueFd();
  base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source, &from.sin_addr);
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd.get(), to->sockaddr_ptr(), to->length()) != 0) {
    return base::UniqueFd();
  }
  return fd;
}

bool SendAll(int fd, std::string_view bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// Appends what `fd` receives to `got` until the peer closes (true) or `timeout` passes (false).
bool ReadUntilClosed(int fd, milliseconds timeout, std::string* got) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return true;
    got->append(buffer, static_cast<size_t>(n));
  }
}

class SlowClientsTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    // 2,000 client sockets here, and the server inherits the limit.
    rlimit limit{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_cur < 8192) {
      limit.rlim_cur = std::min<rlim_t>(8192, limit.rlim_max);
      ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
    }
    ASSERT_GE(limit.rlim_cur, static_cast<rlim_t>(kSlowConnections + 200));
    char pattern[] = "/tmp/corral-slow-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::filesystem::create_directory(dir_ + "/www");
    std::ofstream(dir_ + "/www/index.html") << "hello\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // corral-server for `protocol` under the parameter's model, with a scoreboard and `extra`.
  std::vector<std::string> Args(const std::string& protocol, std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "--protocol",         protocol,        "--listen", "127.0.0.1:0", "--scoreboard",
        dir_ + "/scoreboard", "--max-workers", "64"};
    if (protocol == "http") args.insert(args.end(), {"--root", dir_ + "/www"});
    args.insert(args.end(), GetParam().flags.begin(), GetParam().flags.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  stats::Snapshot Read() {
    absl::StatusOr<stats::ScoreboardReader> reader =
        stats::ScoreboardReader::Open(dir_ + "/scoreboard");
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return stats::Snapshot();
    absl::StatusOr<stats::Snapshot> snap = reader->Read();
    EXPECT_TRUE(snap.ok()) << snap.status();
    return snap.ok() ? *std::move(snap) : stats::Snapshot();
  }

  // The scoreboard's count of `kind` once it reaches `want`, or what it is after `timeout`.
  uint64_t AwaitCount(stats::ErrorKind kind, uint64_t want, seconds timeout = seconds(20)) {
    uint64_t n = 0;
    WaitFor([&] { return (n = Read().totals.error(kind)) >= want; }, timeout);
    return n;
  }

  // Opens kSlowConnections from 127.0.0.1, each sending `first_bytes` (maybe none) and then
  // nothing more; the server keeps kCap of them and closes the rest.
  std::vector<base::UniqueFd> OpenSlowConnections(const std::string& server,
                                                  std::string_view first_bytes) {
    std::vector<base::UniqueFd> slow;
    for (int i = 0; i < kSlowConnections; ++i) {
      base::UniqueFd fd = ConnectFrom(server, "127.0.0.1");
      EXPECT_TRUE(fd) << "connection " << i << ": " << strerror(errno);
      if (!fd) break;
      if (!first_bytes.empty()) SendAll(fd.get(), first_bytes);
      slow.push_back(std::move(fd));
    }
    return slow;
  }

  std::string dir_;
};

// A header deadline that would free no worker during the test: only the cap can explain a
// prompt answer to the second address.
const std::vector<std::string> kCapOnly = {"--max-connections-per-client", std::to_string(kCap),
                                           "--header-timeout-ms", "60000"};

TEST_P(SlowClientsTest, HttpSlowConnectionsFromOneAddressLeaveAnotherServed) {
  ServerProcess server(Args("http", kCapOnly));
  ASSERT_TRUE(server.ready()) << server.detail();
  std::vector<base::UniqueFd> slow = OpenSlowConnections(server.detail(), "GET / HTTP/1.1\r\n");
  ASSERT_EQ(slow.size(), static_cast<size_t>(kSlowConnections));
  // Every connection over the cap is refused, not left waiting for a worker.
  EXPECT_EQ(AwaitCount(stats::ErrorKind::kRefusedPerClient, kSlowConnections - kCap),
            static_cast<uint64_t>(kSlowConnections - kCap));

  base::UniqueFd other = ConnectFrom(server.detail(), "127.0.0.2");
  ASSERT_TRUE(other);
  ASSERT_TRUE(
      SendAll(other.get(), "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  std::string response;
  EXPECT_TRUE(ReadUntilClosed(other.get(), milliseconds(5000), &response));
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << "second address not served: " << response;
  EXPECT_EQ(Read().totals.error(stats::ErrorKind::kRefusedPerClient),
            static_cast<uint64_t>(kSlowConnections - kCap));
}

TEST_P(SlowClientsTest, TcpEchoSilentConnectionsFromOneAddressLeaveAnotherServed) {
  ServerProcess server(Args("tcp-echo", {"--max-connections-per-client", std::to_string(kCap)}));
  ASSERT_TRUE(server.ready()) << server.detail();
  std::vector<base::UniqueFd> slow = OpenSlowConnections(server.detail(), "");
  ASSERT_EQ(slow.size(), static_cast<size_t>(kSlowConnections));
  EXPECT_EQ(AwaitCount(stats::ErrorKind::kRefusedPerClient, kSlowConnections - kCap),
            static_cast<uint64_t>(kSlowConnections - kCap));

  base::UniqueFd other = ConnectFrom(server.detail(), "127.0.0.2");
  ASSERT_TRUE(other);
  ASSERT_TRUE(SendAll(other.get(), "ping"));
  pollfd p{other.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1) << "second address not served";
  char echoed[4] = {};
  EXPECT_EQ(::recv(other.get(), echoed, sizeof echoed, MSG_WAITALL), 4);
  EXPECT_EQ(std::string(echoed, 4), "ping");
}

TEST_P(SlowClientsTest, HeadTrickledAsEmptyLinesOrBytesGets408AtTheHeaderDeadline) {
  ServerProcess server(Args("http", {"--header-timeout-ms", "500"}));
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd crlf = ConnectFrom(server.detail(), "127.0.0.1");
  base::UniqueFd partial = ConnectFrom(server.detail(), "127.0.0.1");
  ASSERT_TRUE(crlf && partial);
  ASSERT_TRUE(SendAll(partial.get(), "GET / HTTP/1.1\r\n"));
  // Each keeps sending, well inside the idle timeout (60 s), for up to 10 s: on the old rules
  // the empty lines never started the header clock and every byte re-armed the idle timeout.
  bool crlf_closed = false, partial_closed = false;
  std::string partial_got;
  const auto give_up = std::chrono::steady_clock::now() + seconds(10);
  while (!(crlf_closed && partial_closed) && std::chrono::steady_clock::now() < give_up) {
    std::string ignored;
    if (!crlf_closed && (!SendAll(crlf.get(), "\r\n") ||
                         ReadUntilClosed(crlf.get(), milliseconds(100), &ignored))) {
      crlf_closed = true;
    }
    if (!partial_closed && (!SendAll(partial.get(), "X-A: b\r\n") ||
                            ReadUntilClosed(partial.get(), milliseconds(100), &partial_got))) {
      partial_closed = true;
    }
  }
  EXPECT_TRUE(crlf_closed) << "a trickle of empty lines held the connection";
  EXPECT_TRUE(partial_closed) << "a trickled head held the connection";
  EXPECT_NE(partial_got.find("408"), std::string::npos) << partial_got;
  EXPECT_GE(AwaitCount(stats::ErrorKind::kHeaderTimeout, 2), 2u);
}

TEST_P(SlowClientsTest, TrickledBodyIsCutAtItsMinimumRate) {
  ServerProcess server(Args("http", {"--body-grace-ms", "300", "--body-min-rate", "1000",
                                     "--header-timeout-ms", "60000"}));
  ASSERT_TRUE(server.ready()) << server.detail();
  base::UniqueFd fd = ConnectFrom(server.detail(), "127.0.0.1");
  ASSERT_TRUE(fd);
  ASSERT_TRUE(
      SendAll(fd.get(), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"));
  // A byte every 50 ms (20 bytes/s): cut after about 300 ms on the new rules, never (each byte
  // re-arming the 60 s idle timeout) on the old ones.
  bool closed = false;
  std::string got;
  const auto give_up = std::chrono::steady_clock::now() + seconds(10);
  while (!closed && std::chrono::steady_clock::now() < give_up) {
    closed = !SendAll(fd.get(), "x") || ReadUntilClosed(fd.get(), milliseconds(50), &got);
  }
  EXPECT_TRUE(closed) << "a trickled body held the connection";
  EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
  EXPECT_EQ(AwaitCount(stats::ErrorKind::kBodyTimeout, 1), 1u);
}

std::vector<ModelCase> TheModels() {
  return {
      {"thread", {"--model", "thread"}},
      {"fork", {"--model", "fork"}},
      {"fork_pool", {"--model", "fork", "--pool-size", "16"}},
      {"thread_pool", {"--model", "thread", "--pool-size", "16"}},
      {"coroutine", {"--model", "coroutine", "--hubs", "2"}},
  };
}

INSTANTIATE_TEST_SUITE_P(Models, SlowClientsTest, ::testing::ValuesIn(TheModels()), ModelCaseName);

}  // namespace
}  // namespace corral::testing
