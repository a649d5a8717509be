#include "agent/prometheus_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace corral::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::ServerStats Sample(const std::string& name) {
  v1::ServerStats s;
  s.set_name(name);
  s.set_state(v1::STATE_RUNNING);
  s.set_protocol(v1::PROTOCOL_TCP_ECHO);
  s.set_model(v1::MODEL_FORK);
  s.set_restarts(3);
  s.set_uptime_seconds(12.5);
  s.set_scoreboard_available(true);
  s.mutable_totals()->set_connections_accepted(7);
  s.mutable_totals()->set_requests(42);
  s.mutable_totals()->set_bytes_in(2688);
  s.mutable_totals()->set_bytes_out(2688);
  s.mutable_totals()->set_errors_reset(1);
  s.set_active_connections(2);
  s.mutable_process()->set_cpu_seconds(1.25);
  s.mutable_process()->set_rss_bytes(1 << 20);
  s.mutable_process()->set_processes(3);
  return s;
}

TEST(PrometheusFormatTest, RendersCountersGaugesAndLabels) {
  v1::ServerStats s = Sample("echo");
  std::string text = RenderPrometheus({{&s, nullptr}});
  EXPECT_THAT(text, HasSubstr("# HELP corral_requests_total Requests answered.\n"
                              "# TYPE corral_requests_total counter\n"
                              "corral_requests_total{server=\"echo\",protocol=\"tcp-echo\","
                              "model=\"fork\"} 42\n"));
  EXPECT_THAT(text, HasSubstr("corral_server_up{server=\"echo\",protocol=\"tcp-echo\",model="
                              "\"fork\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("corral_server_uptime_seconds{server=\"echo\",protocol=\"tcp-echo\","
                              "model=\"fork\"} 12.5\n"));
  EXPECT_THAT(text, HasSubstr("corral_errors_total{server=\"echo\",protocol=\"tcp-echo\",model="
                              "\"fork\",kind=\"reset\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("corral_process_resident_memory_bytes{server=\"echo\",protocol="
                              "\"tcp-echo\",model=\"fork\"} 1048576\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE corral_request_duration_seconds histogram\n"));
  EXPECT_THAT(text, Not(HasSubstr("corral_request_duration_seconds_bucket")));  // no histogram
}

TEST(PrometheusFormatTest, RendersStalls) {
  v1::ServerStats s = Sample("chat");
  s.set_model(v1::MODEL_COROUTINE);
  s.mutable_totals()->set_stalls(2);
  std::string text = RenderPrometheus({{&s, nullptr}});
  EXPECT_THAT(text, HasSubstr("# TYPE corral_stalls_total counter\n"
                              "corral_stalls_total{server=\"chat\",protocol=\"tcp-echo\","
                              "model=\"coroutine\"} 2\n"));
}

TEST(PrometheusFormatTest, MissingScoreboardAndProcessLeaveTheirSeriesOut) {
  v1::ServerStats s;
  s.set_name("down");
  s.set_state(v1::STATE_STOPPED);
  std::string text = RenderPrometheus({{&s, nullptr}});
  EXPECT_THAT(text, HasSubstr("corral_server_up{server=\"down\",protocol=\"unknown\","
                              "model=\"unknown\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("corral_requests_total{")));
  EXPECT_THAT(text, Not(HasSubstr("corral_process_threads{")));
}

TEST(PrometheusFormatTest, HistogramBucketsAreExactCumulativeAndEndWithCount) {
  v1::ServerStats s = Sample("echo");
  stats::HistogramSnapshot latency;
  latency.Record(5'000, 10);         // 5 us: below every bound
  latency.Record(900'000, 5);        // 0.9 ms: at or below the 1 ms bound
  latency.Record(3'000'000'000, 1);  // 3 s
  latency.sum_ns = 5'000 * 10 + 900'000 * 5 + 3'000'000'000ull;
  std::string text = RenderPrometheus({{&s, &latency}});

  std::vector<uint64_t> bounds = PrometheusLatencyBoundsNs();
  ASSERT_FALSE(bounds.empty());
  for (size_t i = 1; i < bounds.size(); ++i) EXPECT_LT(bounds[i - 1], bounds[i]);
  for (uint64_t b : bounds) EXPECT_EQ(stats::HistogramBuckets::SnapToUpperBound(b), b);

  uint64_t previous = 0;
  int buckets = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, "corral_request_duration_seconds_bucket")) continue;
    ++buckets;
    uint64_t value = std::stoull(std::string(line.substr(line.rfind(' ') + 1)));
    EXPECT_GE(value, previous) << line;
    previous = value;
  }
  EXPECT_EQ(buckets, static_cast<int>(bounds.size()) + 1);
  EXPECT_EQ(previous, 16u);                                 // +Inf
  EXPECT_THAT(text, HasSubstr("le=\"1.0111e-05\"} 10\n"));  // 10 us snapped up to 10111 ns
  EXPECT_THAT(text, HasSubstr("le=\"+Inf\"} 16\n"));
  EXPECT_THAT(text, HasSubstr("corral_request_duration_seconds_count{server=\"echo\",protocol="
                              "\"tcp-echo\",model=\"fork\"} 16\n"));
}

TEST(PrometheusFormatTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace corral::agent
