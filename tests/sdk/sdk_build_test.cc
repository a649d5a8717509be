// The SDK as a user meets it: a plugin built with nothing but its headers, by the one compiler
// command the docs give, and by a CMake project of its own through find_package(Corral) after
// `cmake --install`; each then served by a real corral-server and answered over a socket.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

namespace fs = std::filesystem;

class SdkBuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-sdk-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `argv`, failing the test with its output unless it exits 0.
  static bool Run(const std::vector<std::string>& argv) {
    CommandResult result = RunCommand(argv, std::chrono::seconds(300));
    EXPECT_EQ(result.exit_code, 0) << argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << "\n"
                                   << result.out << result.err;
    return result.exit_code == 0;
  }

  // Serves `plugin` with `server` (a corral-server) and checks the greeter's answer.
  static void GreetAda(const std::string& server, const std::string& plugin) {
    ServerProcess process({server, "--protocol", "tcp", "--model", "thread", "--listen",
                           "127.0.0.1:0", "--handler", plugin, "--handler-arg", "greeting=Hi"},
                          {.await_readiness = true});
    ASSERT_TRUE(process.ready()) << process.detail();
    base::UniqueFd fd = ConnectTcp(process.detail());
    ASSERT_TRUE(fd);
    ASSERT_EQ(::send(fd.get(), "Ada\n", 4, MSG_NOSIGNAL), 4);
    std::string reply;
    WaitFor([&] {
      char c;
      while (::recv(fd.get(), &c, 1, 0) == 1) {
        reply += c;
        if (c == '\n') return true;
      }
      return false;
    });
    EXPECT_EQ(reply, "Hi, Ada! (#1)\n");
  }

  std::string dir_;
};

// The greeter of README's "Write your own server", with exactly
// `c++ -shared -fPIC -I<sdk>/include greeter.cc -o greeter.so`.
TEST_F(SdkBuildTest, OneCompilerCommandBuildsAPluginThatServes) {
  const std::string plugin = dir_ + "/greeter.so";
  ASSERT_TRUE(Run({CORRAL_CXX_COMPILER, "-shared", "-fPIC", "-I" CORRAL_SOURCE_DIR "/sdk/include",
                   CORRAL_SOURCE_DIR "/examples/handlers/greeter/greeter.cc", "-o", plugin}));
  GreetAda(std::string(CORRAL_BIN_DIR) + "/corral-server", plugin);
}

// cmake --install puts headers, package and programs under a prefix; a project of its own
// finds the SDK there and builds a plugin the installed corral-server serves.
TEST_F(SdkBuildTest, InstalledPackageBuildsAPluginWithFindPackage) {
  const std::string prefix = dir_ + "/prefix";
  ASSERT_TRUE(Run({CORRAL_CMAKE_COMMAND, "--install", CORRAL_BINARY_DIR, "--prefix", prefix}));
  ASSERT_TRUE(fs::exists(prefix + "/include/corral/handler.h"));
  ASSERT_TRUE(fs::exists(prefix + "/bin/corral-server"));

  const std::string project = dir_ + "/project";
  fs::create_directories(project);
  fs::copy_file(CORRAL_SOURCE_DIR "/examples/handlers/greeter/greeter.cc", project + "/greeter.cc");
  std::ofstream(project + "/CMakeLists.txt") << "cmake_minimum_required(VERSION 3.16)\n"
                                                "project(greeter CXX)\n"
                                                "find_package(Corral REQUIRED)\n"
                                                "corral_add_handler(greeter greeter.cc)\n";
  const std::string build = project + "/build";
  ASSERT_TRUE(
      Run({CORRAL_CMAKE_COMMAND, "-S", project, "-B", build, "-DCMAKE_PREFIX_PATH=" + prefix,
           std::string("-DCMAKE_CXX_COMPILER=") + CORRAL_CXX_COMPILER}));
  ASSERT_TRUE(Run({CORRAL_CMAKE_COMMAND, "--build", build}));
  GreetAda(prefix + "/bin/corral-server", build + "/greeter.so");
}

}  // namespace
}  // namespace corral::testing
