// The Python client (clients/python/corral, issue 23 item 5) against a real agent over TCP with
// TLS and tokens, by contexts of a contexts file.
#include <gtest/gtest.h>

#include "tests/integration/agent_fixture.h"
#include "tests/integration/remote_fixture.h"

namespace corral::testing {
namespace {

TEST_F(RemoteTest, PythonClientStartsListsWatchesAndIsRefusedAsMonitor) {
  RemoteAgent* agent = StartAgent("home");
  const std::string contexts = WriteFile("config.yaml",
                                         "agents:\n"
                                         "  ops:\n"
                                         "    address: " +
                                             agent->address +
                                             "\n"
                                             "    ca: ca.pem\n"
                                             "    token_file: ops.token\n"
                                             "  viewer:\n"
                                             "    address: " +
                                             agent->address +
                                             "\n"
                                             "    ca: ca.pem\n"
                                             "    token_file: viewer.token\n");
  const std::string source = CORRAL_SOURCE_DIR;
  // Debian's interpreter, where python3-grpcio is installed; the stubs come from the build.
  CommandResult run =
      RunCommand({"/usr/bin/env",
                  std::string("PYTHONPATH=") + CORRAL_PYTHON_DIR + ":" + source + "/clients/python",
                  "/usr/bin/python3", source + "/clients/python/tests/client_check.py", contexts,
                  "ops", "viewer"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

}  // namespace
}  // namespace corral::testing
