// corralctl update / UpdateServer (issue 22 item 4): fields the agent alone reads change at once
// (same process), the others through a reload (new processes, no gap), --dry-run changes
// nothing, and the new spec is in state.pb.
#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/match.h"
#include "tests/integration/agent_fixture.h"

namespace corral::testing {
namespace {

class UpdateTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    CommandResult started =
        Ctl({"start", "web", "-p", "tcp-echo", "-m", "thread", "-l", "127.0.0.1:0"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
    absl::StatusOr<v1::Server> web = Get("web");
    ASSERT_TRUE(web.ok());
    before_ = *web;
  }
  v1::ServerSpec SavedSpec() {
    v1::StateFile state;
    std::ifstream in(home_ + "/state.pb", std::ios::binary);
    EXPECT_TRUE(state.ParseFromIstream(&in));
    for (const v1::ServerRecord& record : state.servers()) {
      if (record.spec().name() == "web") return record.spec();
    }
    return {};
  }
  v1::Server before_;
};

TEST_F(UpdateTest, AgentFieldsChangeAtOnceInTheSameProcess) {
  CommandResult updated = Ctl({"update", "web", "--max-failures", "9", "--restart", "never"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_EQ(updated.out,
            "restart_policy: \"RESTART_ALWAYS\" -> \"RESTART_NEVER\" (at once)\n"
            "max_failures: 5 -> 9 (at once)\n"
            "updated in place \"web\": RUNNING\n");
  absl::StatusOr<v1::Server> web = Get("web");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->pid(), before_.pid());
  EXPECT_EQ(web->spec().max_failures(), 9u);
  EXPECT_EQ(web->spec().restart_policy(), v1::RESTART_NEVER);
  EXPECT_EQ(SavedSpec().max_failures(), 9u);
}

TEST_F(UpdateTest, ServingFieldsChangeThroughAReload) {
  CommandResult updated = Ctl({"update", "web", "--max-workers", "10"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_EQ(updated.out,
            "max_workers: 1024 -> 10 (new processes)\nreloaded \"web\": RUNNING\n");
  absl::StatusOr<v1::Server> web = Get("web");
  ASSERT_TRUE(web.ok());
  EXPECT_NE(web->pid(), before_.pid());
  EXPECT_EQ(web->state(), v1::STATE_RUNNING);
  EXPECT_EQ(web->spec().max_workers(), 10u);
  EXPECT_EQ(web->bound_address(), before_.bound_address());  // the same socket
  EXPECT_EQ(EchoOnce(web->bound_address(), "hi"), "hi");
  EXPECT_EQ(SavedSpec().max_workers(), 10u);
}

TEST_F(UpdateTest, DryRunChangesNothing) {
  CommandResult dry =
      Ctl({"update", "web", "--max-workers", "10", "--max-failures", "9", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(absl::StrContains(dry.out, "max_workers: 1024 -> 10 (new processes)\n")) << dry.out;
  EXPECT_TRUE(absl::StrContains(dry.out, "would reload \"web\" (dry run: nothing changed)\n"))
      << dry.out;
  absl::StatusOr<v1::Server> web = Get("web");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->pid(), before_.pid());
  EXPECT_EQ(web->spec().SerializeAsString(), before_.spec().SerializeAsString());
  EXPECT_EQ(SavedSpec().max_workers(), 1024u);
}

TEST_F(UpdateTest, ABadValueOrNoFlagIsRefused) {
  CommandResult bad = Ctl({"update", "web", "--hubs", "2"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_TRUE(absl::StrContains(bad.err, "hubs applies to the coroutine model")) << bad.err;
  EXPECT_EQ(Ctl({"update", "web"}).exit_code, 2);
  EXPECT_EQ(Ctl({"update", "nope", "--max-failures", "3"}).exit_code, 3);
}

}  // namespace
}  // namespace corral::testing
