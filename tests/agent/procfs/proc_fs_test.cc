#include "agent/procfs/proc_fs.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/procfs/fake_proc.h"

namespace corral::procfs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ProcFsTest, ReadsAFakeProcess) {
  FakeProc fake;
  fake.Add({.pid = 42,
            .ppid = 1,
            .utime = 7,
            .start_time = 5555,
            .threads = 4,
            .rss_kb = 2048,
            .fds = 5,
            .children = {43, 44}});
  // A second thread of 42 that forked 46.
  std::filesystem::create_directories(fake.root() + "/42/task/45");
  fake.Write(fake.root() + "/42/task/45/children", "46 ");
  const ProcFs fs(fake.root());

  absl::StatusOr<ProcStat> st = fs.ReadStat(42);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->comm, "fake 42");
  EXPECT_EQ(st->utime_ticks, 7u);
  absl::StatusOr<ProcStatus> status = fs.ReadStatus(42);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->threads, 4u);
  EXPECT_EQ(status->vm_rss_bytes, 2048u * 1024);
  EXPECT_EQ(*fs.StartTimeTicks(42), 5555u);
  EXPECT_EQ(*fs.CountOpenFds(42), 5u);
  EXPECT_THAT(*fs.ChildrenOf(42), ElementsAre(43, 44, 46));
}

TEST(ProcFsTest, ListPidsSkipsNonProcessEntries) {
  FakeProc fake;
  fake.Add({.pid = 9, .ppid = 1});
  fake.Add({.pid = 100, .ppid = 9});
  std::filesystem::create_directories(fake.root() + "/self");
  std::filesystem::create_directories(fake.root() + "/sys");
  fake.Write(fake.root() + "/uptime", "1.0 1.0\n");
  EXPECT_THAT(*ProcFs(fake.root()).ListPids(), ElementsAre(9, 100));
}

TEST(ProcFsTest, MissingProcessIsNotFoundAndNamesTheFile) {
  FakeProc fake;
  absl::Status s = ProcFs(fake.root()).ReadStat(99).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_EQ(s.message(), "read " + fake.root() + "/99/stat: No such file or directory");
  EXPECT_TRUE(absl::IsNotFound(ProcFs(fake.root()).ChildrenOf(99).status()));
  EXPECT_TRUE(absl::IsNotFound(ProcFs(fake.root()).CountOpenFds(99).status()));
}

TEST(ProcFsTest, KernelWithoutChildrenFilesIsUnimplemented) {
  FakeProc fake;
  fake.Add({.pid = 42, .ppid = 1}, /*with_children_files=*/false);
  absl::Status s = ProcFs(fake.root()).ChildrenOf(42).status();
  EXPECT_TRUE(absl::IsUnimplemented(s)) << s;
}

TEST(ProcFsTest, CorruptStatNamesTheFile) {
  FakeProc fake;
  fake.Add({.pid = 42, .ppid = 1});
  fake.Write(fake.root() + "/42/stat", "garbage");
  absl::Status s = ProcFs(fake.root()).ReadStat(42).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr(fake.root() + "/42/stat: parse /proc/PID/stat"));
}

TEST(ProcFsTest, RealProcSelf) {
  const ProcFs fs;
  absl::StatusOr<ProcStat> st = fs.ReadStat(getpid());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->pid, getpid());
  EXPECT_EQ(st->ppid, getppid());
  EXPECT_EQ(st->state, 'R');  // it is running this very read
  absl::StatusOr<uint64_t> start = StartTimeTicks(getpid());
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, st->start_time_ticks);
  EXPECT_GT(*start, 0u);
  // Our parent started no later than we did.
  EXPECT_LE(*StartTimeTicks(getppid()), *start);
  absl::StatusOr<ProcStatus> status = fs.ReadStatus(getpid());
  ASSERT_TRUE(status.ok());
  EXPECT_GT(status->vm_rss_bytes.value_or(0), 0u);
  EXPECT_GE(*fs.CountOpenFds(getpid()), 3u);
  // A kernel thread: kthreadd is pid 2 whenever the pid namespace is the host's.
  absl::StatusOr<ProcStat> kthreadd = fs.ReadStat(2);
  if (kthreadd.ok() && kthreadd->comm == "kthreadd") {
    EXPECT_TRUE(kthreadd->is_kernel_thread());
  }
}

TEST(ProcFsTest, RealChildrenAndRecycledPidDetection) {
  const ProcFs fs;
  int hold[2];
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(hold[1]);
    char byte;
    (void)!read(hold[0], &byte, 1);
    _exit(0);
  }
  close(hold[0]);
  absl::StatusOr<std::vector<pid_t>> children = fs.ChildrenOf(getpid());
  ASSERT_TRUE(children.ok()) << children.status();
  EXPECT_THAT(*children, ::testing::Contains(child));
  absl::StatusOr<uint64_t> start = fs.StartTimeTicks(child);
  ASSERT_TRUE(start.ok());
  EXPECT_GE(*start, *fs.StartTimeTicks(getpid()));
  close(hold[1]);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  // Gone: the agent's (pid, start time) check fails with NotFound.
  EXPECT_TRUE(absl::IsNotFound(fs.StartTimeTicks(child).status()));
}

TEST(ProcFsTest, ChildForkedByASecondThreadIsFound) {
  // The kernel lists a child in the children file of the thread that forked it (while that thread
  // lives), not in the main thread's.
  int hold[2];
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  std::promise<pid_t> forked;
  std::promise<void> checked;
  std::thread forker([&] {
    const pid_t child = fork();
    if (child == 0) {
      close(hold[1]);
      char byte;
      (void)!read(hold[0], &byte, 1);
      _exit(0);
    }
    forked.set_value(child);
    checked.get_future().wait();  // stay alive, so the child stays listed under this thread
  });
  const pid_t child = forked.get_future().get();
  ASSERT_GT(child, 0);
  close(hold[0]);
  const ProcFs fs;
  const absl::StatusOr<std::string> main_thread_children =
      ReadSmallFile(absl::StrCat("/proc/", getpid(), "/task/", getpid(), "/children"));
  ASSERT_TRUE(main_thread_children.ok());
  EXPECT_THAT(*main_thread_children, ::testing::Not(HasSubstr(absl::StrCat(child))));
  absl::StatusOr<std::vector<pid_t>> children = fs.ChildrenOf(getpid());
  checked.set_value();
  forker.join();
  ASSERT_TRUE(children.ok()) << children.status();
  EXPECT_THAT(*children, ::testing::Contains(child));
  close(hold[1]);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
}

}  // namespace
}  // namespace corral::procfs
