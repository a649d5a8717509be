// Every protocol counts its requests, and lost datagrams show (issue 28, item 2): a file
// server's LIST, GET and PUT are requests under every model; a burst that overflows a small UDP
// receive buffer shows the kernel's drops, so that sent = answered + dropped.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "tests/integration/stats_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

struct ModelCase {
  v1::Model model;
  uint32_t pool_size;
  const char* label;
};

class StatsCountingTest : public StatsTest, public ::testing::WithParamInterface<ModelCase> {};

TEST_P(StatsCountingTest, FileListGetAndPutAreRequests) {
  StartStatsAgent();
  const std::string root = home_ + "/served";
  std::filesystem::create_directories(root);
  v1::Server server;
  grpc::Status started = StartEcho("f", "127.0.0.1:0", &server, [&](v1::ServerSpec& spec) {
    spec.set_protocol(v1::PROTOCOL_FILE);
    spec.set_model(GetParam().model);
    spec.set_pool_size(GetParam().pool_size);
    spec.set_root(root);
  });
  ASSERT_TRUE(started.ok()) << started.error_message();
  ASSERT_EQ(server.state(), v1::STATE_RUNNING) << server.reason();

  int fd = ConnectTo(server.bound_address(), SOCK_STREAM);
  ASSERT_GE(fd, 0);
  // Pipelined (PROTOCOL.md allows it): an upload, its download, a listing.
  const std::string requests = "PUT new.txt 5\nhelloGET new.txt\nLIST\n";
  ASSERT_EQ(::send(fd, requests.data(), requests.size(), MSG_NOSIGNAL), ssize_t(requests.size()));
  std::string replies;
  char buffer[4096];
  while (!absl::EndsWith(replies, "new.txt\n")) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    ASSERT_GT(n, 0) << "replies so far: " << replies;
    replies.append(buffer, size_t(n));
  }
  EXPECT_EQ(replies, "CONTINUE\nOK 5\nOK 5\nhelloOK 1\nfile 5 new.txt\n");

  v1::ServerStats s =
      WaitForStats("f", [](const v1::ServerStats& seen) { return seen.totals().requests() >= 3; });
  EXPECT_EQ(s.totals().requests(), 3u);
  EXPECT_EQ(s.lifetime_latency().count(), 3u);
  EXPECT_GT(s.lifetime_latency().p50_ns(), 0u);
  EXPECT_EQ(s.totals().bytes_in(), requests.size());
  EXPECT_EQ(s.totals().bytes_out(), replies.size());
  ::close(fd);
}

TEST_P(StatsCountingTest, DatagramsTheKernelDroppedAreCounted) {
  StartStatsAgent();
  v1::Server server;
  grpc::Status started = StartEcho("u", "127.0.0.1:0", &server, [&](v1::ServerSpec& spec) {
    spec.set_protocol(v1::PROTOCOL_UDP_ECHO);
    spec.set_model(GetParam().model);
    spec.set_pool_size(GetParam().pool_size);
    spec.set_receive_buffer_bytes(4096);  // a few datagrams' worth (the kernel's minimum)
  });
  ASSERT_TRUE(started.ok()) << started.error_message();
  ASSERT_EQ(server.state(), v1::STATE_RUNNING) << server.reason();

  // A burst far faster than any model answers: most of it finds the buffer full. The echoes
  // are not read (they overflow this socket instead, which the server does not count).
  constexpr int kBurst = 20'000;
  int burst = ConnectTo(server.bound_address(), SOCK_DGRAM);
  ASSERT_GE(burst, 0);
  int sent = 0;
  for (int i = 0; i < kBurst; ++i) {
    // A send refused by this host (ENOBUFS) never reached the server: not counted as sent.
    sent += ::send(burst, "0123456789abcdef", 16, 0) == 16;
  }
  // Drops show with the next datagram the server reads: wait until it has answered the burst,
  // then echo one more from a fresh socket (its echo is not lost in the burst socket's queue).
  auto answered = [&] {
    v1::StatsReport report;
    return GetStats("u", &report).ok() && report.servers_size() == 1
               ? report.servers(0).totals().requests()
               : 0;
  };
  // Settled: no more answered over a third of a second (the buffer has room again).
  uint64_t last = answered();
  for (int polls = 0; polls < 100; ++polls) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const uint64_t now = answered();
    if (now > 0 && now == last) break;
    last = now;
  }
  int probe = ConnectTo(server.bound_address(), SOCK_DGRAM);
  ASSERT_GE(probe, 0);
  // A probe can itself find the buffer full on a loaded machine: send another after a second.
  timeval second{1, 0};
  ::setsockopt(probe, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
  bool echoed = false;
  for (int tries = 0; tries < 30 && !echoed; ++tries) {
    ++sent;
    echoed = EchoOn(probe, "probe", true);
  }
  ASSERT_TRUE(echoed);
  v1::ServerStats s = WaitForStats("u", [&](const v1::ServerStats& seen) {
    return seen.totals().requests() + seen.totals().errors_dropped() >= uint64_t(sent);
  });
  EXPECT_GT(s.totals().errors_dropped(), 0u);
  // On loopback a datagram the server's socket accepted is answered, and one it refused is a
  // kernel drop: nothing else loses one between this socket and the server.
  EXPECT_EQ(s.totals().requests() + s.totals().errors_dropped(), uint64_t(sent))
      << "answered " << s.totals().requests() << ", dropped " << s.totals().errors_dropped()
      << ", sent " << sent;
  ::close(burst);
  ::close(probe);
}

INSTANTIATE_TEST_SUITE_P(Models, StatsCountingTest,
                         ::testing::Values(ModelCase{v1::MODEL_THREAD, 0, "thread"},
                                           ModelCase{v1::MODEL_THREAD, 2, "thread_pool"},
                                           ModelCase{v1::MODEL_FORK, 0, "fork"},
                                           ModelCase{v1::MODEL_FORK, 2, "fork_pool"},
                                           ModelCase{v1::MODEL_COROUTINE, 0, "coroutine"}),
                         [](const ::testing::TestParamInfo<ModelCase>& param) {
                           return std::string(param.param.label);
                         });

}  // namespace
}  // namespace corral::testing
