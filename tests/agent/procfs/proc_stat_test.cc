#include "agent/procfs/proc_stat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corral::procfs {
namespace {

using ::testing::HasSubstr;

// Real samples captured on the development machine (Linux 6.18, x86_64, USER_HZ 100).

// An interactive shell.
constexpr char kBash[] =
    "3105 (bash) S 3101 3105 3105 0 -1 4194560 1530 28645 0 2 4 6 82 134 20 0 1 0 20847 "
    "5124096 986 18446744073709551615 94121224790016 94121225579421 140727708965552 0 0 0 65536 4 "
    "1132560123 1 0 0 17 1 0 0 0 0 0 94121225812720 94121225860964 94121695031296 "
    "140727708973880 140727708973895 140727708973895 140727708975082 0\n";

// `sleep` copied to a file named "(a) b)": the comm has a space and both parentheses.
constexpr char kTrickyComm[] =
    "4365 ((a) b)) S 4364 4361 3105 0 -1 4194304 132 0 0 0 0 0 0 0 20 0 1 0 27884 2990080 420 "
    "18446744073709551615 94519356289024 94519356306953 140727332515120 0 0 0 0 6 0 1 0 0 17 0 0 "
    "0 0 0 0 94519356321040 94519356322304 94519533051904 140727332518345 140727332518360 "
    "140727332518360 140727332519916 0\n";

// A kernel thread: no memory, PF_KTHREAD in flags.
constexpr char kKthreadd[] =
    "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 21 0 0 18446744073709551615 0 0 0 "
    "0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

// A multi-threaded process (13 threads) with CPU time and waited-for children.
constexpr char kMultiThreaded[] =
    "1 (process_api) S 0 0 0 0 -1 4194560 17903 880005 0 706 81 196 2913 2515 10 -10 13 0 21 "
    "40656896 2540 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 "
    "0 0\n";

TEST(ParseProcStatTest, OrdinaryProcess) {
  absl::StatusOr<ProcStat> st = ParseProcStat(kBash);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->pid, 3105);
  EXPECT_EQ(st->comm, "bash");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 3101);
  EXPECT_EQ(st->utime_ticks, 4u);
  EXPECT_EQ(st->stime_ticks, 6u);
  EXPECT_EQ(st->cutime_ticks, 82u);
  EXPECT_EQ(st->cstime_ticks, 134u);
  EXPECT_EQ(st->num_threads, 1);
  EXPECT_EQ(st->start_time_ticks, 20847u);
  EXPECT_EQ(st->vsize_bytes, 5124096u);
  EXPECT_EQ(st->rss_pages, 986);
  EXPECT_FALSE(st->is_kernel_thread());
}

TEST(ParseProcStatTest, CommWithSpacesAndParenthesesIsTakenUpToTheLastParen) {
  absl::StatusOr<ProcStat> st = ParseProcStat(kTrickyComm);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->pid, 4365);
  EXPECT_EQ(st->comm, "(a) b)");
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 4364);
  EXPECT_EQ(st->start_time_ticks, 27884u);
  EXPECT_EQ(st->rss_pages, 420);
}

TEST(ParseProcStatTest, KernelThread) {
  absl::StatusOr<ProcStat> st = ParseProcStat(kKthreadd);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->pid, 2);
  EXPECT_EQ(st->comm, "kthreadd");
  EXPECT_EQ(st->ppid, 0);
  EXPECT_TRUE(st->is_kernel_thread());
  EXPECT_EQ(st->start_time_ticks, 21u);
  EXPECT_EQ(st->vsize_bytes, 0u);
  EXPECT_EQ(st->rss_pages, 0);
}

TEST(ParseProcStatTest, MultiThreadedProcess) {
  absl::StatusOr<ProcStat> st = ParseProcStat(kMultiThreaded);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->comm, "process_api");
  EXPECT_EQ(st->num_threads, 13);
  EXPECT_EQ(st->utime_ticks, 81u);
  EXPECT_EQ(st->stime_ticks, 196u);
  EXPECT_EQ(st->cutime_ticks, 2913u);
  EXPECT_EQ(st->cstime_ticks, 2515u);
}

TEST(ParseProcStatTest, CommWithSpacesOnlyAndEmptyComm) {
  absl::StatusOr<ProcStat> spaces =
      ParseProcStat("7 ( x  y ) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 99 0 0");
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  EXPECT_EQ(spaces->comm, " x  y ");
  EXPECT_EQ(spaces->state, 'R');
  EXPECT_EQ(spaces->start_time_ticks, 99u);
  absl::StatusOr<ProcStat> empty =
      ParseProcStat("8 () Z 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->comm, "");
  EXPECT_EQ(empty->state, 'Z');
}

TEST(ParseProcStatTest, MalformedTextIsRejectedWithAReason) {
  EXPECT_THAT(ParseProcStat("").status().message(), HasSubstr("no parenthesised command name"));
  EXPECT_THAT(ParseProcStat("12 (x S 1 2 3").status().message(),
              HasSubstr("no parenthesised command name"));
  EXPECT_THAT(ParseProcStat("abc (x) S 1").status().message(), HasSubstr("bad pid 'abc '"));
  EXPECT_THAT(ParseProcStat("12 (x) S 1 2 3").status().message(),
              HasSubstr("only 6 fields, need 24"));
  EXPECT_THAT(
      ParseProcStat("12 (x) S one 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 99 0 0").status().message(),
      HasSubstr("bad numeric field for pid 12"));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseProcStat("12 (x) S 1").status()));
}

}  // namespace
}  // namespace corral::procfs
