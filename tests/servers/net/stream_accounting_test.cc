// A Stream and a DatagramSender report every call to the accounting hook a model hands in
// (base::IoAccounting), and to nothing of a higher layer: net/ counts without knowing stats/.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/io_accounting.h"
#include "base/unique_fd.h"
#include "servers/net/address.h"
#include "servers/net/polling_datagram_sender.h"
#include "servers/net/polling_stream.h"
#include "servers/net/socket.h"

namespace corral::net {
namespace {

using std::chrono::milliseconds;

// Records each call as one line: "reading", "read 5", "read DEADLINE_EXCEEDED", ...
class RecordingAccounting final : public base::IoAccounting {
 public:
  void OnReading() override { calls.push_back("reading"); }
  void OnRead(const absl::StatusOr<size_t>& result) override {
    calls.push_back(result.ok() ? "read " + std::to_string(*result)
                                : "read " + absl::StatusCodeToString(result.status().code()));
  }
  void OnWriting() override { calls.push_back("writing"); }
  void OnWritten(const absl::Status& status, size_t bytes) override {
    calls.push_back(status.ok() ? "wrote " + std::to_string(bytes)
                                : "wrote " + absl::StatusCodeToString(status.code()));
  }
  std::vector<std::string> calls;
};

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    ours.Reset(fds[0]);
    theirs.Reset(fds[1]);
  }
  base::UniqueFd ours;
  base::UniqueFd theirs;
};

TEST(StreamAccountingTest, ReportsEachReadAndWriteAroundTheCall) {
  SocketPair pair;
  PollingStream stream(pair.ours.get());
  RecordingAccounting accounting;
  stream.set_accounting(&accounting);
  EXPECT_EQ(stream.accounting(), &accounting);

  ASSERT_EQ(::write(pair.theirs.get(), "hello", 5), 5);
  char buf[16];
  ASSERT_TRUE(stream.Read(buf, sizeof buf, Deadline::max()).ok());
  ASSERT_TRUE(stream.WriteAll("abc", 3, Deadline::max()).ok());
  iovec iov[2] = {{const_cast<char*>("de"), 2}, {const_cast<char*>("fgh"), 3}};
  ASSERT_TRUE(stream.WriteAllV(iov, 2, Deadline::max()).ok());

  EXPECT_EQ(accounting.calls, (std::vector<std::string>{"reading", "read 5", "writing", "wrote 3",
                                                        "writing", "wrote 5"}));
}

TEST(StreamAccountingTest, ReportsATimedOutReadAndAPeersClose) {
  SocketPair pair;
  PollingStream stream(pair.ours.get());
  RecordingAccounting accounting;
  stream.set_accounting(&accounting);
  char buf[16];
  EXPECT_TRUE(absl::IsDeadlineExceeded(
      stream.Read(buf, sizeof buf, DeadlineAfter(milliseconds(1))).status()));
  pair.theirs.Reset();
  absl::StatusOr<size_t> closed = stream.Read(buf, sizeof buf, Deadline::max());
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(*closed, 0u);
  EXPECT_FALSE(stream.WriteAll("x", 1, Deadline::max()).ok());

  EXPECT_EQ(accounting.calls,
            (std::vector<std::string>{"reading", "read DEADLINE_EXCEEDED", "reading", "read 0",
                                      "writing", "wrote UNAVAILABLE"}));
}

TEST(StreamAccountingTest, WithoutAHookTheCallsCountNothingAndStillWork) {
  SocketPair pair;
  PollingStream stream(pair.ours.get());
  EXPECT_EQ(stream.accounting(), nullptr);
  ASSERT_TRUE(stream.WriteAll("hi", 2, Deadline::max()).ok());
  char buf[4];
  ASSERT_EQ(::read(pair.theirs.get(), buf, sizeof buf), 2);
}

TEST(StreamAccountingTest, ADatagramSenderReportsEachSend) {
  absl::StatusOr<Address> loopback = Address::Parse("127.0.0.1:0");
  ASSERT_TRUE(loopback.ok()) << loopback.status();
  base::UniqueFd receiver(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::bind(receiver.get(), loopback->sockaddr_ptr(), loopback->length()), 0);
  absl::StatusOr<Address> peer = LocalAddress(receiver.get());
  ASSERT_TRUE(peer.ok()) << peer.status();
  base::UniqueFd sending(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  PollingDatagramSender sender(sending.get());
  RecordingAccounting accounting;
  sender.set_accounting(&accounting);

  ASSERT_TRUE(sender.SendTo("ping", 4, *peer, Deadline::max()).ok());
  EXPECT_EQ(accounting.calls, (std::vector<std::string>{"wrote 4"}));
}

}  // namespace
}  // namespace corral::net
