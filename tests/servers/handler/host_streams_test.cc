// The host's stream calls as a plugin sees them (through the host table, as C would call
// them), on one end of a socket pair with the test writing the other.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "servers/handler/handler_conn.h"
#include "servers/handler/host_table.h"
#include "servers/net/polling_stream.h"

namespace corral::handler {
namespace {

class HostStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    served_ = base::UniqueFd(fds[0]);
    peer_ = base::UniqueFd(fds[1]);
    stream_ = std::make_unique<net::PollingStream>(served_.get());
    conn_.stream = stream_.get();
  }

  void Send(const std::string& bytes) {
    ASSERT_EQ(::write(peer_.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  void ClosePeer() { peer_.Reset(); }

  // One read_line into a buffer of `cap`: its status and the line.
  std::pair<corral_status, std::string> ReadLine(size_t cap) {
    std::string buf(cap, '\0');
    size_t got = 0;
    corral_status status = host_->read_line(&conn_, buf.data(), cap, Soon(), &got);
    return {status, buf.substr(0, got)};
  }
  static corral_deadline Soon() { return HostTable()->now() + 5'000'000'000; }

  const corral_host* host_ = HostTable();
  base::UniqueFd served_, peer_;
  std::unique_ptr<net::PollingStream> stream_;
  corral_conn conn_;
};

TEST_F(HostStreamsTest, TableIsVersionedAndFilled) {
  EXPECT_EQ(host_->abi_version, CORRAL_HANDLER_ABI_VERSION);
  EXPECT_EQ(host_->struct_size, sizeof(corral_host));
  EXPECT_NE(host_->read_line, nullptr);
  EXPECT_NE(host_->count_request, nullptr);
}

TEST_F(HostStreamsTest, ReadLineSplitsPipelinedLinesAndStripsCrLf) {
  Send("GET a\r\nSET b 2\nKEYS");
  EXPECT_EQ(ReadLine(64), std::make_pair(CORRAL_OK, std::string("GET a")));
  EXPECT_EQ(ReadLine(64), std::make_pair(CORRAL_OK, std::string("SET b 2")));
  ClosePeer();
  // The last line, ended by the close, then the close itself.
  EXPECT_EQ(ReadLine(64), std::make_pair(CORRAL_OK, std::string("KEYS")));
  EXPECT_EQ(ReadLine(64).first, CORRAL_CLOSED);
}

TEST_F(HostStreamsTest, ReadLineRefusesALongLineAndSkipsToTheNext) {
  Send(std::string(100, 'x') + "\nshort\n");
  EXPECT_EQ(ReadLine(10).first, CORRAL_TOO_LONG);
  EXPECT_EQ(ReadLine(10), std::make_pair(CORRAL_OK, std::string("short")));
  // Exactly cap bytes fit, with or without "\r".
  Send("0123456789\r\n0123456789\n");
  EXPECT_EQ(ReadLine(10), std::make_pair(CORRAL_OK, std::string("0123456789")));
  EXPECT_EQ(ReadLine(10), std::make_pair(CORRAL_OK, std::string("0123456789")));
}

TEST_F(HostStreamsTest, ReadTakesWhatReadLineBufferedFirst) {
  Send("line\nrest of it");
  EXPECT_EQ(ReadLine(64).second, "line");
  char buf[64];
  size_t got = 0;
  ASSERT_EQ(host_->read_exactly(&conn_, buf, 10, Soon(), &got), CORRAL_OK);
  EXPECT_EQ(std::string(buf, got), "rest of it");
}

TEST_F(HostStreamsTest, ReadExactlyReportsWhatCameBeforeTheClose) {
  Send("abc");
  ClosePeer();
  char buf[8];
  size_t got = 0;
  EXPECT_EQ(host_->read_exactly(&conn_, buf, sizeof buf, Soon(), &got), CORRAL_CLOSED);
  EXPECT_EQ(std::string(buf, got), "abc");
}

TEST_F(HostStreamsTest, TimeoutAndInvalidArguments) {
  char buf[8];
  size_t got = 0;
  EXPECT_EQ(host_->read(&conn_, buf, sizeof buf, host_->now() + 20'000'000, &got), CORRAL_TIMEOUT);
  EXPECT_EQ(host_->read(&conn_, buf, 0, Soon(), &got), CORRAL_INVALID);
  EXPECT_EQ(host_->read(nullptr, buf, sizeof buf, Soon(), &got), CORRAL_INVALID);
}

TEST_F(HostStreamsTest, WriteReachesThePeerAndPeerStaysInItsBuffer) {
  ASSERT_EQ(host_->write(&conn_, "hi", 2, Soon()), CORRAL_OK);
  char buf[8];
  ASSERT_EQ(::read(peer_.get(), buf, sizeof buf), 2);
  EXPECT_EQ(std::string(buf, 2), "hi");
  char peer[64];
  // A socket pair has no address to print; the call still stays within the buffer and ends it.
  size_t length = host_->peer(&conn_, peer, sizeof peer);
  EXPECT_LT(length, sizeof peer);
  EXPECT_EQ(peer[length], '\0');
}

}  // namespace
}  // namespace corral::handler
