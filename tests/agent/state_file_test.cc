#include "agent/state_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"

namespace corral::agent {
namespace {

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-state-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = StateFilePath(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static v1::StateFile Sample(const std::string& name, int pid) {
    v1::StateFile state;
    v1::ServerRecord* record = state.add_servers();
    record->mutable_spec()->set_name(name);
    record->mutable_spec()->set_listen("127.0.0.1:0");
    record->set_desired(v1::STATE_RUNNING);
    record->set_pid(pid);
    record->set_pid_start_ticks(123456);
    record->set_bound_address("127.0.0.1:4242");
    record->set_restarts(3);
    return state;
  }

  std::string dir_, path_;
};

TEST_F(StateFileTest, MissingFileIsAnEmptyState) {
  absl::StatusOr<v1::StateFile> state = LoadStateFile(path_);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->servers_size(), 0);
}

TEST_F(StateFileTest, SaveThenLoadRoundTrips) {
  ASSERT_TRUE(SaveStateFile(path_, Sample("web", 42)).ok());
  absl::StatusOr<v1::StateFile> state = LoadStateFile(path_);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->servers_size(), 1);
  EXPECT_EQ(state->servers(0).spec().name(), "web");
  EXPECT_EQ(state->servers(0).pid(), 42);
  EXPECT_EQ(state->servers(0).pid_start_ticks(), 123456u);
  EXPECT_EQ(state->servers(0).bound_address(), "127.0.0.1:4242");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(StateFileTest, FailedWriteNamesTheFileAndKeepsTheOldState) {
  ASSERT_TRUE(SaveStateFile(path_, Sample("old", 1)).ok());
  // A directory where the temp file goes: open() fails even for root.
  ASSERT_EQ(mkdir((path_ + ".tmp").c_str(), 0700), 0);
  absl::Status status = SaveStateFile(path_, Sample("new", 2));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "save state " + path_ + ": open " + path_ + ".tmp: is a directory");
  absl::StatusOr<v1::StateFile> state = LoadStateFile(path_);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->servers(0).spec().name(), "old");
}

TEST_F(StateFileTest, GarbageIsRefusedWithTheFileName) {
  std::ofstream(path_) << "this is not a protobuf \xff\xff\xff";
  absl::StatusOr<v1::StateFile> state = LoadStateFile(path_);
  ASSERT_FALSE(state.ok());
  EXPECT_TRUE(absl::StrContains(state.status().message(), path_)) << state.status();
}

}  // namespace
}  // namespace corral::agent
