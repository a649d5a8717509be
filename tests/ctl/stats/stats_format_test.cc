#include "ctl/stats_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace corral::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

v1::ServerStats Stats(const std::string& name, double rps, uint64_t rss) {
  v1::ServerStats s;
  s.set_name(name);
  s.set_state(v1::STATE_RUNNING);
  s.set_protocol(v1::PROTOCOL_TCP_ECHO);
  s.set_model(v1::MODEL_THREAD);
  s.set_bound_address("127.0.0.1:7007");
  s.set_pid(4242);
  s.set_restarts(1);
  s.set_uptime_seconds(192);
  s.set_scoreboard_available(true);
  s.set_listener_state("accepting");
  s.set_interval_seconds(1);
  s.set_active_connections(3);
  s.mutable_totals()->set_connections_accepted(10);
  s.mutable_totals()->set_connections_closed(7);
  s.mutable_totals()->set_requests(1234);
  s.mutable_totals()->set_bytes_in(2048);
  s.mutable_totals()->set_bytes_out(2048);
  s.mutable_rates()->set_requests_per_second(rps);
  s.mutable_rates()->set_bytes_in_per_second(1536);
  s.mutable_rates()->set_bytes_out_per_second(1536);
  s.mutable_interval_latency()->set_count(12);
  s.mutable_interval_latency()->set_p50_ns(12'300);
  s.mutable_interval_latency()->set_p99_ns(1'250'000);
  s.mutable_process()->set_cpu_percent(4.5);
  s.mutable_process()->set_rss_bytes(rss);
  return s;
}

TEST(StatsFormatTest, HumanUnits) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(12.0 * 1024 * 1024), "12.0 MiB");
  EXPECT_EQ(HumanRate(0), "0");
  EXPECT_EQ(HumanRate(12.54), "12.5");
  EXPECT_EQ(HumanRate(1234), "1.2k");
  EXPECT_EQ(HumanRate(3'400'000), "3.4M");
  EXPECT_EQ(HumanNanos(0), "-");
  EXPECT_EQ(HumanNanos(850), "850ns");
  EXPECT_EQ(HumanNanos(12'300), "12.3us");
  EXPECT_EQ(HumanNanos(1'250'000), "1.25ms");
  EXPECT_EQ(HumanNanos(2'100'000'000), "2.10s");
}

TEST(StatsFormatTest, StatsBlockShowsEveryGroup) {
  std::string block = FormatStatsBlock(Stats("echo", 120.5, 12 << 20));
  EXPECT_THAT(block, HasSubstr("name:"));
  EXPECT_THAT(block, HasSubstr("RUNNING  tcp-echo/thread  127.0.0.1:7007  pid 4242\n"));
  EXPECT_THAT(block, HasSubstr("3m12s  restarts 1\n"));
  EXPECT_THAT(block, HasSubstr("3 active  10 accepted (0/s)  7 closed\n"));
  EXPECT_THAT(block, HasSubstr("1234 total  120.5/s\n"));
  EXPECT_THAT(block, HasSubstr("2048 (2.0 KiB)  1.5 KiB/s\n"));
  EXPECT_THAT(block, HasSubstr("p50 12.3us  p90 -  p99 1.25ms"));
  EXPECT_THAT(block, HasSubstr("RSS 12.0 MiB"));
  EXPECT_THAT(block, Not(HasSubstr("SLOT")));
}

// A coroutine server that stalled says so; one that never did has no stalls line.
TEST(StatsFormatTest, StatsBlockShowsStallsOnlyWhenThereAreSome) {
  v1::ServerStats s = Stats("chat", 1, 1 << 20);
  EXPECT_THAT(FormatStatsBlock(s), Not(HasSubstr("stalls")));
  s.mutable_totals()->set_stalls(3);
  EXPECT_THAT(FormatStatsBlock(s), HasSubstr("3  (a handler held its hub past the stall bound)\n"));
}

TEST(StatsFormatTest, StatsBlockListsWorkersAndUnavailableScoreboard) {
  v1::ServerStats s = Stats("echo", 1, 1);
  v1::WorkerStats* w = s.add_workers();
  w->set_slot(0);
  w->set_pid(4243);
  w->set_tid(4244);
  w->set_state("reading");
  w->set_owners(2);
  w->mutable_counters()->set_requests(9);
  std::string block = FormatStatsBlock(s);
  EXPECT_THAT(block, HasSubstr("SLOT  PID   TID   STATE    OWNERS  REQUESTS  REQ/S  IN  OUT\n"
                               "0     4243  4244  reading  2       9         0      0   0\n"));

  v1::ServerStats down;
  down.set_name("down");
  down.set_state(v1::STATE_STOPPED);
  down.set_unavailable_reason("open scoreboard: no such file");
  EXPECT_THAT(FormatStatsBlock(down),
              HasSubstr("scoreboard:  unavailable: open scoreboard: no such file\n"));
}

TEST(StatsFormatTest, TopTableIsAlignedAndMarksTheSortColumn) {
  std::vector<std::string> lines =
      FormatTopTable({Stats("b", 5, 1 << 20), Stats("a", 7, 2 << 20)}, TopSort::kRequests, 0);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "NAME  STATE    PROTOCOL  MODEL   ADDRESS         CONN  REQ/S*  IN/S     OUT/S    "
            "P50     P99     ERR/S  CPU%  RSS      RESTARTS  UPTIME");
  EXPECT_EQ(lines[1],
            "b     RUNNING  tcp-echo  thread  127.0.0.1:7007  3     5.0     1.5 KiB  1.5 KiB  "
            "12.3us  1.25ms  0      4.5   1.0 MiB  1         3m12s");
  std::vector<std::string> cut = FormatTopTable({Stats("a", 1, 1)}, TopSort::kName, 10);
  EXPECT_THAT(cut, ElementsAre("NAME*  STA", "a      RUN"));
}

TEST(StatsFormatTest, TopSaysHowManyRowsDoNotFit) {
  std::vector<std::string> lines = {"title", "help", "", "NAME", "a", "b", "c", "d"};
  EXPECT_THAT(FitToScreen(lines, 6, 0), ElementsAre("title", "help", "", "NAME", "a",
                                                    "(3 rows do not fit: enlarge the window)"));
  EXPECT_THAT(FitToScreen(lines, 7, 12),
              ElementsAre("title", "help", "", "NAME", "a", "b", "(2 rows do n"));
  EXPECT_EQ(FitToScreen(lines, 8, 0), lines);
}

TEST(StatsFormatTest, WorkersShowBusyIdleCapAndLeft) {
  v1::ServerStats s = Stats("echo", 1, 1);
  s.set_busy_workers(1);
  s.set_idle_workers(0);
  s.set_free_slots(1);
  s.set_worker_cap(1);
  s.set_workers_left(0);
  s.mutable_totals()->set_errors_dropped(42);
  std::string block = FormatStatsBlock(s);
  EXPECT_THAT(block, HasSubstr("1 busy  0 idle  cap 1  left 0\n"));
  EXPECT_THAT(block, Not(HasSubstr("free slots")));
  EXPECT_THAT(block, HasSubstr("dropped 42"));
}

TEST(StatsFormatTest, TopSortOrdersLargestFirstThenByName) {
  std::vector<v1::ServerStats> servers = {Stats("a", 5, 3), Stats("b", 9, 1), Stats("c", 5, 2)};
  auto names = [](const std::vector<v1::ServerStats>& v) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(s.name());
    return out;
  };
  EXPECT_THAT(names(SortForTop(servers, TopSort::kRequests)), ElementsAre("b", "a", "c"));
  EXPECT_THAT(names(SortForTop(servers, TopSort::kRss)), ElementsAre("a", "c", "b"));
  EXPECT_THAT(names(SortForTop(servers, TopSort::kName)), ElementsAre("a", "b", "c"));
  TopSort sort = TopSort::kName;
  EXPECT_TRUE(TopSortForKey('c', &sort));
  EXPECT_EQ(sort, TopSort::kCpu);
  EXPECT_TRUE(TopSortForKey('M', &sort));
  EXPECT_EQ(sort, TopSort::kRss);
  EXPECT_FALSE(TopSortForKey('z', &sort));
  EXPECT_THAT(FormatTopHelp(TopSort::kRss), HasSubstr("m rss*"));
}

TEST(StatsFormatTest, WatchLineHasTheHeadersColumns) {
  v1::StatsReport report;
  report.mutable_time()->set_seconds(0);
  std::string header = FormatWatchHeader();
  std::string line = FormatWatchLine(report, Stats("echo", 120.5, 1 << 20));
  EXPECT_THAT(header, HasSubstr("REQ/S"));
  EXPECT_THAT(line, HasSubstr("echo"));
  EXPECT_THAT(line, HasSubstr("120.5"));
  EXPECT_THAT(line, HasSubstr("1.25ms"));
  EXPECT_EQ(line.size(), header.size());
}

}  // namespace
}  // namespace corral::ctl
