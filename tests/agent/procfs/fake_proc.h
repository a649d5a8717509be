#pragma once

#include <sys/types.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace corral::procfs {

// A directory laid out like /proc with hand-made processes, removed at scope exit.
class FakeProc {
 public:
  FakeProc() {
    std::string templ = "/tmp/corral-fake-proc.XXXXXX";
    EXPECT_NE(mkdtemp(templ.data()), nullptr);
    root_ = templ;
  }
  ~FakeProc() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  FakeProc(const FakeProc&) = delete;
  FakeProc& operator=(const FakeProc&) = delete;

  struct Process {
    pid_t pid;
    pid_t ppid;
    uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;
    uint64_t start_time = 1000;
    uint32_t threads = 1;
    uint64_t rss_kb = 100;
    uint32_t fds = 3;
    std::vector<pid_t> children = {};  // written to task/PID/children when with_children_files
  };

  void Add(const Process& p, bool with_children_files = true) {
    const std::string dir = absl::StrCat(root_, "/", p.pid);
    std::filesystem::create_directories(absl::StrCat(dir, "/task/", p.pid));
    std::filesystem::create_directories(dir + "/fd");
    Write(dir + "/stat",
          absl::StrCat(p.pid, " (fake ", p.pid, ") S ", p.ppid, " 1 1 0 -1 4194304 0 0 0 0 ",
                       p.utime, " ", p.stime, " ", p.cutime, " ", p.cstime, " 20 0 ", p.threads,
                       " 0 ", p.start_time, " 1000000 ", p.rss_kb / 4, " 0 0 0\n"));
    Write(dir + "/status", absl::StrCat("Name:\tfake ", p.pid, "\nPPid:\t", p.ppid, "\nVmRSS:\t",
                                        p.rss_kb, " kB\nThreads:\t", p.threads, "\n"));
    for (uint32_t i = 0; i < p.fds; ++i) Write(absl::StrCat(dir, "/fd/", i), "");
    if (with_children_files) {
      Write(absl::StrCat(dir, "/task/", p.pid, "/children"),
            p.children.empty() ? "" : absl::StrCat(absl::StrJoin(p.children, " "), " "));
    }
  }

  void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace corral::procfs
