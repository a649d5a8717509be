// corral-load's HTTP mode against a real server on 127.0.0.1 port 0 (test_http_server.h):
// every connection's answers are counted, answers are checked, and the open loop keeps its
// schedule and counts a stall against every request it delays. Bounds are generous: the
// machine may be loaded.
#include "bench/load/http_load.h"

#include <gtest/gtest.h>

#include "bench/load/test_http_server.h"

namespace corral::load {
namespace {

using std::chrono::duration;
using std::chrono::milliseconds;

// A server option set by one assignment; designated initializers that omit members draw
// -Wmissing-field-initializers from GCC 12.
template <typename Set>
TestHttpServerOptions ServerWith(Set set) {
  TestHttpServerOptions o;
  set(o);
  return o;
}

LoadOptions Options(int port, int connections, double seconds) {
  LoadOptions o;
  std::string error;
  EXPECT_TRUE(ParseLoopbackTarget("127.0.0.1:" + std::to_string(port), &o.target, &error));
  o.connections = connections;
  o.duration = duration<double>(seconds);
  o.warmup = duration<double>(0);
  o.path = "/x";
  o.expect_length = 5;
  o.start = Clock::now() + milliseconds(20);
  return o;
}

TEST(HttpLoadTest, ClosedLoopCountsEveryConnection) {
  TestHttpServer server((TestHttpServerOptions()));
  int port = server.Start();
  ASSERT_NE(port, 0);
  LoadResult r = RunHttp(Options(port, 4, 0.3), 0, 4);
  EXPECT_TRUE(r.Ok());
  ASSERT_EQ(r.per_connection.size(), 4u);
  EXPECT_EQ(r.AnsweredConnections(), 4);
  EXPECT_GT(r.SlowestShare(), 0.0);
  EXPECT_GT(r.messages, 4u);
  EXPECT_EQ(r.latency.count(), r.messages);
}

// A server silent for the first 1.1 s: the per-second counts place the gap in the first second
// (what bench/reload reads a reload's dip from), and they add up to the total.
TEST(HttpLoadTest, PerSecondCountsPlaceAnswersInTheirSecond) {
  TestHttpServer server(ServerWith([](auto& o) { o.first_answer_delay_ms = 1100; }));
  int port = server.Start();
  ASSERT_NE(port, 0);
  const double before = static_cast<double>(std::chrono::duration_cast<milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count()) /
                        1000;
  LoadResult r = RunHttp(Options(port, 1, 2.0), 0, 1);
  EXPECT_TRUE(r.Ok());
  ASSERT_EQ(r.per_second.size(), 2u);
  EXPECT_EQ(r.per_second[0], 0u);
  EXPECT_GT(r.per_second[1], 0u);
  EXPECT_EQ(r.per_second[0] + r.per_second[1], r.messages);
  EXPECT_GE(r.window_start_unix, before);
  EXPECT_LT(r.window_start_unix, before + 5);
}

// What wrk cannot see: a server that answers 2 of 6 connections looks busy and error-free.
TEST(HttpLoadTest, ConnectionsNeverAnsweredCountAsZero) {
  TestHttpServer server(ServerWith([](auto& o) { o.answer_connections = 2; }));
  int port = server.Start();
  ASSERT_NE(port, 0);
  LoadResult r = RunHttp(Options(port, 6, 0.3), 0, 6);
  EXPECT_TRUE(r.Ok());  // nothing wrong was said; four connections were just never answered
  EXPECT_GT(r.messages, 2u);
  EXPECT_EQ(r.AnsweredConnections(), 2);
  EXPECT_EQ(r.SlowestShare(), 0.0);
  EXPECT_EQ(server.accepted(), 6);
}

TEST(HttpLoadTest, CloseModeReconnectsAndCountsEachSlotOnce) {
  TestHttpServer server(ServerWith([](auto& o) { o.close_each = true; }));
  int port = server.Start();
  ASSERT_NE(port, 0);
  LoadOptions o = Options(port, 3, 0.3);
  o.close = true;
  LoadResult r = RunHttp(o, 0, 3);
  EXPECT_TRUE(r.Ok()) << r.connection_errors << " errors, " << r.bad_responses << " bad";
  ASSERT_EQ(r.per_connection.size(), 3u);
  EXPECT_EQ(r.AnsweredConnections(), 3);
  EXPECT_GT(server.accepted(), 3);  // a connection per request
}

TEST(HttpLoadTest, IdleConnectionClosedByServerIsRetriedNotAnError) {
  TestHttpServer server(ServerWith([](auto& o) { o.close_silently = true; }));
  int port = server.Start();
  ASSERT_NE(port, 0);
  LoadResult r = RunHttp(Options(port, 2, 0.3), 0, 2);
  EXPECT_TRUE(r.Ok()) << r.connection_errors << " errors";
  EXPECT_GT(r.retries, 0u);
  EXPECT_EQ(r.AnsweredConnections(), 2);
}

TEST(HttpLoadTest, WrongStatusOrLengthIsABadResponse) {
  TestHttpServer not_found(ServerWith([](auto& o) { o.status = 404; }));
  int port = not_found.Start();
  ASSERT_NE(port, 0);
  LoadResult r = RunHttp(Options(port, 1, 0.2), 0, 1);
  EXPECT_GT(r.bad_responses, 0u);
  EXPECT_EQ(r.messages, 0u);
  EXPECT_FALSE(r.Ok());

  TestHttpServer short_body(ServerWith([](auto& o) { o.body = "hell"; }));
  port = short_body.Start();
  ASSERT_NE(port, 0);
  r = RunHttp(Options(port, 1, 0.2), 0, 1);
  EXPECT_GT(r.bad_responses, 0u);
  EXPECT_FALSE(r.Ok());
}

TEST(HttpLoadTest, OpenLoopSendsOnScheduleAndAnswersAll) {
  TestHttpServer server((TestHttpServerOptions()));
  int port = server.Start();
  ASSERT_NE(port, 0);
  LoadOptions o = Options(port, 2, 0.5);
  o.rate = 200;  // 100 requests in the half second, one every 5 ms over the two connections
  LoadResult r = RunHttp(o, 0, 2);
  EXPECT_TRUE(r.Ok());
  EXPECT_EQ(r.scheduled, 100u);  // the schedule does not depend on how fast answers come
  EXPECT_EQ(r.messages, r.scheduled);
  EXPECT_EQ(r.unanswered, 0u);
  EXPECT_EQ(r.per_connection, (std::vector<uint64_t>{50, 50}));
}

// The server holds its first answer 300 ms. Requests due meanwhile are sent on time (pipelined
// behind it) and each counts its latency from when it was due, so about 30 requests of the 100
// carry the stall, 20 of them by more than 100 ms. Measured from when a closed loop would have
// sent them, only the first would.
TEST(HttpLoadTest, OpenLoopCountsAStallAgainstEveryRequestItDelays) {
  TestHttpServer server(ServerWith([](auto& o) { o.first_answer_delay_ms = 300; }));
  int port = server.Start();
  ASSERT_NE(port, 0);
  LoadOptions o = Options(port, 1, 1.0);
  o.rate = 100;
  LoadResult r = RunHttp(o, 0, 1);
  EXPECT_TRUE(r.Ok());
  EXPECT_EQ(r.scheduled, 100u);
  EXPECT_EQ(r.messages, 100u);
  EXPECT_GT(server.queued_at_first_answer(), 10 * HttpRequest(o).size());  // sent on schedule
  EXPECT_GE(r.latency.Quantile(0.85), 100'000'000u);  // >= 15 requests waited >= 100 ms
  EXPECT_GE(r.latency.max(), 250'000'000u);
  EXPECT_EQ(server.answers(), 100u);
}

// A request the drain does not see answered still counts, at the latency it had reached.
TEST(HttpLoadTest, OpenLoopRecordsUnansweredRequestsAtTheirWaitSoFar) {
  TestHttpServer server(ServerWith([](auto& o) { o.answer_connections = 0; }));
  int port = server.Start();
  ASSERT_NE(port, 0);
  LoadOptions o = Options(port, 2, 0.2);
  o.rate = 100;
  o.drain = duration<double>(0.1);
  LoadResult r = RunHttp(o, 0, 2);
  EXPECT_EQ(r.scheduled, 20u);
  EXPECT_EQ(r.unanswered, 20u);
  EXPECT_EQ(r.messages, 0u);
  EXPECT_EQ(r.latency.count(), 20u);
  EXPECT_GE(r.latency.Quantile(0.01), 100'000'000u);  // each waited at least the drain
  EXPECT_EQ(r.AnsweredConnections(), 0);
}

}  // namespace
}  // namespace corral::load
