// The exec protocol's spec: its argv's flags, its validation, and where its program is found.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "spec/exec_program.h"
#include "spec/spec_flags.h"
#include "spec/spec_validation.h"

namespace corral::spec {
namespace {

class ExecSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-exec-spec-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string File(const std::string& name, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n";
    ::chmod(path.c_str(), mode);
    return path;
  }

  static v1::ServerSpec ExecSpec(std::vector<std::string> argv) {
    v1::ServerSpec spec;
    spec.set_name("inetd");
    spec.set_protocol(v1::PROTOCOL_EXEC);
    spec.set_model(v1::MODEL_FORK);
    spec.set_listen("127.0.0.1:0");
    for (const std::string& arg : argv) spec.add_exec_argv(arg);
    return spec;
  }

  std::string dir_;
};

TEST_F(ExecSpecTest, AbsoluteProgramIsKeptWithItsArguments) {
  std::string program = File("prog", 0755);
  absl::StatusOr<v1::ServerSpec> spec = ValidateSpec(ExecSpec({program, "-v", "x y"}));
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->exec_argv_size(), 3);
  EXPECT_EQ(spec->exec_argv(0), program);
  EXPECT_EQ(spec->exec_argv(1), "-v");
  EXPECT_EQ(spec->exec_argv(2), "x y");
  // Validating the stored spec again changes nothing.
  absl::StatusOr<v1::ServerSpec> again = ValidateSpec(*spec);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->exec_argv(0), program);
}

TEST_F(ExecSpecTest, MissingOrNotExecutableProgramIsRefusedInExecvesWords) {
  absl::StatusOr<v1::ServerSpec> missing = ValidateSpec(ExecSpec({dir_ + "/nothing"}));
  EXPECT_EQ(missing.status().message(), "exec " + dir_ + "/nothing: No such file or directory");
  std::string plain = File("plain", 0644);
  EXPECT_EQ(ValidateSpec(ExecSpec({plain})).status().message(),
            "exec " + plain + ": Permission denied");
  EXPECT_EQ(ValidateSpec(ExecSpec({dir_})).status().message(),
            "exec " + dir_ + ": Permission denied");
  EXPECT_EQ(ValidateSpec(ExecSpec({"python4-corral-test"})).status().message(),
            "exec python4-corral-test: No such file or directory");
}

TEST_F(ExecSpecTest, ProgramWithoutSlashIsLookedUpOnPath) {
  std::string found = File("tool", 0755);
  File("other", 0644);
  std::string path = "/nonexistent:" + dir_;
  absl::StatusOr<std::string> resolved = ResolveExecProgram("tool", path.c_str());
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, found);
  // Found but not executable is a better reason than not found, as execvp says.
  EXPECT_EQ(ResolveExecProgram("other", path.c_str()).status().message(),
            "exec other: Permission denied");
  // The process's PATH: sh is on every PATH.
  absl::StatusOr<v1::ServerSpec> spec = ValidateSpec(ExecSpec({"sh", "-c", "true"}));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->exec_argv(0).front(), '/');
  EXPECT_EQ(::access(spec->exec_argv(0).c_str(), X_OK), 0);
}

TEST_F(ExecSpecTest, ArgvIsRequiredByExecAndRefusedByTheOthers) {
  EXPECT_EQ(ValidateSpec(ExecSpec({})).status().message(),
            "protocol exec needs a program to run; give --exec PROGRAM");
  v1::ServerSpec echo = ExecSpec({"/bin/sh"});
  echo.set_protocol(v1::PROTOCOL_TCP_ECHO);
  EXPECT_EQ(ValidateSpec(echo).status().message(), "exec_argv applies to the exec protocol only");
}

void Parse(CLI::App& app, std::vector<std::string> args) {
  std::vector<const char*> argv = {"prog"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

TEST_F(ExecSpecTest, FlagsBuildTheArgvForBothPrograms) {
  for (SpecFlags::Fields fields :
       {SpecFlags::Fields::kServer, SpecFlags::Fields::kServerAndSupervision}) {
    CLI::App app;
    SpecFlags flags(app, fields);
    Parse(app, {"--protocol", "exec", "--exec", "sh", "--exec-arg=-c", "--exec-arg", "echo hi",
                "--exec-arg", "zero"});
    absl::StatusOr<v1::ServerSpec> spec = flags.Build("inetd");
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(spec->protocol(), v1::PROTOCOL_EXEC);
    ASSERT_EQ(spec->exec_argv_size(), 4);
    EXPECT_EQ(spec->exec_argv(0), "sh");
    EXPECT_EQ(spec->exec_argv(1), "-c");
    EXPECT_EQ(spec->exec_argv(2), "echo hi");
    EXPECT_EQ(spec->exec_argv(3), "zero");
  }
  CLI::App app;
  SpecFlags flags(app, SpecFlags::Fields::kServer);
  Parse(app, {"--exec-arg", "x"});
  EXPECT_EQ(flags.Build("inetd").status().message(), "--exec-arg needs --exec PROGRAM");
}

}  // namespace
}  // namespace corral::spec
