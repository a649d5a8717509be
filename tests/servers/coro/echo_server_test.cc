// One hub serving 1,000 concurrent TCP echo clients over loopback, all in greenlets.
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/coro.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::Fd;
using testing::InFreshThread;

constexpr int kClients = 1000;
constexpr int kRounds = 5;

void RaiseDescriptorLimit() {
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  lim.rlim_cur = lim.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
  ASSERT_GE(lim.rlim_cur, static_cast<rlim_t>(2 * kClients + 64)) << "hard RLIMIT_NOFILE too low";
}

void Echo(int fd) {
  Fd conn(fd);
  char buf[4096];
  for (;;) {
    absl::StatusOr<size_t> n = Recv(conn.get(), buf, sizeof buf, 30s);
    if (!n.ok() || *n == 0) return;
    if (!SendAll(conn.get(), buf, *n, 30s).ok()) return;
  }
}

// Connects, then sends kRounds distinct messages and checks each echo.
int Client(uint16_t port, int id) {
  Fd fd = testing::TcpSocket();
  const sockaddr_in addr = testing::Loopback(port);
  if (!Connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr, 30s).ok()) {
    return 0;
  }
  int good = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string msg = "client " + std::to_string(id) + " round " + std::to_string(round) +
                            std::string(static_cast<size_t>(id % 200), '.') + "\n";
    if (!SendAll(fd.get(), msg.data(), msg.size(), 30s).ok()) return good;
    std::string got;
    char buf[512];
    while (got.size() < msg.size()) {
      absl::StatusOr<size_t> n = Recv(fd.get(), buf, sizeof buf, 30s);
      if (!n.ok() || *n == 0) return good;
      got.append(buf, *n);
    }
    if (got == msg) ++good;
    Sleep(0ms);  // interleave more
  }
  return good;
}

TEST(EchoServerTest, OneHubServesAThousandConcurrentClients) {
  RaiseDescriptorLimit();
  InFreshThread([] {
    Fd listener = testing::Listen(4096);
    const uint16_t port = testing::PortOf(listener.get());
    Pool connections(2 * kClients);
    int accepted = 0;
    auto acceptor = Spawn([&] {
      for (;;) {
        absl::StatusOr<int> conn = Accept(listener.get());
        if (!conn.ok()) {
          ADD_FAILURE() << conn.status();
          return;
        }
        ++accepted;
        connections.Spawn(Echo, *conn);
      }
    });
    std::vector<Handle<int>> clients;
    std::vector<AnyHandle> all;
    for (int i = 0; i < kClients; ++i) {
      clients.push_back(Spawn(Client, port, i));
      all.push_back(clients.back());
    }
    EXPECT_EQ(JoinAll(all, 120s).size(), static_cast<size_t>(kClients));
    int good = 0;
    for (auto& c : clients) good += c.ready() ? c.Get() : 0;
    EXPECT_EQ(good, kClients * kRounds);
    EXPECT_EQ(accepted, kClients);
    EXPECT_TRUE(connections.Join(30s));  // every echo greenlet saw its client's EOF
    acceptor.Kill();
  });
}

}  // namespace
}  // namespace corral::coro
