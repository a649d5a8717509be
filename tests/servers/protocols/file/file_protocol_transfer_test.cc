// LIST, GET and PUT over a real socketpair: byte-exact transfers and listings.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "servers/protocols/file/file_protocol.h"
#include "tests/servers/protocols/file/served_connection.h"

namespace corral::protocols::file {
namespace {

using std::chrono::seconds;
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

class FileTransferTest : public ::testing::Test {
 protected:
  TempDir root_;
};

TEST_F(FileTransferTest, ListsTypesSizesAndNamesSorted) {
  WriteFile(root_ / "b.txt", "hello");
  WriteFile(root_ / "a.txt", "");
  std::filesystem::create_directory(root_ / "sub");
  ASSERT_EQ(::mkfifo((root_ / "pipe").c_str(), 0600), 0);
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  absl::StatusOr<std::vector<ListEntry>> entries = client.List("");
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::vector<ListEntry> expected = {{ListEntry::Type::kFile, 0, "a.txt"},
                                     {ListEntry::Type::kFile, 5, "b.txt"},
                                     {ListEntry::Type::kOther, 0, "pipe"},
                                     {ListEntry::Type::kDirectory, 0, "sub"}};
  EXPECT_EQ(*entries, expected);
}

TEST_F(FileTransferTest, ListsASubdirectoryAndHostileNamesKeepFraming) {
  std::filesystem::create_directory(root_ / "sub");
  std::string hostile = "two\nlines \x1b[31m%\"quoted\"";
  WriteFile(root_ / ("sub/" + hostile), "abc");
  WriteFile(root_ / "sub/plain", "x");
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  absl::StatusOr<std::vector<ListEntry>> entries = client.List("sub");
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::vector<ListEntry> expected = {{ListEntry::Type::kFile, 1, "plain"},
                                     {ListEntry::Type::kFile, 3, hostile}};
  EXPECT_EQ(*entries, expected);
  // The hostile name downloads by its real name too, and the connection is still in step.
  EXPECT_EQ(GetString(client, "sub/" + hostile).value(), "abc");
  EXPECT_TRUE(client.Quit().ok());
}

TEST_F(FileTransferTest, ListRefusesMissingDirectoriesAndFiles) {
  WriteFile(root_ / "file", "x");
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  absl::Status missing = client.List("nope").status();
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_EQ(missing.message(), "list \"nope\": no such file or directory");
  EXPECT_TRUE(client.last_error_was_refusal());
  absl::Status not_dir = client.List("file").status();
  EXPECT_TRUE(absl::IsNotFound(not_dir)) << not_dir;
  EXPECT_EQ(not_dir.message(), "list \"file\": not a directory");
  EXPECT_TRUE(client.List("").ok()) << "refusals leave the connection usable";
}

TEST_F(FileTransferTest, DownloadsByteExactIncludingLargeAndEmptyFiles) {
  std::string big = Pattern(5 * 1024 * 1024 + 17);
  WriteFile(root_ / "big.bin", big);
  WriteFile(root_ / "empty", "");
  std::filesystem::create_directory(root_ / "d");
  WriteFile(root_ / "d/small.txt", "small\n");
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  absl::StatusOr<std::string> got_big = GetString(client, "big.bin");
  ASSERT_TRUE(got_big.ok()) << got_big.status();
  EXPECT_EQ(got_big->size(), big.size());
  EXPECT_TRUE(*got_big == big) << "5 MiB download differs";
  EXPECT_EQ(GetString(client, "empty").value(), "");
  EXPECT_EQ(GetString(client, "d/small.txt").value(), "small\n");
  EXPECT_EQ(GetString(client, "./d//small.txt").value(), "small\n");
}

TEST_F(FileTransferTest, FileShrinkingDuringDownloadAbortsTheConnection) {
  // 8 MiB: far more than the socket buffers, so the server is still reading the file when the
  // client, on its first chunk, truncates it.
  const std::string path = root_ / "shrinks.bin";
  WriteFile(path, Pattern(8 * 1024 * 1024));
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  uint64_t received = 0;
  absl::StatusOr<uint64_t> size = client.Get("shrinks.bin", [&](const char*, size_t len) {
    if (received == 0) std::filesystem::resize_file(path, 0);
    received += len;
    return absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsUnavailable(size.status())) << size.status();
  EXPECT_LT(received, 8u * 1024 * 1024);
  EXPECT_FALSE(client.last_error_was_refusal());
  EXPECT_TRUE(absl::IsFailedPrecondition(client.List("").status())) << "framing lost: no reuse";
  EXPECT_TRUE(connection.WaitServed(kTimeout));
}

TEST_F(FileTransferTest, FileGrowingDuringDownloadIsCutAtTheAnnouncedSize) {
  const std::string path = root_ / "grows.bin";
  std::string original = Pattern(8 * 1024 * 1024);
  WriteFile(path, original);
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  std::string data;
  absl::StatusOr<uint64_t> size = client.Get("grows.bin", [&](const char* chunk, size_t len) {
    if (data.empty()) {
      std::ofstream(path, std::ios::binary | std::ios::app) << std::string(100'000, 'x');
    }
    data.append(chunk, len);
    return absl::OkStatus();
  });
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, original.size());
  EXPECT_TRUE(data == original);
  EXPECT_TRUE(client.List("").ok()) << "still in step";
}

TEST_F(FileTransferTest, DownloadRefusesWhatIsNotARegularFile) {
  std::filesystem::create_directory(root_ / "dir");
  ASSERT_EQ(::mkfifo((root_ / "pipe").c_str(), 0600), 0);
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  absl::Status dir = GetString(client, "dir").status();
  EXPECT_TRUE(absl::IsPermissionDenied(dir)) << dir;
  EXPECT_EQ(dir.message(), "download \"dir\": is a directory");
  absl::Status pipe = GetString(client, "pipe").status();  // must not block on the FIFO
  EXPECT_TRUE(absl::IsPermissionDenied(pipe)) << pipe;
  EXPECT_EQ(pipe.message(), "download \"pipe\": not a regular file");
  absl::Status missing = GetString(client, "missing.txt").status();
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_EQ(missing.message(), "download \"missing.txt\": no such file or directory");
  absl::Status root = GetString(client, ".").status();
  EXPECT_TRUE(absl::IsInvalidArgument(root)) << root;
}

TEST_F(FileTransferTest, UploadsByteExact) {
  std::filesystem::create_directory(root_ / "in");
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  std::string data = Pattern(3 * 1024 * 1024 + 5, 7);
  ASSERT_TRUE(PutString(client, "in/data.bin", data).ok());
  ASSERT_TRUE(PutString(client, "empty.txt", "").ok());
  ASSERT_TRUE(PutString(client, "name with spaces\n", "s").ok());
  EXPECT_TRUE(ReadFile(root_ / "in/data.bin") == data) << "upload differs";
  EXPECT_EQ(ReadFile(root_ / "empty.txt"), "");
  EXPECT_EQ(ReadFile(root_ / "name with spaces\n"), "s");
  EXPECT_EQ(Names(root_.path().string()),
            (std::vector<std::string>{"empty.txt", "in", "name with spaces\n"}));
  // Downloading it back through the same connection gives the same bytes.
  EXPECT_TRUE(GetString(client, "in/data.bin").value() == data);
}

TEST_F(FileTransferTest, UploadIntoAMissingDirectoryIsNotFound) {
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  absl::Status put = PutString(client, "no/such/dir/a.txt", "x");
  EXPECT_TRUE(absl::IsNotFound(put)) << put;
  EXPECT_EQ(put.message(), "upload \"no/such/dir/a.txt\": no such file or directory");
  EXPECT_TRUE(Names(root_.path().string()).empty());
}

TEST_F(FileTransferTest, SymlinksInsideTheRootWork) {
  std::filesystem::create_directory(root_ / "real");
  WriteFile(root_ / "real/target.txt", "inside");
  ASSERT_EQ(::symlink("real/target.txt", (root_ / "alias.txt").c_str()), 0);
  ASSERT_EQ(::symlink("real", (root_ / "alias_dir").c_str()), 0);
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);

  EXPECT_EQ(GetString(client, "alias.txt").value(), "inside");
  EXPECT_EQ(GetString(client, "alias_dir/target.txt").value(), "inside");
  absl::StatusOr<std::vector<ListEntry>> entries = client.List("");
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::vector<ListEntry> expected = {{ListEntry::Type::kFile, 6, "alias.txt"},
                                     {ListEntry::Type::kDirectory, 0, "alias_dir"},
                                     {ListEntry::Type::kDirectory, 0, "real"}};
  EXPECT_EQ(*entries, expected);
}

TEST_F(FileTransferTest, PipelinedRequestsAreAnsweredInOrder) {
  WriteFile(root_ / "a.txt", "AAA");
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root_));
  ServedConnection connection(*protocol);
  // Everything in one write: the server must not lose bytes buffered behind a request line,
  // including a PUT body sent without waiting for CONTINUE.
  connection.SendRaw("LIST\r\nGET a.txt\nPUT b.txt 4\nBBBBQUIT\n");
  LineReader reader(connection.client(), 4096);
  EXPECT_EQ(ReadRawLine(reader), "OK 1");
  EXPECT_EQ(ReadRawLine(reader), "file 3 a.txt");
  EXPECT_EQ(ReadRawLine(reader), "OK 3");
  char body[3];
  size_t got = 0;
  while (got < 3) {
    absl::StatusOr<size_t> n = reader.ReadSome(body + got, 3 - got, net::DeadlineAfter(kTimeout));
    ASSERT_TRUE(n.ok() && *n > 0);
    got += *n;
  }
  EXPECT_EQ(std::string(body, 3), "AAA");
  EXPECT_EQ(ReadRawLine(reader), "CONTINUE");
  EXPECT_EQ(ReadRawLine(reader), "OK 4");
  EXPECT_EQ(ReadRawLine(reader), "OK bye");
  EXPECT_EQ(ReadRawLine(reader), "<EOF>");
  EXPECT_TRUE(connection.WaitServed(kTimeout));
  EXPECT_EQ(ReadFile(root_ / "b.txt"), "BBBB");
}

}  // namespace
}  // namespace corral::protocols::file
