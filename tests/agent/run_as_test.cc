// AuthorizeRunAs and ResolveRunAs: who may run a server as whom. Uses the user and group
// databases of a Debian system: root (0:0) and nobody (65534) in nogroup (65534).
#include "agent/run_as.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace corral::agent {
namespace {

constexpr uid_t kNobody = 65534;

v1::ServerSpec Spec(const std::string& user = "", const std::string& group = "") {
  v1::ServerSpec spec;
  spec.set_name("web");
  spec.set_user(user);
  spec.set_group(group);
  return spec;
}

Caller GroupCaller(uid_t uid = kNobody, gid_t gid = kNobody) {
  return Caller{.pid = 42, .uid = uid, .gid = gid, .role = Role::kOperator, .why = "group ops"};
}

const RunAsPolicy kRootAgent{.agent_uid = 0, .agent_gid = 0, .allow_root_servers = true};

TEST(RunAsTest, AGroupCallerWithoutAUserRunsServersAsItself) {
  absl::StatusOr<v1::ServerSpec> spec = AuthorizeRunAs(Spec(), GroupCaller(), false, kRootAgent);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->user(), "nobody");
  absl::StatusOr<std::optional<Credentials>> creds = ResolveRunAs(*spec, kRootAgent);
  ASSERT_TRUE(creds.ok()) << creds.status();
  ASSERT_TRUE(creds->has_value());
  EXPECT_EQ((*creds)->uid, kNobody);
  EXPECT_EQ((*creds)->gid, kNobody);
}

TEST(RunAsTest, AGroupCallerMayNotNameAnotherUserOrGroupWithoutUserSwitch) {
  for (const v1::ServerSpec& asked : {Spec("root"), Spec("0"), Spec("nobody", "root")}) {
    absl::StatusOr<v1::ServerSpec> spec = AuthorizeRunAs(asked, GroupCaller(), false, kRootAgent);
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kPermissionDenied) << asked.DebugString();
    EXPECT_TRUE(absl::StrContains(spec.status().message(), "--allow-user-switch")) << spec.status();
    EXPECT_TRUE(absl::StrContains(spec.status().message(), "uid 65534")) << spec.status();
  }
  RunAsPolicy switching = kRootAgent;
  switching.allow_user_switch = true;
  EXPECT_TRUE(AuthorizeRunAs(Spec("root"), GroupCaller(), false, switching).ok());
  EXPECT_TRUE(AuthorizeRunAs(Spec("nobody", "root"), GroupCaller(), false, switching).ok());
}

TEST(RunAsTest, ARootAgentRunsAServerWithoutAUserAsRootOnlyWithTheFlag) {
  RunAsPolicy strict = kRootAgent;
  strict.allow_root_servers = false;
  Caller root{.uid = 0, .gid = 0, .role = Role::kOperator, .why = "root"};
  absl::StatusOr<v1::ServerSpec> spec = AuthorizeRunAs(Spec(), root, true, strict);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(spec.status().message(), "--allow-root-servers")) << spec.status();
  // A saved spec is refused at its spawn as well, once the flag is gone.
  EXPECT_TRUE(
      absl::StrContains(ResolveRunAs(Spec(), strict).status().message(), "--allow-root-servers"));
  // Naming a user is the other way out; root itself, named, is a decision too.
  EXPECT_TRUE(AuthorizeRunAs(Spec("nobody"), root, true, strict).ok());
  EXPECT_TRUE(AuthorizeRunAs(Spec("root"), root, true, strict).ok());
  // With the flag the server keeps the agent's credentials: nothing to change.
  absl::StatusOr<std::optional<Credentials>> creds = ResolveRunAs(Spec(), kRootAgent);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_FALSE(creds->has_value());
}

TEST(RunAsTest, ANonRootAgentRunsServersOnlyAsItself) {
  const RunAsPolicy user_agent{.agent_uid = kNobody, .agent_gid = kNobody};
  Caller self{.uid = kNobody, .gid = kNobody, .role = Role::kOperator, .why = "the agent's user"};
  EXPECT_TRUE(AuthorizeRunAs(Spec(), self, true, user_agent).ok());
  absl::StatusOr<v1::ServerSpec> own = AuthorizeRunAs(Spec("nobody"), self, true, user_agent);
  ASSERT_TRUE(own.ok()) << own.status();
  // Its own user, named, needs no change of credentials (which it could not make).
  absl::StatusOr<std::optional<Credentials>> creds = ResolveRunAs(*own, user_agent);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_FALSE(creds->has_value());
  absl::StatusOr<v1::ServerSpec> root = AuthorizeRunAs(Spec("root"), self, true, user_agent);
  EXPECT_EQ(root.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(root.status().message(), "not root")) << root.status();
}

TEST(RunAsTest, UnknownNamesAreInvalidArgumentsNamingThem) {
  Caller root{.uid = 0, .gid = 0, .role = Role::kOperator, .why = "root"};
  absl::StatusOr<v1::ServerSpec> user =
      AuthorizeRunAs(Spec("no-such-user-x"), root, true, kRootAgent);
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(user.status().message(), "\"no-such-user-x\"")) << user.status();
  absl::StatusOr<v1::ServerSpec> group =
      AuthorizeRunAs(Spec("nobody", "no-such-group-x"), root, true, kRootAgent);
  EXPECT_EQ(group.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(group.status().message(), "\"no-such-group-x\"")) << group.status();
  // A uid without an entry has no primary group to default to.
  absl::StatusOr<v1::ServerSpec> bare = AuthorizeRunAs(Spec("54321"), root, true, kRootAgent);
  EXPECT_EQ(bare.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(AuthorizeRunAs(Spec("54321", "54321"), root, true, kRootAgent).ok());
}

}  // namespace
}  // namespace corral::agent
