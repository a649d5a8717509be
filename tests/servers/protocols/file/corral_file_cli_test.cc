// corral-file, the real binary, against FileProtocol served on 127.0.0.1: exit codes and the
// files it writes, as a user would see them.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <atomic>
#include <thread>
#include <vector>

#include "base/deadline.h"
#include "gtest/gtest.h"
#include "servers/net/polling_stream.h"
#include "servers/net/socket.h"
#include "servers/protocols/file/file_protocol.h"
#include "tests/servers/protocols/file/served_connection.h"

    extern char** environ;

namespace corral::protocols::file {
namespace {

using testing::MakeProtocol;
using testing::Pattern;
using testing::ReadFile;
using testing::TempDir;
using testing::TestOptions;
using testing::WriteFile;

// A listener on 127.0.0.1:0 serving connections one after the other in a thread.
class LoopbackServer {
 public:
  explicit LoopbackServer(const FileProtocol& protocol) {
    absl::StatusOr<net::Address> any = net::Address::Parse("127.0.0.1:0");
    absl::StatusOr<base::UniqueFd> listener = net::ListenTcp(*any);
    EXPECT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
    address_ = net::LocalAddress(listener_.get())->ToString();
    thread_ = std::thread([this, &protocol] {
      while (!stop_) {
        if (!base::WaitReady(listener_.get(), POLLIN,
                             net::DeadlineAfter(std::chrono::milliseconds(50)))
                 .ok()) {
          continue;
        }
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) continue;
        net::PollingStream stream{base::UniqueFd(fd)};
        protocol.Serve(stream);
      }
    });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
  }
  const std::string& address() const { return address_; }

 private:
  base::UniqueFd listener_;
  std::string address_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CorralFileCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(scratch_ / "root");
    std::filesystem::create_directory(scratch_ / "local");
    FileOptions options = TestOptions(scratch_);
    options.root = scratch_ / "root";
    options.max_upload_bytes = 1 << 20;
    protocol_ = MakeProtocol(options);
    ASSERT_NE(protocol_, nullptr);
    server_ = std::make_unique<LoopbackServer>(*protocol_);
  }

  // Runs corral-file with `args` in the "local" directory.
  CliRun Cli(std::vector<std::string> args) {
    std::vector<std::string> argv = {CORRAL_FILE_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (std::string& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    std::string out_path = scratch_ / "stdout", err_path = scratch_ / "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addchdir_np(&actions, (scratch_ / "local").c_str());
    pid_t pid;
    CliRun run;
    int spawned = posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(spawned, 0) << "spawn " << raw[0];
    if (spawned != 0) return run;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = ReadFile(out_path);
    run.err = ReadFile(err_path);
    return run;
  }

  TempDir scratch_;
  std::unique_ptr<FileProtocol> protocol_;
  std::unique_ptr<LoopbackServer> server_;
};

TEST_F(CorralFileCliTest, PutLsGetRoundTrip) {
  std::string data = Pattern(700'000, 3);
  WriteFile(scratch_ / "local/data.bin", data);
  CliRun put = Cli({server_->address(), "put", "data.bin"});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_TRUE(ReadFile(scratch_ / "root/data.bin") == data);

  CliRun ls = Cli({server_->address(), "ls"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("file"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("700000 data.bin\n"), std::string::npos) << ls.out;

  CliRun get = Cli({server_->address(), "get", "data.bin", "copy.bin"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(scratch_ / "local/copy.bin") == data);
}

TEST_F(CorralFileCliTest, ExitCodesSayWhoRefused) {
  WriteFile(scratch_ / "root/there.txt", "remote");
  WriteFile(scratch_ / "local/there.txt", "local");

  CliRun exists = Cli({server_->address(), "put", "there.txt"});
  EXPECT_EQ(exists.exit_code, 1);
  EXPECT_NE(exists.err.find("upload \"there.txt\": exists and overwrite is not allowed"),
            std::string::npos)
      << exists.err;
  EXPECT_EQ(ReadFile(scratch_ / "root/there.txt"), "remote");

  CliRun missing = Cli({server_->address(), "get", "missing.txt"});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  CliRun outside = Cli({server_->address(), "get", "../secret"});
  EXPECT_EQ(outside.exit_code, 1) << outside.err;
  EXPECT_NE(outside.err.find("\"..\" components are not allowed"), std::string::npos);

  WriteFile(scratch_ / "local/big.bin", Pattern((1 << 20) + 1));
  CliRun big = Cli({server_->address(), "put", "big.bin"});
  EXPECT_EQ(big.exit_code, 1) << big.err;
  EXPECT_FALSE(std::filesystem::exists(scratch_ / "root/big.bin"));

  CliRun local_exists = Cli({server_->address(), "get", "there.txt"});
  EXPECT_EQ(local_exists.exit_code, 3) << local_exists.err;
  EXPECT_EQ(ReadFile(scratch_ / "local/there.txt"), "local");
  CliRun forced = Cli({server_->address(), "get", "there.txt", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(ReadFile(scratch_ / "local/there.txt"), "remote");

  CliRun no_local = Cli({server_->address(), "put", "absent.txt"});
  EXPECT_EQ(no_local.exit_code, 3) << no_local.err;
}

TEST_F(CorralFileCliTest, NetworkAndUsageFailures) {
  // A port nothing listens on: bind one, read its number, close it.
  std::string closed_address;
  {
    absl::StatusOr<base::UniqueFd> probe = net::ListenTcp(*net::Address::Parse("127.0.0.1:0"));
    ASSERT_TRUE(probe.ok());
    closed_address = net::LocalAddress(probe->get())->ToString();
  }
  CliRun refused = Cli({closed_address, "ls"});
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_NE(refused.err.find("connect"), std::string::npos) << refused.err;

  EXPECT_EQ(Cli({"not-an-address", "ls"}).exit_code, 64);
  EXPECT_EQ(Cli({server_->address()}).exit_code, 64);
  EXPECT_EQ(Cli({server_->address(), "frobnicate"}).exit_code, 64);
  CliRun help = Cli({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos);
}

}  // namespace
}  // namespace corral::protocols::file
