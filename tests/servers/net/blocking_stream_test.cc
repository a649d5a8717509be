// BlockingStream over real sockets: one blocking recv per read, deadlines kept by the kernel's
// socket timeouts and re-armed when a call's deadline differs.
#include "servers/net/blocking_stream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace corral::net {
namespace {

using std::chrono::milliseconds;

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    ours.Reset(fds[0]);
    theirs.Reset(fds[1]);
  }
  base::UniqueFd ours;
  base::UniqueFd theirs;
};

TEST(BlockingStreamTest, MakesTheSocketBlockingAndReadsWhatArrives) {
  SocketPair pair;
  BlockingStream stream(pair.ours.get());
  EXPECT_EQ(::fcntl(pair.ours.get(), F_GETFL) & O_NONBLOCK, 0);
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(50));  // data that comes later: the point
    ASSERT_EQ(::write(pair.theirs.get(), "hello", 5), 5);
  });
  char buf[16];
  absl::StatusOr<size_t> n = stream.Read(buf, sizeof buf, Deadline::max());
  writer.join();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(std::string(buf, *n), "hello");
}

TEST(BlockingStreamTest, FirstReadArmsEvenWhenTheSocketCameWithATimeout) {
  // An accepted socket inherits its listener's SO_RCVTIMEO; a read without a deadline must
  // clear it rather than take it for the kernel's default.
  SocketPair pair;
  timeval inherited{0, 20'000};
  ASSERT_EQ(::setsockopt(pair.ours.get(), SOL_SOCKET, SO_RCVTIMEO, &inherited, sizeof inherited),
            0);
  BlockingStream stream(pair.ours.get());
  ASSERT_EQ(::write(pair.theirs.get(), "x", 1), 1);
  char byte;
  absl::StatusOr<size_t> n = stream.Read(&byte, 1, Deadline::max());
  ASSERT_TRUE(n.ok()) << n.status();
  timeval now{1, 1};
  socklen_t length = sizeof now;
  ASSERT_EQ(::getsockopt(pair.ours.get(), SOL_SOCKET, SO_RCVTIMEO, &now, &length), 0);
  EXPECT_EQ(now.tv_sec, 0);
  EXPECT_EQ(now.tv_usec, 0);
}

// Gives `fd` the SO_RCVTIMEO an accepted socket would inherit from its listener.
void InheritReceiveTimeout(int fd, milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
}

TEST(BlockingStreamTest, AnInheritedShorterTimeoutDoesNotEndALongerRead) {
  // Told the listener's 50 ms, the stream keeps it for a read that may wait 20 s: when it
  // fires, the read re-arms for the rest instead of giving up.
  SocketPair pair;
  ASSERT_EQ(::fcntl(pair.ours.get(), F_SETFL, 0), 0);  // accepted blocking
  InheritReceiveTimeout(pair.ours.get(), milliseconds(50));
  BlockingStream stream(pair.ours.get(), BlockingStream::Accepted{milliseconds(50)});
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(300));  // later than the timeout: the point
    ASSERT_EQ(::write(pair.theirs.get(), "late", 4), 4);
  });
  char buf[16];
  absl::StatusOr<size_t> n = stream.Read(buf, sizeof buf, DeadlineAfter(milliseconds(20000)));
  writer.join();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(std::string(buf, *n), "late");
  // When the 50 ms fired, the read re-armed for the rest of its 20 s, not 50 ms again.
  timeval now{0, 0};
  socklen_t length = sizeof now;
  ASSERT_EQ(::getsockopt(pair.ours.get(), SOL_SOCKET, SO_RCVTIMEO, &now, &length), 0);
  EXPECT_GE(now.tv_sec, 1);
}

TEST(BlockingStreamTest, AnInheritedLongerTimeoutIsReplacedByAShorterDeadline) {
  SocketPair pair;
  ASSERT_EQ(::fcntl(pair.ours.get(), F_SETFL, 0), 0);
  InheritReceiveTimeout(pair.ours.get(), milliseconds(30000));
  BlockingStream stream(pair.ours.get(), BlockingStream::Accepted{milliseconds(30000)});
  char buf[16];
  auto start = Clock::now();
  absl::StatusOr<size_t> n = stream.Read(buf, sizeof buf, DeadlineAfter(milliseconds(100)));
  EXPECT_TRUE(absl::IsDeadlineExceeded(n.status())) << n.status();
  EXPECT_GE(Clock::now() - start, milliseconds(100));
  EXPECT_LT(Clock::now() - start, milliseconds(10000));  // not the inherited 30 s
}

TEST(BlockingStreamTest, AnInheritedTimeoutIsClearedForAReadWithoutDeadlineOnceItFires) {
  SocketPair pair;
  ASSERT_EQ(::fcntl(pair.ours.get(), F_SETFL, 0), 0);
  InheritReceiveTimeout(pair.ours.get(), milliseconds(50));
  BlockingStream stream(pair.ours.get(), BlockingStream::Accepted{milliseconds(50)});
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(300));  // later than the timeout: the point
    ASSERT_EQ(::write(pair.theirs.get(), "x", 1), 1);
  });
  char byte;
  absl::StatusOr<size_t> n = stream.Read(&byte, 1, Deadline::max());
  writer.join();
  ASSERT_TRUE(n.ok()) << n.status();
  timeval now{1, 1};
  socklen_t length = sizeof now;
  ASSERT_EQ(::getsockopt(pair.ours.get(), SOL_SOCKET, SO_RCVTIMEO, &now, &length), 0);
  EXPECT_EQ(now.tv_sec, 0);
  EXPECT_EQ(now.tv_usec, 0);
}

TEST(BlockingStreamTest, ReadGivesUpAtItsDeadline) {
  SocketPair pair;
  BlockingStream stream(pair.ours.get());
  char buf[16];
  auto start = Clock::now();
  absl::StatusOr<size_t> n = stream.Read(buf, sizeof buf, DeadlineAfter(milliseconds(100)));
  auto waited = Clock::now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(n.status())) << n.status();
  EXPECT_GE(waited, milliseconds(100));
  EXPECT_LT(waited, milliseconds(5000));  // generous: the machine may be loaded
}

TEST(BlockingStreamTest, ALongerDeadlineAfterAShortOneIsRearmed) {
  SocketPair pair;
  BlockingStream stream(pair.ours.get());
  char buf[16];
  ASSERT_TRUE(absl::IsDeadlineExceeded(
      stream.Read(buf, sizeof buf, DeadlineAfter(milliseconds(20))).status()));
  // The armed 20 ms must not end this read: the data comes after 200 ms.
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(200));  // later than the 20 ms: the point
    ASSERT_EQ(::write(pair.theirs.get(), "late", 4), 4);
  });
  absl::StatusOr<size_t> n = stream.Read(buf, sizeof buf, DeadlineAfter(milliseconds(20000)));
  writer.join();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(std::string(buf, *n), "late");
  // And no deadline at all after one: waits for the data too.
  std::thread writer2([&] {
    std::this_thread::sleep_for(milliseconds(100));  // data that comes later: the point
    ASSERT_EQ(::write(pair.theirs.get(), "x", 1), 1);
  });
  n = stream.Read(buf, sizeof buf, Deadline::max());
  writer2.join();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1u);
}

TEST(BlockingStreamTest, ShutdownWakesABlockedRead) {
  SocketPair pair;
  BlockingStream stream(pair.ours.get());
  std::thread cutter([&] {
    std::this_thread::sleep_for(milliseconds(50));  // a cut that comes later: the point
    ::shutdown(pair.ours.get(), SHUT_RDWR);         // what a thread-model drain does
  });
  char buf[16];
  absl::StatusOr<size_t> n = stream.Read(buf, sizeof buf, Deadline::max());
  cutter.join();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0u);
}

TEST(BlockingStreamTest, WritesAndSendFileDeliverEveryByteAndAStalledPeerTimesOut) {
  SocketPair pair;
  BlockingStream stream(pair.ours.get());
  std::string text = "head:";
  iovec iov{text.data(), text.size()};
  ASSERT_TRUE(stream.WriteAllV(&iov, 1, DeadlineAfter(milliseconds(5000))).ok());

  char path[] = "/tmp/blocking_stream_testXXXXXX";
  base::UniqueFd file(::mkstemp(path));
  ASSERT_TRUE(file);
  ::unlink(path);
  std::string body(8 << 20, 'b');  // more than the socket buffers hold: the peer must read
  ASSERT_EQ(::write(file.get(), body.data(), body.size()), static_cast<ssize_t>(body.size()));

  // Nobody reads: the send ends at its deadline, not never.
  auto start = Clock::now();
  absl::Status stalled =
      stream.SendFile(file.get(), 0, body.size(), DeadlineAfter(milliseconds(200)));
  EXPECT_TRUE(absl::IsDeadlineExceeded(stalled)) << stalled;
  EXPECT_LT(Clock::now() - start, milliseconds(5000));
}

TEST(BlockingStreamTest, SendFileDeliversEveryByteToAReader) {
  SocketPair pair;
  BlockingStream stream(pair.ours.get());
  char path[] = "/tmp/blocking_stream_testXXXXXX";
  base::UniqueFd file(::mkstemp(path));
  ASSERT_TRUE(file);
  ::unlink(path);
  std::string body(4 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(::write(file.get(), body.data(), body.size()), static_cast<ssize_t>(body.size()));

  std::string received;
  std::thread reader([&] {
    char buf[65536];
    int fd = pair.theirs.get();
    ::fcntl(fd, F_SETFL, 0);
    while (received.size() < body.size()) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      received.append(buf, static_cast<size_t>(n));
    }
  });
  absl::Status sent =
      stream.SendFile(file.get(), 0, body.size(), DeadlineAfter(milliseconds(20000)));
  reader.join();
  EXPECT_TRUE(sent.ok()) << sent;
  EXPECT_TRUE(received == body);
}

}  // namespace
}  // namespace corral::net
