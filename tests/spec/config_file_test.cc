// Config files: keys read through the proto, errors at FILE:LINE:COLUMN with the field's path,
// cycles named, and the plan compared on effective specs.
#include "spec/config_file.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "spec/config_export.h"
#include "spec/config_plan.h"

namespace corral::spec {
namespace {

ConfigFile MustParse(const std::string& text) {
  absl::StatusOr<ConfigFile> file = ParseConfigFile(text, "f.yaml");
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? *std::move(file) : ConfigFile{};
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<ConfigFile> file = ParseConfigFile(text, "f.yaml");
  EXPECT_FALSE(file.ok());
  return file.ok() ? "" : std::string(file.status().message());
}

TEST(ConfigFileTest, ReadsEveryKindOfFieldThroughTheProto) {
  ConfigFile file = MustParse(R"(servers:
  - name: web
    protocol: tcp-echo
    model: fork
    listen: 127.0.0.1:0
    pool_size: 4
    restartPolicy: on-failure
    log_max_bytes: "1048576"
    depends_on: [db]
  - name: db
    command: [/bin/sleep, "1000"]
    env: [A=1]
    sockets:
      - {name: admin, address: "127.0.0.1:0", udp: true}
)");
  ASSERT_EQ(file.servers.size(), 2u);
  const v1::ServerSpec& web = file.servers[0].spec;
  EXPECT_EQ(web.protocol(), v1::PROTOCOL_TCP_ECHO);
  EXPECT_EQ(web.model(), v1::MODEL_FORK);
  EXPECT_EQ(web.pool_size(), 4u);
  EXPECT_EQ(web.restart_policy(), v1::RESTART_ON_FAILURE);
  EXPECT_EQ(web.log_max_bytes(), 1048576u);
  ASSERT_EQ(web.depends_on_size(), 1);
  EXPECT_EQ(web.depends_on(0), "db");
  EXPECT_EQ(web.max_workers(), 1024u);  // validated: defaults filled in
  const v1::ServerSpec& db = file.servers[1].spec;
  ASSERT_EQ(db.sockets_size(), 1);
  EXPECT_TRUE(db.sockets(0).udp());
  EXPECT_EQ(file.servers[1].fields.at("env").line, 12);
}

TEST(ConfigFileTest, AValidationErrorPointsAtTheFieldThatCausedIt) {
  const std::string error = ErrorOf(R"(servers:
  - name: a
    protocol: tcp-echo
    model: thread
    listen: 127.0.0.1:0
  - name: c
    protocol: tcp-echo
    model: coroutine
    listen: 127.0.0.1:0
    pool_size: 4
)");
  EXPECT_TRUE(absl::StartsWith(error, "f.yaml:10:5: servers[1].pool_size: pool_size applies to"))
      << error;
}

TEST(ConfigFileTest, ABadListenIsReportedAtItsLine) {
  const std::string error =
      ErrorOf("servers:\n  - name: a\n    listen: nowhere\n    protocol: http\n    model: fork\n");
  EXPECT_TRUE(absl::StartsWith(error, "f.yaml:3:5: servers[0].listen: ")) << error;
}

TEST(ConfigFileTest, ATypeErrorIsReportedAtTheValue) {
  const std::string error =
      ErrorOf("servers:\n  - name: a\n    listen: 127.0.0.1:0\n    pool_size: lots\n");
  EXPECT_EQ(error, "f.yaml:4:16: servers[0].pool_size: \"lots\" is not a whole number of 0 or more")
      << error;
  const std::string range =
      ErrorOf("servers:\n  - name: a\n    listen: 127.0.0.1:0\n    pool_size: 99999999999\n");
  EXPECT_TRUE(absl::StartsWith(range, "f.yaml:4:16: servers[0].pool_size: ")) << range;
}

TEST(ConfigFileTest, UnknownFieldsAndKeysAreRefused) {
  EXPECT_TRUE(absl::StartsWith(ErrorOf("servers:\n  - name: a\n    lisen: 127.0.0.1:0\n"),
                               "f.yaml:3:5: servers[0].lisen: unknown field"));
  EXPECT_TRUE(absl::StartsWith(ErrorOf("server:\n  - name: a\n"), "f.yaml:1:1: server: unknown"));
  EXPECT_TRUE(absl::StartsWith(
      ErrorOf("servers:\n  - name: a\n    protocol: echo\n    listen: 127.0.0.1:0\n"),
      "f.yaml:3:15: servers[0].protocol: \"echo\" is not one of"));
}

TEST(ConfigFileTest, ADuplicateNameAndACycleAreRefused) {
  EXPECT_EQ(
      ErrorOf("servers:\n  - {name: a, protocol: udp-echo, model: fork, listen: \"127.0.0.1:0\"}\n"
              "  - {name: a, protocol: udp-echo, model: fork, listen: \"127.0.0.1:0\"}\n"),
      "f.yaml:3:6: servers[1].name: \"a\" is also servers[0]'s name");
  const std::string cycle = ErrorOf(R"(servers:
  - {name: a, depends_on: [b], protocol: tcp-echo, model: thread, listen: "127.0.0.1:0"}
  - {name: b, depends_on: [c], protocol: tcp-echo, model: thread, listen: "127.0.0.1:0"}
  - {name: c, depends_on: [a], protocol: tcp-echo, model: thread, listen: "127.0.0.1:0"}
)");
  EXPECT_EQ(cycle, "f.yaml:2:15: servers[0].depends_on: depends_on cycle: a -> b -> c -> a");
  EXPECT_TRUE(absl::StrContains(ErrorOf("servers:\n  - {name: a, depends_on: [a]}\n"),
                                "servers[0].depends_on: depends_on names the server itself"));
}

TEST(ConfigFileTest, YamlSyntaxErrorsHaveTheirPosition) {
  EXPECT_TRUE(absl::StartsWith(ErrorOf("servers:\n  - name: [a\n"), "f.yaml:")) << ErrorOf("x: [");
}

TEST(ConfigPlanTest, OmittedDefaultsAreNoChangeAndChangesAreClassified) {
  ConfigFile file = MustParse(R"(servers:
  - {name: a, depends_on: [b], protocol: tcp-echo, model: thread, listen: "127.0.0.1:0"}
  - {name: b, protocol: tcp-echo, model: thread, listen: "127.0.0.1:0"}
)");
  std::vector<v1::ServerSpec> desired = {file.servers[0].spec, file.servers[1].spec};
  absl::StatusOr<Plan> fresh = MakePlan(desired, {}, false);
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->changes.size(), 2u);
  EXPECT_EQ(fresh->changes[0].spec.name(), "b");  // dependencies first
  EXPECT_EQ(fresh->changes[0].kind, ChangeKind::kCreate);

  absl::StatusOr<Plan> same = MakePlan(desired, desired, false);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(FormatPlan(*same), "no changes (2 servers)\n");

  std::vector<v1::ServerSpec> live = desired;
  live[0].set_max_failures(9);  // at once
  live[1].set_max_failures(9);
  live[1].set_pool_size(3);  // new processes
  live.push_back(desired[1]);
  live.back().set_name("old");
  absl::StatusOr<Plan> plan = MakePlan(desired, live, true);
  ASSERT_TRUE(plan.ok());
  const std::string text = FormatPlan(*plan);
  EXPECT_EQ(text,
            "reload b\n"
            "    pool_size: 3 -> (unset) (new processes)\n"
            "    max_failures: 9 -> 5 (at once)\n"
            "update in place a\n"
            "    max_failures: 9 -> 5 (at once)\n"
            "remove old\n"
            "plan: 0 to create, 1 to update in place, 1 to reload, 1 to remove, 0 unchanged\n");
}

TEST(ConfigPlanTest, ADependencyOutsideTheFileMustBeOnTheAgent) {
  ConfigFile file = MustParse(
      "servers:\n  - {name: a, protocol: http, model: fork, root: /, listen: \"127.0.0.1:0\", "
      "depends_on: [z]}\n");
  absl::StatusOr<Plan> plan = MakePlan({file.servers[0].spec}, {}, false);
  EXPECT_FALSE(plan.ok());
  EXPECT_TRUE(absl::StrContains(plan.status().message(), "neither in the file nor on the agent"));
}

TEST(ConfigExportTest, AnExportedFileReadsBackToTheSameSpecs) {
  ConfigFile file = MustParse(R"(servers:
  - {name: a, protocol: http, model: coroutine, root: /tmp, listen: "127.0.0.1:0", depends_on: [b],
     handler_args: {}, access_log: false}
  - {name: b, command: [/bin/sleep, "100"], env: ["X=a b"], umask: 18}
)");
  std::vector<v1::ServerSpec> specs = {file.servers[0].spec, file.servers[1].spec};
  ConfigFile again = MustParse(ExportConfig(specs));
  ASSERT_EQ(again.servers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(DiffSpecs(specs[i], again.servers[i].spec).empty())
        << ExportConfig(specs) << "\n"
        << FormatPlan(*MakePlan({again.servers[i].spec}, {specs[i]}, false));
  }
}

}  // namespace
}  // namespace corral::spec
