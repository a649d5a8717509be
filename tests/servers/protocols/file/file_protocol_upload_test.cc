// Upload policy and atomicity: overwrite refusal and replacement, the size limit, interrupted
// uploads that leave nothing behind, and concurrent uploads.
#include <filesystem>
#include <thread>

#include "gtest/gtest.h"
#include "servers/protocols/file/file_protocol.h"
#include "tests/servers/protocols/file/served_connection.h"

namespace corral::protocols::file {
namespace {

using std::chrono::milliseconds;
using testing::GetString;
using testing::MakeProtocol;
using testing::Names;
using testing::Pattern;
using testing::PutString;
using testing::ReadFile;
using testing::ReadRawLine;
using testing::ServedConnection;
using testing::TempDir;
using testing::TestOptions;
using testing::WriteFile;

constexpr std::chrono::seconds kTimeout(20);

// Every test runs with O_TMPFILE and with the named-temp-file fallback.
class UploadTest : public ::testing::TestWithParam<bool> {
 protected:
  FileOptions Options() {
    FileOptions options = TestOptions(root_);
    options.use_tmpfile = GetParam();
    return options;
  }

  TempDir root_;
};

TEST_P(UploadTest, RefusesToOverwriteBeforeTheBody) {
  WriteFile(root_ / "a.txt", "original");
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(Options());
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  absl::Status put = PutString(client, "a.txt", "replacement");
  EXPECT_TRUE(absl::IsAlreadyExists(put)) << put;
  EXPECT_EQ(put.message(), "upload \"a.txt\": exists and overwrite is not allowed");
  EXPECT_EQ(ReadFile(root_ / "a.txt"), "original");
  EXPECT_EQ(Names(root_.path().string()), std::vector<std::string>{"a.txt"});
  EXPECT_TRUE(client.List("").ok()) << "the refusal came before the body: still in step";
}

TEST_P(UploadTest, TheRawReplyIsRefusalNotContinue) {
  WriteFile(root_ / "a.txt", "original");
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(Options());
  ServedConnection connection(*protocol);
  connection.SendRaw("PUT a.txt 5\n");
  LineReader reader(connection.client(), 4096);
  EXPECT_EQ(ReadRawLine(reader), "ERR 409 upload \"a.txt\": exists and overwrite is not allowed");
}

TEST_P(UploadTest, AllowOverwriteReplacesTheFile) {
  WriteFile(root_ / "a.txt", "original content, longer than the new one");
  FileOptions options = Options();
  options.allow_overwrite = true;
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(options);
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  ASSERT_TRUE(PutString(client, "a.txt", "new").ok());
  EXPECT_EQ(ReadFile(root_ / "a.txt"), "new");
  EXPECT_EQ(Names(root_.path().string()), std::vector<std::string>{"a.txt"});

  std::filesystem::create_directory(root_ / "dir");
  absl::Status over_dir = PutString(client, "dir", "x");
  EXPECT_TRUE(absl::IsPermissionDenied(over_dir)) << over_dir;
  EXPECT_EQ(over_dir.message(), "upload \"dir\": is a directory");
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "dir"));
}

TEST_P(UploadTest, RefusesTooLargeUploadsBeforeTheBody) {
  FileOptions options = Options();
  options.max_upload_bytes = 1000;
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(options);
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  absl::Status put = PutString(client, "big.bin", Pattern(1001));
  EXPECT_TRUE(absl::IsOutOfRange(put)) << put;
  EXPECT_EQ(put.message(), "upload \"big.bin\": 1001 bytes is more than the limit of 1000 bytes");
  EXPECT_TRUE(Names(root_.path().string()).empty());
  // Exactly the limit is fine, on the same connection.
  ASSERT_TRUE(PutString(client, "big.bin", Pattern(1000)).ok());
  EXPECT_EQ(ReadFile(root_ / "big.bin"), Pattern(1000));
}

TEST_P(UploadTest, ClientVanishingMidBodyLeavesNothing) {
  WriteFile(root_ / "keep.txt", "k");
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(Options());
  ServedConnection connection(*protocol);
  connection.SendRaw("PUT half.bin 100000\n");
  {
    LineReader reader(connection.client(), 4096);
    ASSERT_EQ(ReadRawLine(reader), "CONTINUE");
  }
  connection.SendRaw(Pattern(50000));
  connection.CloseClient();
  ASSERT_TRUE(connection.WaitServed(kTimeout));
  EXPECT_EQ(Names(root_.path().string()), std::vector<std::string>{"keep.txt"})
      << "no partial file, no temporary file";
}

TEST_P(UploadTest, ClientStallingMidBodyTimesOutAndLeavesNothing) {
  FileOptions options = Options();
  options.idle_timeout = milliseconds(200);
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(options);
  ServedConnection connection(*protocol);
  connection.SendRaw("PUT stalled.bin 1000\n");
  LineReader reader(connection.client(), 4096);
  ASSERT_EQ(ReadRawLine(reader), "CONTINUE");
  connection.SendRaw(Pattern(10));
  // The server gives up on its own (the client keeps its end open).
  ASSERT_TRUE(connection.WaitServed(std::chrono::seconds(15)));
  EXPECT_EQ(ReadRawLine(reader), "<EOF>");
  EXPECT_TRUE(Names(root_.path().string()).empty());
}

TEST_P(UploadTest, ClientTricklingTheBodyIsCutAtTheMinimumRate) {
  FileOptions options = Options();
  options.idle_timeout = std::chrono::seconds(60);  // each byte would re-arm this
  options.body_rate = {milliseconds(200), 1000};
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(options);
  ServedConnection connection(*protocol);
  connection.SendRaw("PUT trickle.bin 100000\n");
  LineReader reader(connection.client(), 4096);
  ASSERT_EQ(ReadRawLine(reader), "CONTINUE");
  // A byte every 20 ms (50 bytes/s, a twentieth of the rate): cut after about 200 ms.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool served = false;
  while (!(served = connection.WaitServed(milliseconds(20))) &&
         std::chrono::steady_clock::now() < give_up) {
    (void)connection.client().WriteAll("x", 1, net::DeadlineAfter(std::chrono::seconds(1)));
  }
  EXPECT_TRUE(served) << "a trickled upload held the connection";
  EXPECT_TRUE(Names(root_.path().string()).empty());
}

TEST_P(UploadTest, ConcurrentClientsUploadDifferentFiles) {
  constexpr int kClients = 8;
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(Options());
  std::vector<std::thread> clients;
  std::vector<absl::Status> results(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      ServedConnection connection(*protocol);
      FileClient client(connection.client(), kTimeout);
      results[i] = PutString(client, "file" + std::to_string(i), Pattern(300'000 + i, i));
    });
  }
  for (std::thread& t : clients) t.join();
  std::vector<std::string> expected_names;
  for (int i = 0; i < kClients; ++i) {
    EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
    EXPECT_TRUE(ReadFile(root_ / ("file" + std::to_string(i))) == Pattern(300'000 + i, i)) << i;
    expected_names.push_back("file" + std::to_string(i));
  }
  EXPECT_EQ(Names(root_.path().string()), expected_names);
}

TEST_P(UploadTest, ConcurrentUploadsOfOneNameWithoutOverwriteHaveOneWinner) {
  constexpr int kClients = 8;
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(Options());
  std::vector<std::thread> clients;
  std::vector<absl::Status> results(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      ServedConnection connection(*protocol);
      FileClient client(connection.client(), kTimeout);
      results[i] = PutString(client, "same.bin", Pattern(200'000, i));
    });
  }
  for (std::thread& t : clients) t.join();
  int winner = -1;
  for (int i = 0; i < kClients; ++i) {
    if (results[i].ok()) {
      EXPECT_EQ(winner, -1) << "two uploads both claimed the name";
      winner = i;
    } else {
      EXPECT_TRUE(absl::IsAlreadyExists(results[i])) << i << ": " << results[i];
    }
  }
  ASSERT_NE(winner, -1);
  EXPECT_TRUE(ReadFile(root_ / "same.bin") == Pattern(200'000, winner)) << "mixed content";
  EXPECT_EQ(Names(root_.path().string()), std::vector<std::string>{"same.bin"});
}

INSTANTIATE_TEST_SUITE_P(Modes, UploadTest, ::testing::Bool(), testing::TempFileModeName);

}  // namespace
}  // namespace corral::protocols::file
