// Any gRPC client can drive the agent: the Python example (stubs generated from the same
// .proto) and the standard health and reflection services.
#include "absl/strings/match.h"
#include "tests/integration/agent_fixture.h"

namespace corral::testing {
namespace {

// Debian's interpreter, where python3-grpcio is installed (a python3 earlier on PATH, such as
// pyenv's, would not see it).
constexpr const char* kDebianPython = "/usr/bin/python3";

TEST_F(AgentTest, PythonExampleStartsListsAndStops) {
  CommandResult run = RunCommand(
      {"/usr/bin/env", std::string("PYTHONPATH=") + CORRAL_PYTHON_DIR, kDebianPython,
       std::string(CORRAL_SOURCE_DIR) + "/examples/python/corral_example.py", "--agent",
       socket_address()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(absl::StrContains(run.out, "echoed: hello from python")) << run.out;
  EXPECT_TRUE(absl::StrContains(run.out, "listed py-echo STATE_RUNNING")) << run.out;
  EXPECT_TRUE(absl::StrContains(run.out, "stopped py-echo: STATE_STOPPED")) << run.out;
  EXPECT_EQ(Get("py-echo").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AgentTest, ServesHealthAndReflection) {
  CommandResult run = RunCommand(
      {kDebianPython,
       std::string(CORRAL_SOURCE_DIR) + "/tests/integration/grpc_services_check.py",
       socket_address()});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

}  // namespace
}  // namespace corral::testing
