#include "servers/protocols/file/line_reader.h"

#include <sys/socket.h>

#include <chrono>
#include <memory>

#include "gtest/gtest.h"
#include "servers/net/polling_stream.h"

namespace corral::protocols::file {
namespace {

using std::chrono::milliseconds;

class LineReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    writer_ = std::make_unique<net::PollingStream>(base::UniqueFd(fds[0]));
    reader_side_ = std::make_unique<net::PollingStream>(base::UniqueFd(fds[1]));
  }

  void Send(const std::string& bytes) {
    ASSERT_TRUE(
        writer_->WriteAll(bytes.data(), bytes.size(), net::DeadlineAfter(milliseconds(5000))).ok());
  }

  static net::Deadline Soon() { return net::DeadlineAfter(milliseconds(5000)); }

  std::unique_ptr<net::PollingStream> writer_;
  std::unique_ptr<net::PollingStream> reader_side_;
};

TEST_F(LineReaderTest, ReadsLinesStrippingLfAndCrLf) {
  LineReader reader(*reader_side_, 64);
  Send("first\nsecond\r\n\nlast");
  Send(" part\n");
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "first");
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "second");
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "");
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "last part");
}

TEST_F(LineReaderTest, ReportsCleanCloseBetweenLines) {
  LineReader reader(*reader_side_, 64);
  Send("only\n");
  writer_.reset();
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "only");
  absl::StatusOr<std::optional<std::string_view>> end = reader.ReadLine(Soon());
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_FALSE(end->has_value());
}

TEST_F(LineReaderTest, ReportsCloseMidLine) {
  LineReader reader(*reader_side_, 64);
  Send("partial");
  writer_.reset();
  EXPECT_TRUE(absl::IsUnavailable(reader.ReadLine(Soon()).status()));
}

TEST_F(LineReaderTest, AcceptsALineOfExactlyTheLimitAndRefusesOneMore) {
  LineReader reader(*reader_side_, 8);
  Send("1234567\n");  // 8 bytes with the LF
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "1234567");
  Send("12345678\n");
  EXPECT_TRUE(absl::IsResourceExhausted(reader.ReadLine(Soon()).status()));
}

TEST_F(LineReaderTest, SlidesPartialLinesToMakeRoom) {
  LineReader reader(*reader_side_, 8);
  Send("abc\nde");
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "abc");
  Send("fghi\n");  // "defghi\n" is 7 bytes: fits only after sliding to the front
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "defghi");
}

TEST_F(LineReaderTest, ReadSomeHandsOutBufferedBytesFirst) {
  LineReader reader(*reader_side_, 64);
  Send("PUT x 10\n0123456789NEXT\n");
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "PUT x 10");
  std::string body;
  while (body.size() < 10) {
    char buffer[4];
    absl::StatusOr<size_t> n =
        reader.ReadSome(buffer, std::min<size_t>(4, 10 - body.size()), Soon());
    ASSERT_TRUE(n.ok());
    ASSERT_GT(*n, 0u);
    body.append(buffer, *n);
  }
  EXPECT_EQ(body, "0123456789");
  EXPECT_EQ(reader.ReadLine(Soon()).value(), "NEXT");
}

TEST_F(LineReaderTest, TimesOutWhenNoLineArrives) {
  LineReader reader(*reader_side_, 64);
  Send("no newline yet");
  EXPECT_TRUE(
      absl::IsDeadlineExceeded(reader.ReadLine(net::DeadlineAfter(milliseconds(50))).status()));
}

}  // namespace
}  // namespace corral::protocols::file
