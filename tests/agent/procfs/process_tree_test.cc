#include "agent/procfs/process_tree.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/procfs/fake_proc.h"

namespace corral::procfs {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

// 10 -> {11, 12}, 11 -> {13}; 20 is unrelated; 1 is init.
void AddFamily(FakeProc& fake, bool with_children_files) {
  fake.Add({.pid = 1, .ppid = 0, .children = {10, 20}}, with_children_files);
  fake.Add({.pid = 10,
            .ppid = 1,
            .utime = 100,
            .stime = 50,
            .cutime = 30,
            .cstime = 20,
            .threads = 1,
            .rss_kb = 1000,
            .fds = 4,
            .children = {11, 12}},
           with_children_files);
  fake.Add({.pid = 11,
            .ppid = 10,
            .utime = 200,
            .stime = 0,
            .threads = 8,
            .rss_kb = 3000,
            .fds = 10,
            .children = {13}},
           with_children_files);
  fake.Add({.pid = 12, .ppid = 10, .utime = 0, .stime = 25, .threads = 1, .rss_kb = 500, .fds = 3},
           with_children_files);
  fake.Add({.pid = 13, .ppid = 11, .utime = 25, .stime = 0, .threads = 2, .rss_kb = 500, .fds = 6},
           with_children_files);
  fake.Add({.pid = 20, .ppid = 1, .utime = 999, .threads = 50, .rss_kb = 99999, .fds = 99},
           with_children_files);
}

TEST(ProcessTreeTest, FindsDescendantsThroughChildrenFiles) {
  FakeProc fake;
  AddFamily(fake, /*with_children_files=*/true);
  EXPECT_THAT(*FindProcessTree(ProcFs(fake.root()), 10), ElementsAre(10, 11, 12, 13));
  EXPECT_THAT(*FindProcessTree(ProcFs(fake.root()), 11), ElementsAre(11, 13));
  EXPECT_THAT(*FindProcessTree(ProcFs(fake.root()), 13), ElementsAre(13));
}

TEST(ProcessTreeTest, FallsBackToScanningPpidWithoutChildrenFiles) {
  FakeProc fake;
  AddFamily(fake, /*with_children_files=*/false);
  EXPECT_THAT(*FindProcessTree(ProcFs(fake.root()), 10), ElementsAre(10, 11, 12, 13));
}

TEST(ProcessTreeTest, ChildListedButAlreadyGoneIsSkipped) {
  FakeProc fake;
  AddFamily(fake, true);
  fake.Write(fake.root() + "/12/task/12/children", "77 ");  // 77 has no directory: exited
  EXPECT_THAT(*FindProcessTree(ProcFs(fake.root()), 10), ElementsAre(10, 11, 12, 13));
  absl::StatusOr<TreeUsage> u = MeasureProcessTree(ProcFs(fake.root()), 10, 100);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_THAT(u->pids, ElementsAre(10, 11, 12, 13));
}

TEST(ProcessTreeTest, SumsOverTheTreeOnly) {
  for (bool children_files : {true, false}) {
    FakeProc fake;
    AddFamily(fake, children_files);
    absl::StatusOr<TreeUsage> u = MeasureProcessTree(ProcFs(fake.root()), 10, 100);
    ASSERT_TRUE(u.ok()) << u.status();
    EXPECT_DOUBLE_EQ(u->cpu_seconds, 4.0);  // (150 + 200 + 25 + 25) ticks / 100
    EXPECT_DOUBLE_EQ(u->reaped_cpu_seconds, 0.5);
    EXPECT_DOUBLE_EQ(u->total_cpu_seconds(), 4.5);
    EXPECT_EQ(u->rss_bytes, 5000u * 1024);
    EXPECT_EQ(u->threads, 12u);
    EXPECT_EQ(u->open_fds, 23u);
    EXPECT_EQ(u->fd_dirs_unreadable, 0u);
  }
}

TEST(ProcessTreeTest, MissingRootIsNotFound) {
  FakeProc fake;
  AddFamily(fake, true);
  EXPECT_TRUE(absl::IsNotFound(FindProcessTree(ProcFs(fake.root()), 555).status()));
  EXPECT_TRUE(absl::IsNotFound(MeasureProcessTree(ProcFs(fake.root()), 555).status()));
}

// --- Real processes -------------------------------------------------------------------------

// Reads one byte from `fd` within 20 s.
bool ReadByte(int fd) {
  pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
  char byte;
  return poll(&p, 1, 20'000) == 1 && read(fd, &byte, 1) == 1;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// root R forks S, S forks T; T burns 0.3 s of CPU. Each reports readiness on `ready`.
TEST(ProcessTreeTest, RealTreeOfThreeProcesses) {
  int ready[2], release_t[2], release_s[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(release_t, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(release_s, O_CLOEXEC), 0);
  const pid_t r = fork();
  ASSERT_GE(r, 0);
  if (r == 0) {
    close(release_t[1]);
    close(release_s[1]);
    close(ready[0]);
    const pid_t s = fork();
    if (s == 0) {
      const pid_t t = fork();
      if (t == 0) {
        volatile uint64_t spin = 0;
        while (ThreadCpuSeconds() < 0.3) spin = spin + 1;
        (void)!write(ready[1], "t", 1);
        char byte;
        (void)!read(release_t[0], &byte, 1);
        _exit(0);
      }
      (void)!write(ready[1], "s", 1);
      waitpid(t, nullptr, 0);
      (void)!write(ready[1], "w", 1);  // T reaped: its CPU is in our cutime now
      char byte;
      (void)!read(release_s[0], &byte, 1);
      _exit(0);
    }
    (void)!write(ready[1], "r", 1);
    char byte;
    (void)!read(release_s[0], &byte, 1);
    waitpid(s, nullptr, 0);
    _exit(0);
  }
  close(ready[1]);
  close(release_t[0]);
  close(release_s[0]);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ReadByte(ready[0]));

  const ProcFs fs;
  absl::StatusOr<std::vector<pid_t>> tree = FindProcessTree(fs, r);
  ASSERT_TRUE(tree.ok()) << tree.status();
  ASSERT_EQ(tree->size(), 3u);
  EXPECT_EQ((*tree)[0], r);
  const pid_t s = (*tree)[1];
  const pid_t t = (*tree)[2];
  EXPECT_EQ(fs.ReadStat(s)->ppid, r);
  EXPECT_EQ(fs.ReadStat(t)->ppid, s);

  absl::StatusOr<TreeUsage> u = MeasureProcessTree(fs, r);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_THAT(u->pids, ElementsAre(r, s, t));
  EXPECT_EQ(u->threads, 3u);
  EXPECT_GE(u->cpu_seconds, 0.25);  // T's spin, at tick resolution
  EXPECT_LT(u->cpu_seconds, 30.0);
  uint64_t rss = 0;
  uint64_t fds = 0;
  for (pid_t pid : *tree) {
    rss += fs.ReadStatus(pid)->vm_rss_bytes.value_or(0);
    fds += *fs.CountOpenFds(pid);
  }
  EXPECT_GT(u->rss_bytes, 3u * 100 * 1024);
  EXPECT_NEAR(static_cast<double>(u->rss_bytes), static_cast<double>(rss), 1024.0 * 1024);
  EXPECT_EQ(u->open_fds, fds);
  EXPECT_GE(u->open_fds, 3u * 3);
  const double before_total = u->total_cpu_seconds();

  // T exits and S reaps it: the tree shrinks, T's CPU moves into S's cutime.
  close(release_t[1]);
  ASSERT_TRUE(ReadByte(ready[0]));
  u = MeasureProcessTree(fs, r);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_THAT(u->pids, UnorderedElementsAre(r, s));
  EXPECT_LT(u->cpu_seconds, 0.25);
  EXPECT_GE(u->reaped_cpu_seconds, 0.25);
  EXPECT_GE(u->total_cpu_seconds(), before_total);

  close(release_s[1]);
  int status = 0;
  ASSERT_EQ(waitpid(r, &status, 0), r);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(ready[0]);
  EXPECT_TRUE(absl::IsNotFound(MeasureProcessTree(fs, r).status()));
}

}  // namespace
}  // namespace corral::procfs
