// The file protocol through real corral-server processes under every model: list, download,
// upload, overwrite refusal, confinement, and an interrupted upload that leaves nothing behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "servers/net/polling_stream.h"
#include "servers/protocols/file/file_client.h"
#include "tests/servers/models/model_cases.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using protocols::file::FileClient;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class FileModelsTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-file-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    WriteFile(root_ + "/hello.txt", "hello, file\n");
    big_ = Pattern(3 << 20, 9);
    WriteFile(root_ + "/big.bin", big_);
    // HundredConcurrentClients connects from 127.0.0.1 alone: more than the default per-client
    // cap.
    std::vector<std::string> args = {"--protocol",
                                     "file",
                                     "--root",
                                     root_,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--max-connections-per-client",
                                     "0"};
    args.insert(args.end(), GetParam().flags.begin(), GetParam().flags.end());
    server_ = std::make_unique<ServerProcess>(args);
    ASSERT_TRUE(server_->ready()) << server_->detail();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(root_);
  }

  std::string root_;
  std::string big_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(FileModelsTest, ListDownloadUpload) {
  base::UniqueFd fd = ConnectTcp(server_->detail());
  ASSERT_TRUE(fd);
  net::PollingStream stream(fd.get());
  FileClient client(stream, std::chrono::seconds(20));

  absl::StatusOr<std::vector<protocols::file::ListEntry>> list = client.List("");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "big.bin");
  EXPECT_EQ((*list)[0].size, big_.size());
  EXPECT_EQ((*list)[1].name, "hello.txt");

  std::string got;
  absl::StatusOr<uint64_t> size = client.Get("big.bin", [&](const char* data, size_t len) {
    got.append(data, len);
    return absl::OkStatus();
  });
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_TRUE(got == big_);

  std::string upload = Pattern(1 << 20, 4);
  size_t offset = 0;
  absl::Status put = client.Put("new.bin", upload.size(), [&](char* buf, size_t len) {
    size_t n = std::min(len, upload.size() - offset);
    std::memcpy(buf, upload.data() + offset, n);
    offset += n;
    return absl::StatusOr<size_t>(n);
  });
  ASSERT_TRUE(put.ok()) << put;
  EXPECT_TRUE(ReadFile(root_ + "/new.bin") == upload);

  // The notes' exists-check: no overwrite unless the server allows it.
  absl::Status again = client.Put("hello.txt", 3, [](char* buf, size_t len) {
    std::memcpy(buf, "new", 3);
    return absl::StatusOr<size_t>(3);
  });
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_EQ(ReadFile(root_ + "/hello.txt"), "hello, file\n");

  // Nothing outside the root, by any path.
  for (const char* path : {"../etc/passwd", "/etc/passwd", "a/../../x"}) {
    std::string ignored;
    absl::StatusOr<uint64_t> escaped = client.Get(path, [&](const char* data, size_t len) {
      ignored.append(data, len);
      return absl::OkStatus();
    });
    EXPECT_FALSE(escaped.ok()) << path;
    EXPECT_TRUE(client.last_error_was_refusal()) << path;
  }
}

TEST_P(FileModelsTest, HundredConcurrentClients) {
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 100; ++c) {
    clients.emplace_back([&, c] {
      base::UniqueFd fd = ConnectTcp(server_->detail());
      if (!fd) return;
      net::PollingStream stream(fd.get());
      FileClient client(stream, std::chrono::seconds(60));
      std::string got;
      absl::StatusOr<uint64_t> size = client.Get("hello.txt", [&](const char* data, size_t len) {
        got.append(data, len);
        return absl::OkStatus();
      });
      if (!size.ok() || got != "hello, file\n") return;
      std::string upload = Pattern(1000 + c, c);
      size_t offset = 0;
      absl::Status put =
          client.Put("up-" + std::to_string(c), upload.size(), [&](char* buf, size_t len) {
            size_t n = std::min(len, upload.size() - offset);
            std::memcpy(buf, upload.data() + offset, n);
            offset += n;
            return absl::StatusOr<size_t>(n);
          });
      if (put.ok() && ReadFile(root_ + "/up-" + std::to_string(c)) == upload) ++ok;
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), 100);
}

TEST_P(FileModelsTest, InterruptedUploadLeavesNothing) {
  {
    base::UniqueFd fd = ConnectTcp(server_->detail());
    ASSERT_TRUE(fd);
    const std::string header = "PUT partial.bin 1000000\n";
    ASSERT_EQ(write(fd.get(), header.data(), header.size()), static_cast<ssize_t>(header.size()));
    // Wait for CONTINUE, send half the body, then vanish.
    char reply[64];
    net::PollingStream stream(fd.get());
    absl::StatusOr<size_t> n =
        stream.Read(reply, sizeof reply, net::DeadlineAfter(std::chrono::seconds(20)));
    ASSERT_TRUE(n.ok() && *n > 0);
    ASSERT_EQ(std::string(reply, *n).rfind("CONTINUE", 0), 0u) << std::string(reply, *n);
    std::string half(500000, 'x');
    ASSERT_TRUE(
        stream.WriteAll(half.data(), half.size(), net::DeadlineAfter(std::chrono::seconds(20)))
            .ok());
  }
  // Once the server has seen the connection end, the directory holds only what it held before.
  EXPECT_TRUE(WaitFor([&] {
    size_t entries = 0;
    for (const auto& entry : std::filesystem::directory_iterator(root_)) {
      (void)entry;
      ++entries;
    }
    return entries == 2;
  }));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/partial.bin"));
}

INSTANTIATE_TEST_SUITE_P(AllModels, FileModelsTest, ::testing::ValuesIn(AllModels()),
                         ModelCaseName);

}  // namespace
}  // namespace corral::testing
