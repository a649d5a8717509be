// Config files through the real binaries (issue 23 items 1-2): corralctl apply (plan, dependency
// order, no changes the second time, --prune, --dry-run), export that applies back to no
// changes, errors that change nothing, and corral-agent --config.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/integration/agent_fixture.h"

namespace corral::testing {
namespace {

// c depends on b, which depends on a; written dependents first, so that file order alone
// would start them wrongly.
constexpr const char* kChain = R"(servers:
  - name: c
    protocol: udp-echo
    model: thread
    listen: 127.0.0.1:0
    depends_on: [b]
  - name: b
    protocol: tcp-echo
    model: fork
    listen: 127.0.0.1:0
    depends_on: [a]
  - name: a
    protocol: tcp-echo
    model: thread
    listen: 127.0.0.1:0
    max_failures: 7
)";

class ConfigTest : public AgentTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = home_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  CommandResult Apply(const std::string& path, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"apply", "-f", path};
    args.insert(args.end(), extra.begin(), extra.end());
    return Ctl(args);
  }
  // The names of the agent's servers with their pids, "a:123 b:456".
  std::string Listing() {
    v1::ListResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(stub().List(&context, v1::ListRequest(), &response).ok());
    std::string out;
    for (const v1::Server& server : response.servers()) {
      out += server.spec().name() + ":" + std::to_string(server.pid()) + " ";
    }
    return out;
  }
};

// Lines of `events -n` whose text holds `what`, in order: "a READY" before "b STARTED".
size_t LineOf(const std::string& events, const std::string& server, const std::string& kind) {
  std::vector<std::string> lines = absl::StrSplit(events, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    if (absl::StrContains(lines[i], "  " + server + "  " + kind)) return i;
  }
  return std::string::npos;
}

TEST_F(ConfigTest, AppliesInDependencyOrderAndASecondApplyChangesNothing) {
  const std::string path = Write("chain.yaml", kChain);
  CommandResult first = Apply(path);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_TRUE(absl::StrContains(first.out, "create a\ncreate b\ncreate c\n")) << first.out;
  EXPECT_TRUE(absl::StrContains(first.out, "plan: 3 to create")) << first.out;

  CommandResult events = Ctl({"events", "-n", "1000", "--no-follow"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  const size_t a_ready = LineOf(events.out, "a", "READY");
  const size_t b_started = LineOf(events.out, "b", "STARTED");
  const size_t b_ready = LineOf(events.out, "b", "READY");
  const size_t c_started = LineOf(events.out, "c", "STARTED");
  ASSERT_NE(c_started, std::string::npos) << events.out;
  EXPECT_LT(a_ready, b_started) << events.out;
  EXPECT_LT(b_ready, c_started) << events.out;

  const std::string before = Listing();
  CommandResult again = Apply(path);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "no changes (3 servers)\n");
  EXPECT_EQ(Listing(), before);
}

TEST_F(ConfigTest, StopAllStopsDependentsFirst) {
  ASSERT_EQ(Apply(Write("chain.yaml", kChain)).exit_code, 0);
  CommandResult stopped = Ctl({"stop", "--all"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  CommandResult events = Ctl({"events", "-n", "1000", "--no-follow"});
  const size_t c = LineOf(events.out, "c", "STOPPED");
  const size_t b = LineOf(events.out, "b", "STOPPED");
  const size_t a = LineOf(events.out, "a", "STOPPED");
  ASSERT_NE(a, std::string::npos) << events.out;
  EXPECT_LT(c, b) << events.out;
  EXPECT_LT(b, a) << events.out;
}

TEST_F(ConfigTest, ChangedFieldsArePlannedAsUpdateOrReload) {
  const std::string path = Write("chain.yaml", kChain);
  ASSERT_EQ(Apply(path).exit_code, 0);
  std::string changed = kChain;
  changed.replace(changed.find("max_failures: 7"), 15, "max_failures: 8");
  changed.replace(changed.find("model: fork"), 11, "model: thread");
  const std::string edited = Write("edited.yaml", changed);

  const std::string before = Listing();
  CommandResult dry = Apply(edited, {"--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(absl::StrContains(dry.out, "update in place a\n    max_failures: 7 -> 8 (at once)\n"))
      << dry.out;
  EXPECT_TRUE(absl::StrContains(
      dry.out, "reload b\n    model: \"MODEL_FORK\" -> \"MODEL_THREAD\" (new processes)\n"))
      << dry.out;
  EXPECT_EQ(Listing(), before);  // a dry run changes nothing

  absl::StatusOr<v1::Server> a_before = Get("a");
  absl::StatusOr<v1::Server> b_before = Get("b");
  ASSERT_TRUE(a_before.ok() && b_before.ok());
  CommandResult applied = Apply(edited);
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(absl::StrContains(applied.out, "updated a in place\n")) << applied.out;
  EXPECT_TRUE(absl::StrContains(applied.out, "reloaded b (ready on ")) << applied.out;
  absl::StatusOr<v1::Server> a = Get("a");
  absl::StatusOr<v1::Server> b = Get("b");
  ASSERT_TRUE(a.ok() && b.ok());
  // UpdateServer: a's change needs no new process, b's was a reload on the same socket.
  EXPECT_EQ(a->pid(), a_before->pid());
  EXPECT_NE(b->pid(), b_before->pid());
  EXPECT_EQ(b->bound_address(), b_before->bound_address());
  EXPECT_EQ(a->spec().max_failures(), 8u);
  EXPECT_EQ(b->spec().model(), v1::MODEL_THREAD);
  EXPECT_EQ(b->state(), v1::STATE_RUNNING);
  EXPECT_EQ(Apply(edited).out, "no changes (3 servers)\n");
}

TEST_F(ConfigTest, PruneRemovesOnlyWithTheFlagAndDependentsFirst) {
  ASSERT_TRUE(StartEcho("extra", "127.0.0.1:0", nullptr).ok());
  ASSERT_TRUE(StartEcho("extra-user", "127.0.0.1:0", nullptr, [](v1::ServerSpec& spec) {
                spec.add_depends_on("extra");
              }).ok());
  const std::string path = Write("chain.yaml", kChain);
  CommandResult kept = Apply(path);
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_FALSE(absl::StrContains(kept.out, "remove extra")) << kept.out;
  EXPECT_TRUE(Get("extra").ok());

  CommandResult dry = Apply(path, {"--prune", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "remove extra-user\nremove extra\n"
            "plan: 0 to create, 0 to update in place, 0 to reload, 2 to remove, 3 unchanged\n");
  EXPECT_TRUE(Get("extra").ok());

  CommandResult pruned = Apply(path, {"--prune"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(Get("extra").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Get("extra-user").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Apply(path, {"--prune"}).out, "no changes (3 servers)\n");
}

TEST_F(ConfigTest, ExportAppliesBackToNoChanges) {
  ASSERT_EQ(Apply(Write("chain.yaml", kChain)).exit_code, 0);
  // Servers made without a file, with settings a file would not write the same way.
  std::filesystem::create_directories(home_ + "/www");
  ASSERT_EQ(Ctl({"start", "web", "-p", "http", "-m", "coroutine", "--root", home_ + "/www", "-l",
                 "127.0.0.1:0", "--no-access-log", "--restart", "on-failure", "--health", "tcp"})
                .exit_code,
            0);
  ASSERT_EQ(Ctl({"start", "cmd", "--listen", "127.0.0.1:0", "--ready", "delay:10", "--env", "A=b c",
                 "--", "/bin/sleep", "1000"})
                .exit_code,
            0);
  CommandResult exported = Ctl({"export"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string path = Write("exported.yaml", exported.out);
  const std::string before = Listing();
  CommandResult applied = Apply(path, {"--prune"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(applied.out, "no changes (5 servers)\n") << exported.out;
  EXPECT_EQ(Listing(), before);
}

TEST_F(ConfigTest, ACycleOrABadFieldIsRefusedWithNothingChanged) {
  ASSERT_TRUE(StartEcho("keep", "127.0.0.1:0", nullptr).ok());
  const std::string before = Listing();
  const std::string cycle = Write("cycle.yaml", R"(servers:
  - {name: x, depends_on: [y], protocol: tcp-echo, model: thread, listen: "127.0.0.1:0"}
  - {name: y, depends_on: [x], protocol: tcp-echo, model: thread, listen: "127.0.0.1:0"}
)");
  CommandResult refused = Apply(cycle, {"--prune"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err, "corralctl: apply: " + cycle +
                             ":2:15: servers[0].depends_on: depends_on cycle: x -> y -> x\n");
  const std::string bad = Write("bad.yaml", R"(servers:
  - {name: x, protocol: tcp-echo, model: thread, listen: "127.0.0.1:0"}
  - name: y
    protocol: tcp-echo
    model: thread
    listen: 127.0.0.1:0
    hubs: 2
)");
  CommandResult bad_field = Apply(bad, {"--prune"});
  EXPECT_EQ(bad_field.exit_code, 2);
  EXPECT_TRUE(absl::StartsWith(
      bad_field.err, "corralctl: apply: " + bad + ":7:5: servers[1].hubs: hubs applies to"))
      << bad_field.err;
  EXPECT_EQ(bad_field.out, "");
  EXPECT_EQ(Listing(), before);
}

TEST_F(ConfigTest, AServerThatIsNotReadyStopsTheApplyBeforeItsDependents) {
  const std::string path = Write("fails.yaml", R"(servers:
  - {name: web, protocol: tcp-echo, model: thread, listen: "127.0.0.1:0", depends_on: [broken]}
  - {name: broken, command: [/bin/false], ready: "delay:2000", restart_policy: never}
)");
  CommandResult applied = Apply(path);
  EXPECT_EQ(applied.exit_code, 1) << applied.out;
  EXPECT_TRUE(absl::StrContains(applied.err, "start \"broken\": it is ")) << applied.err;
  EXPECT_EQ(Get("web").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ConfigTest, TheAgentAppliesAConfigAtStartAndRefusesABadOne) {
  agent_.reset();  // the fixture's agent, without a file
  const std::string path = Write("chain.yaml", kChain);
  StartAgent({"--stop-servers-on-exit", "--config", path});
  for (const char* name : {"a", "b", "c"}) {
    v1::Server server =
        WaitUntil(name, [](const v1::Server& s) { return s.state() == v1::STATE_RUNNING; });
    EXPECT_EQ(server.state(), v1::STATE_RUNNING) << name;
  }
  EXPECT_EQ(Apply(path).out, "no changes (3 servers)\n");
  stub_.reset();
  agent_.reset();

  const std::string bad =
      Write("bad.yaml", "servers:\n  - {name: x, listen: nowhere, protocol: http, model: fork}\n");
  std::vector<std::string> argv = {BinaryPath("corral-agent"), "--home", home_, "--config", bad};
  if (::geteuid() == 0) argv.push_back("--allow-root-servers");
  CommandResult refused = RunCommand(argv);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(refused.err, bad + ":2:15: servers[0].listen: ")) << refused.err;
}

// Issue 23 item 8's figure: a file of 100 echo servers (tcp and udp, port 0) applied to an
// empty agent. Printed, not asserted (the target, under 5 s, is for an idle machine).
TEST_F(ConfigTest, AppliesAHundredServers) {
  std::string text = "servers:\n";
  for (int i = 0; i < 100; ++i) {
    text += "  - {name: s" + std::to_string(i) +
            ", protocol: " + (i % 2 == 0 ? "tcp-echo" : "udp-echo") +
            ", model: thread, listen: \"127.0.0.1:0\"}\n";
  }
  const std::string path = Write("hundred.yaml", text);
  const auto start = std::chrono::steady_clock::now();
  CommandResult applied = Apply(path);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_TRUE(absl::StrContains(applied.out, "plan: 100 to create")) << applied.out;
  std::cout << "apply of 100 servers: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  RecordProperty(
      "apply_100_ms",
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_EQ(Apply(path).out, "no changes (100 servers)\n");
}

}  // namespace
}  // namespace corral::testing
