#include "ctl/suggest.h"

#include <gtest/gtest.h>

namespace corral::ctl {
namespace {

TEST(SuggestTest, ClosestCommand) {
  const std::vector<std::string> commands = {"start", "stop", "restart", "rm",   "ls",
                                             "get",   "logs", "stats",   "watch"};
  EXPECT_EQ(Suggest("lss", commands), "ls");
  EXPECT_EQ(Suggest("stat", commands), "stats");  // begins it; "start" is as close
  EXPECT_EQ(Suggest("sotp", commands), "stop");   // two letters swapped: one edit
  EXPECT_EQ(Suggest("xyzzy", commands), "");
  EXPECT_EQ(Suggest("-v", {"-h", "--help", "-V", "--version"}), "-V");
  EXPECT_EQ(Suggest("--jsno", {"--json", "--agent"}), "--json");
}

TEST(SuggestTest, EditDistance) {
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("ab", "ba"), 1u);
}

}  // namespace
}  // namespace corral::ctl
