#include "servers/coro/socket_calls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/hub.h"
#include "servers/coro/task.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::Fd;
using testing::InFreshThread;

TEST(SocketCallsTest, ReadDistinguishesDataDeadlineEofAndError) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    char buf[16];
    // Deadline with nothing to read.
    const auto start = Clock::now();
    absl::StatusOr<size_t> r = Read(a.get(), buf, sizeof buf, 20ms);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
    EXPECT_GE(Clock::now() - start, 20ms);
    // Data written by another greenlet while we are parked.
    auto writer = Spawn([fd = b.get()] {
      Sleep(5ms);
      EXPECT_TRUE(SendAll(fd, "hello", 5).ok());
    });
    r = Read(a.get(), buf, sizeof buf, 10s);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(std::string(buf, *r), "hello");
    writer.Join();
    // EOF: OK with 0.
    b.Reset();
    r = Recv(a.get(), buf, sizeof buf, 10s);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, 0u);
    // An error: a closed descriptor.
    const int dead_fd = a.get();
    a.Reset();
    r = Read(dead_fd, buf, sizeof buf, 10s);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_EQ(ErrnoOf(r.status()), EBADF);
  });
}

TEST(SocketCallsTest, ExpiredDeadlineStillTriesOnce) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    ASSERT_EQ(write(b.get(), "x", 1), 1);
    char c;
    absl::StatusOr<size_t> r = Read(a.get(), &c, 1, Deadline(Clock::time_point()));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, 1u);
    r = Read(a.get(), &c, 1, Deadline(Clock::time_point()));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  });
}

TEST(SocketCallsTest, SendAllPushesMoreThanTheSocketBufferHolds) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    const std::string payload(8 << 20, 'z');
    auto reader = Spawn([fd = b.get(), n = payload.size()] {
      std::string got;
      std::vector<char> buf(1 << 16);  // not on the stack: greenlet stacks are small
      while (got.size() < n) {
        absl::StatusOr<size_t> r = Recv(fd, buf.data(), buf.size(), 30s);
        if (!r.ok() || *r == 0) break;
        got.append(buf.data(), *r);
      }
      return got;
    });
    size_t done = 0;
    EXPECT_TRUE(SendAll(a.get(), payload.data(), payload.size(), 30s, &done).ok());
    EXPECT_EQ(done, payload.size());
    EXPECT_EQ(reader.Get(), payload);
  });
}

TEST(SocketCallsTest, WriteAllDeadlineReportsProgress) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    const std::string payload(8 << 20, 'q');  // nobody reads: fills the buffer, then waits
    size_t done = 0;
    absl::Status s = WriteAll(a.get(), payload.data(), payload.size(), 30ms, &done);
    EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
    EXPECT_GT(done, 0u);
    EXPECT_LT(done, payload.size());
  });
}

TEST(SocketCallsTest, SendToClosedPeerIsAnErrorNotASignal) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    b.Reset();
    absl::Status s = SendAll(a.get(), "x", 1, 10s);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(ErrnoOf(s), EPIPE);
  });
}

TEST(SocketCallsTest, AcceptAndConnectOverLoopback) {
  InFreshThread([] {
    Fd listener = testing::Listen();
    const uint16_t port = testing::PortOf(listener.get());
    auto server = Spawn([fd = listener.get()] {
      sockaddr_storage peer{};
      socklen_t peer_len = 0;
      absl::StatusOr<int> conn = Accept(fd, 10s, &peer, &peer_len);
      EXPECT_TRUE(conn.ok()) << conn.status();
      if (!conn.ok()) return std::string();
      Fd c(*conn);
      EXPECT_EQ(peer.ss_family, AF_INET);
      EXPECT_EQ(peer_len, sizeof(sockaddr_in));
      EXPECT_NE(fcntl(c.get(), F_GETFL) & O_NONBLOCK, 0);
      EXPECT_NE(fcntl(c.get(), F_GETFD) & FD_CLOEXEC, 0);
      char buf[8];
      absl::StatusOr<size_t> n = Recv(c.get(), buf, sizeof buf, 10s);
      return n.ok() ? std::string(buf, *n) : std::string();
    });
    Fd client = testing::TcpSocket();
    const sockaddr_in addr = testing::Loopback(port);
    ASSERT_TRUE(
        Connect(client.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr, 10s).ok());
    ASSERT_TRUE(SendAll(client.get(), "ping", 4, 10s).ok());
    EXPECT_EQ(server.Get(), "ping");
  });
}

TEST(SocketCallsTest, AcceptDeadline) {
  InFreshThread([] {
    Fd listener = testing::Listen();
    absl::StatusOr<int> conn = Accept(listener.get(), 20ms);
    EXPECT_EQ(conn.status().code(), absl::StatusCode::kDeadlineExceeded);
  });
}

TEST(SocketCallsTest, ConnectRefusedIsAnError) {
  InFreshThread([] {
    // A port that was just free: bind, note, close.
    uint16_t port;
    {
      Fd probe = testing::Listen();
      port = testing::PortOf(probe.get());
    }
    Fd client = testing::TcpSocket();
    const sockaddr_in addr = testing::Loopback(port);
    absl::Status s =
        Connect(client.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr, 10s);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(ErrnoOf(s), ECONNREFUSED);
    EXPECT_NE(s.code(), absl::StatusCode::kDeadlineExceeded);
  });
}

TEST(SocketCallsTest, UdpRecvFromAndSendTo) {
  InFreshThread([] {
    Fd server = testing::UdpSocket();
    Fd client = testing::UdpSocket();
    const sockaddr_in server_addr = testing::Loopback(testing::PortOf(server.get()));
    auto echo = Spawn([fd = server.get()] {
      char buf[64];
      sockaddr_storage from{};
      socklen_t from_len = 0;
      absl::StatusOr<size_t> n = RecvFrom(fd, buf, sizeof buf, &from, &from_len, 10s);
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok()) return;
      EXPECT_TRUE(SendTo(fd, buf, *n, reinterpret_cast<sockaddr*>(&from), from_len, 10s).ok());
    });
    ASSERT_TRUE(SendTo(client.get(), "datagram", 8, reinterpret_cast<const sockaddr*>(&server_addr),
                       sizeof server_addr, 10s)
                    .ok());
    char buf[64];
    absl::StatusOr<size_t> n = RecvFrom(client.get(), buf, sizeof buf, nullptr, nullptr, 10s);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(std::string(buf, *n), "datagram");
    echo.Join();
    n = RecvFrom(client.get(), buf, sizeof buf, nullptr, nullptr, 10ms);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kDeadlineExceeded);
  });
}

// RecvMany takes what is queued, up to its count, each datagram with its size and sender; with
// nothing queued it parks, and a datagram that arrives then wakes it.
TEST(SocketCallsTest, RecvManyTakesTheQueuedDatagramsWithTheirSenders) {
  InFreshThread([] {
    Fd server = testing::UdpSocket();
    const sockaddr_in server_addr = testing::Loopback(testing::PortOf(server.get()));
    const auto* to = reinterpret_cast<const sockaddr*>(&server_addr);
    Fd first = testing::UdpSocket();
    Fd second = testing::UdpSocket();
    ASSERT_TRUE(SendTo(first.get(), "one", 3, to, sizeof server_addr, 10s).ok());
    ASSERT_TRUE(SendTo(second.get(), "second", 6, to, sizeof server_addr, 10s).ok());
    ASSERT_TRUE(SendTo(first.get(), "3", 1, to, sizeof server_addr, 10s).ok());

    constexpr unsigned kCount = 2;
    char buffers[kCount][16];
    iovec iovecs[kCount];
    sockaddr_in senders[kCount];
    mmsghdr messages[kCount];
    auto prepare = [&] {
      for (unsigned i = 0; i < kCount; ++i) {
        iovecs[i] = iovec{buffers[i], sizeof buffers[i]};
        messages[i] = mmsghdr{};
        messages[i].msg_hdr.msg_iov = &iovecs[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &senders[i];
        messages[i].msg_hdr.msg_namelen = sizeof senders[i];
      }
    };
    auto text = [&](unsigned i) { return std::string(buffers[i], messages[i].msg_len); };
    auto port = [&](unsigned i) { return ntohs(senders[i].sin_port); };

    prepare();
    absl::StatusOr<size_t> n = RecvMany(server.get(), messages, kCount, 10s);
    ASSERT_TRUE(n.ok()) << n.status();
    ASSERT_EQ(*n, 2u);  // three queued; the count bounds it
    EXPECT_EQ(text(0), "one");
    EXPECT_EQ(port(0), testing::PortOf(first.get()));
    EXPECT_EQ(messages[0].msg_hdr.msg_namelen, sizeof(sockaddr_in));
    EXPECT_EQ(text(1), "second");
    EXPECT_EQ(port(1), testing::PortOf(second.get()));

    prepare();
    n = RecvMany(server.get(), messages, kCount, 10s);
    ASSERT_TRUE(n.ok()) << n.status();
    ASSERT_EQ(*n, 1u);  // all that was left
    EXPECT_EQ(text(0), "3");
    EXPECT_EQ(port(0), testing::PortOf(first.get()));

    auto late = Spawn([&] {
      Sleep(20ms);
      EXPECT_TRUE(SendTo(second.get(), "late", 4, to, sizeof server_addr, 10s).ok());
    });
    prepare();
    n = RecvMany(server.get(), messages, kCount, 10s);  // parks until "late" arrives
    ASSERT_TRUE(n.ok()) << n.status();
    ASSERT_EQ(*n, 1u);
    EXPECT_EQ(text(0), "late");
    late.Join();
    n = RecvMany(server.get(), messages, kCount, 10ms);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kDeadlineExceeded);
  });
}

TEST(SocketCallsTest, WaitReadableAndWritable) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    EXPECT_TRUE(WaitWritable(a.get(), 10s).ok());
    EXPECT_EQ(WaitReadable(a.get(), 10ms).code(), absl::StatusCode::kDeadlineExceeded);
    ASSERT_EQ(write(b.get(), "x", 1), 1);
    EXPECT_TRUE(WaitReadable(a.get(), 10s).ok());
  });
}

TEST(SocketCallsTest, SecondReaderOnSameFdIsRefused) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    auto first = Spawn([fd = a.get()] {
      char c;
      return Read(fd, &c, 1, 10s).status();
    });
    Sleep(1ms);  // first is parked reading
    char c;
    absl::StatusOr<size_t> second = Read(a.get(), &c, 1, 10s);
    EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
    ASSERT_EQ(write(b.get(), "x", 1), 1);
    EXPECT_TRUE(first.Get().ok());
  });
}

TEST(SocketCallsTest, ReaderAndWriterOnOneFdAtOnce) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    const std::string big(4 << 20, 'w');
    auto writer = Spawn([&, fd = a.get()] { return SendAll(fd, big.data(), big.size(), 30s); });
    auto reader = Spawn([fd = a.get()] {
      char c;
      return Read(fd, &c, 1, 30s).status();
    });
    auto peer = Spawn([&, fd = b.get()] {
      Sleep(2ms);
      EXPECT_TRUE(SendAll(fd, "r", 1, 10s).ok());
      std::vector<char> buf(1 << 16);
      size_t total = 0;
      while (total < big.size()) {
        absl::StatusOr<size_t> n = Recv(fd, buf.data(), buf.size(), 30s);
        if (!n.ok() || *n == 0) break;
        total += *n;
      }
      return total;
    });
    EXPECT_TRUE(reader.Get().ok());
    EXPECT_TRUE(writer.Get().ok());
    EXPECT_EQ(peer.Get(), big.size());
  });
}

TEST(SocketCallsTest, KillWhileParkedInReadThrowsGreenletExit) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    bool returned = false;
    auto reader = Spawn([&, fd = a.get()] {
      char c;
      (void)Read(fd, &c, 1);  // no deadline
      returned = true;
    });
    Sleep(1ms);
    EXPECT_TRUE(reader.Kill(true, 10s));
    EXPECT_TRUE(reader.killed());
    EXPECT_FALSE(returned);
    // The fd is free for another reader afterwards.
    ASSERT_EQ(write(b.get(), "y", 1), 1);
    char c;
    EXPECT_TRUE(Read(a.get(), &c, 1, 10s).ok());
  });
}

TEST(SocketCallsTest, TimeoutInterruptsAParkedRead) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    char c;
    EXPECT_FALSE(WithTimeout(20ms, [&] { (void)Read(a.get(), &c, 1); }));
  });
}

}  // namespace
}  // namespace corral::coro
