// HttpModelsTest: a temporary www root with known files (and a symlink out of it), and a real
// corral-server --protocol http on it under each model configuration of AllModels(). Shared by
// http_models_test.cc (what is served) and http_models_connection_test.cc (how connections
// behave).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "tests/servers/models/model_cases.h"
#include "tests/servers/protocols/http/http_test_client.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {

inline constexpr std::string_view kSecret = "top secret: outside the root\n";
inline constexpr std::string_view kIndex = "<!doctype html><h1>corral</h1>\n";
inline constexpr size_t kMediumSize = 100 * 1024;         // above the small-file (writev) limit
inline constexpr size_t kBigSize = 3 * 1024 * 1024 + 17;  // several sendfile chunks

void WriteFile(const std::string& path, std::string_view content);
std::string ReadFile(const std::string& path);
// Runs a shell command and returns its standard output.
std::string RunShell(const std::string& command);

class HttpModelsTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "corral_http_models_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    root_ = dir_ + "/www";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/sub").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/empty").c_str(), 0755), 0);
    WriteFile(dir_ + "/secret.txt", kSecret);
    WriteFile(root_ + "/index.html", kIndex);
    WriteFile(root_ + "/digits.txt", "0123456789");
    WriteFile(root_ + "/empty.txt", "");
    WriteFile(root_ + "/sub/index.html", "sub index\n");
    medium_ = Pattern(kMediumSize, 1);
    big_ = Pattern(kBigSize, 2);
    WriteFile(root_ + "/medium.bin", medium_);
    WriteFile(root_ + "/big.bin", big_);
    ASSERT_EQ(::symlink("../secret.txt", (root_ + "/link").c_str()), 0);
  }

  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0); }

  // Starts corral-server --protocol http on this test's root under the parameter's model.
  std::unique_ptr<ServerProcess> Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--protocol",  "http",   "--listen",
                                     "127.0.0.1:0", "--root", root_};
    args.insert(args.end(), GetParam().flags.begin(), GetParam().flags.end());
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args);
    EXPECT_TRUE(server->ready()) << server->detail();
    return server;
  }

  std::string Url(const ServerProcess& server, std::string_view path) const {
    return "http://" + server.detail() + std::string(path);
  }

  std::string dir_;
  std::string root_;
  std::string medium_;
  std::string big_;
};

}  // namespace corral::testing
