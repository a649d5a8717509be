// Connection handling: the idle timeout, malformed and over-long request lines, QUIT, and the
// factory's errors.
#include <string>

#include "gtest/gtest.h"
#include "servers/protocols/file/file_protocol.h"
#include "servers/protocols/file/request.h"
#include "tests/servers/protocols/file/served_connection.h"

namespace corral::protocols::file {
namespace {

using std::chrono::milliseconds;
using testing::MakeProtocol;
using testing::ReadRawLine;
using testing::ServedConnection;
using testing::TempDir;
using testing::TestOptions;
using testing::WriteFile;

constexpr std::chrono::seconds kTimeout(20);

TEST(FileConnectionTest, IdleConnectionIsClosedAfterTheTimeout) {
  TempDir root;
  FileOptions options = TestOptions(root);
  options.idle_timeout = milliseconds(200);
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(options);
  ServedConnection connection(*protocol);
  LineReader reader(connection.client(), 4096);
  // Generous bound: only "closed on its own, well before the test gives up" is asserted.
  ASSERT_TRUE(connection.WaitServed(std::chrono::seconds(15)));
  EXPECT_EQ(ReadRawLine(reader), "ERR 408 connection idle for more than 200 ms; closing");
  EXPECT_EQ(ReadRawLine(reader), "<EOF>");
}

TEST(FileConnectionTest, IdleTimeoutRestartsWithEachRequest) {
  TempDir root;
  FileOptions options = TestOptions(root);
  options.idle_timeout = milliseconds(500);
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(options);
  ServedConnection connection(*protocol);
  FileClient client(connection.client(), kTimeout);
  // Each request comes well within the timeout: the connection stays up throughout.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(milliseconds(100));  // the spacing of the requests is the point
    ASSERT_TRUE(client.List("").ok()) << i;
  }
  EXPECT_TRUE(client.Quit().ok());
}

TEST(FileConnectionTest, UnknownCommandIsABadRequestAndTheConnectionGoesOn) {
  TempDir root;
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root));
  ServedConnection connection(*protocol);
  connection.SendRaw("DELETE a.txt\nGET\nPUT x many\n\nLIST\n");
  LineReader reader(connection.client(), 4096);
  EXPECT_EQ(ReadRawLine(reader),
            "ERR 400 unknown command \"DELETE\" (expected LIST, GET, PUT or QUIT)");
  EXPECT_EQ(ReadRawLine(reader), "ERR 400 usage: GET PATH");
  EXPECT_EQ(ReadRawLine(reader), "ERR 400 PUT size \"many\" is not a decimal byte count");
  EXPECT_EQ(ReadRawLine(reader), "ERR 400 empty request line");
  EXPECT_EQ(ReadRawLine(reader), "OK 0");
}

TEST(FileConnectionTest, OverLongLineIsRefusedAndTheConnectionClosed) {
  TempDir root;
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root));
  ServedConnection connection(*protocol);
  connection.SendRaw("GET " + std::string(kMaxRequestLine, 'a') + "\nLIST\n");
  LineReader reader(connection.client(), 4096);
  EXPECT_EQ(ReadRawLine(reader), "ERR 414 request line longer than 4096 bytes; closing");
  EXPECT_EQ(ReadRawLine(reader), "<EOF>");
  EXPECT_TRUE(connection.WaitServed(kTimeout));
}

TEST(FileConnectionTest, LineOfExactlyTheLimitIsServed) {
  TempDir root;
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root));
  ServedConnection connection(*protocol);
  std::string name(kMaxRequestLine - 5, 'a');  // "GET " + name + "\n" == the limit
  connection.SendRaw("GET " + name + "\n");
  LineReader reader(connection.client(), 64 * 1024);
  std::string reply = ReadRawLine(reader);
  // Served (the kernel refuses a 4091-byte name), not cut off as too long.
  EXPECT_EQ(reply.rfind("ERR 400 download \"aaa", 0), 0u) << reply.substr(0, 40);
  EXPECT_NE(reply.find("file name too long"), std::string::npos);
}

TEST(FileConnectionTest, QuitSaysByeAndCloses) {
  TempDir root;
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root));
  ServedConnection connection(*protocol);
  connection.SendRaw("quit\n");
  LineReader reader(connection.client(), 4096);
  EXPECT_EQ(ReadRawLine(reader), "OK bye");
  EXPECT_EQ(ReadRawLine(reader), "<EOF>");
  EXPECT_TRUE(connection.WaitServed(kTimeout));
}

TEST(FileConnectionTest, ServeReturnsWhenTheClientCloses) {
  TempDir root;
  std::unique_ptr<FileProtocol> protocol = MakeProtocol(TestOptions(root));
  ServedConnection connection(*protocol);
  connection.SendRaw("LIST\n");
  connection.CloseClient();
  EXPECT_TRUE(connection.WaitServed(kTimeout));
}

TEST(FileProtocolCreate, NamesAMissingRoot) {
  TempDir scratch;
  FileOptions options;
  options.root = scratch / "missing";
  absl::StatusOr<std::unique_ptr<FileProtocol>> protocol = FileProtocol::Create(options);
  EXPECT_TRUE(absl::IsNotFound(protocol.status())) << protocol.status();
  EXPECT_EQ(protocol.status().message(),
            "root " + (scratch / "missing") + ": no such file or directory");
}

TEST(FileProtocolCreate, RefusesARootThatIsNotADirectory) {
  TempDir scratch;
  WriteFile(scratch / "file", "x");
  FileOptions options;
  options.root = scratch / "file";
  absl::StatusOr<std::unique_ptr<FileProtocol>> protocol = FileProtocol::Create(options);
  EXPECT_FALSE(protocol.ok());
  EXPECT_EQ(protocol.status().message(), "root " + (scratch / "file") + ": not a directory");
}

TEST(FileProtocolCreate, RefusesAnEmptyRootAndAZeroTimeout) {
  EXPECT_TRUE(absl::IsInvalidArgument(FileProtocol::Create(FileOptions{}).status()));
  TempDir scratch;
  FileOptions options = TestOptions(scratch);
  options.idle_timeout = milliseconds(0);
  EXPECT_TRUE(absl::IsInvalidArgument(FileProtocol::Create(options).status()));
}

}  // namespace
}  // namespace corral::protocols::file
