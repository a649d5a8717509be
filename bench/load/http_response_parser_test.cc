// The response framing corral-load's HTTP mode relies on, with real server heads.
#include "bench/load/http_response_parser.h"

#include <gtest/gtest.h>

#include "bench/load/open_loop_schedule.h"

namespace corral::load {
namespace {

using Result = HttpResponseParser::Result;

constexpr char kNginx[] =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 22:00:00 GMT\r\n"
    "Content-Type: text/plain\r\nContent-Length: 14\r\nConnection: keep-alive\r\n"
    "ETag: \"6575f\"\r\nAccept-Ranges: bytes\r\n\r\nHello, world!\n";

TEST(HttpResponseParserTest, FramesPipelinedResponsesFedByteByByte) {
  HttpResponseParser p;
  std::string two = std::string(kNginx) + kNginx;
  int responses = 0;
  for (char c : two) {
    p.Feed(std::string_view(&c, 1));
    Result r = p.Next();
    ASSERT_NE(r, Result::kMalformed);
    if (r == Result::kResponse) {
      ++responses;
      EXPECT_EQ(p.head().status, 200);
      EXPECT_EQ(p.head().body_length, 14u);
      EXPECT_FALSE(p.head().close);
    }
  }
  EXPECT_EQ(responses, 2);
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(HttpResponseParserTest, ConnectionCloseAndHttp10) {
  HttpResponseParser p;
  p.Feed("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: Close\r\n\r\n");
  ASSERT_EQ(p.Next(), Result::kResponse);
  EXPECT_EQ(p.head().status, 404);
  EXPECT_TRUE(p.head().close);
  p.Feed("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(p.Next(), Result::kResponse);
  EXPECT_TRUE(p.head().close);
  p.Feed("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
  ASSERT_EQ(p.Next(), Result::kResponse);
  EXPECT_FALSE(p.head().close);
}

TEST(HttpResponseParserTest, UnframedBodiesAreMalformed) {
  for (const char* head :
       {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n\r\n"}) {
    HttpResponseParser p;
    p.Feed(head);
    EXPECT_EQ(p.Next(), Result::kMalformed) << head;
  }
}

TEST(HttpResponseParserTest, PartialBodyIsBuffered) {
  HttpResponseParser p;
  p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
  EXPECT_EQ(p.Next(), Result::kNeedMore);
  EXPECT_GT(p.buffered(), 0u);
  p.Feed("lo");
  EXPECT_EQ(p.Next(), Result::kResponse);
}

TEST(OpenLoopScheduleTest, ConnectionsInterleaveAtTheRate) {
  OpenLoopSchedule::Clock::time_point t0{};
  OpenLoopSchedule s(t0, 1000, 4);  // one request a millisecond over 4 connections
  using std::chrono::microseconds;
  EXPECT_EQ(s.Due(0, 0), t0);
  EXPECT_EQ(s.Due(1, 0) - t0, microseconds(1000));
  EXPECT_EQ(s.Due(3, 0) - t0, microseconds(3000));
  EXPECT_EQ(s.Due(0, 1) - t0, microseconds(4000));  // each connection at rate / 4
  EXPECT_EQ(s.Due(2, 10) - t0, microseconds(42000));
}

}  // namespace
}  // namespace corral::load
