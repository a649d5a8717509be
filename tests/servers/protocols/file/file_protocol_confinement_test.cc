// Path confinement: nothing outside the served root can be listed, read or written, whether
// the path says so directly ("..", absolute) or a symlink inside the root leads out.
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "servers/protocols/file/file_protocol.h"
#include "tests/servers/protocols/file/served_connection.h"

namespace corral::protocols::file {
namespace {

using testing::GetString;
using testing::MakeProtocol;
using testing::Names;
using testing::PutString;
using testing::ReadFile;
using testing::ServedConnection;
using testing::TempDir;
using testing::TestOptions;
using testing::WriteFile;

constexpr std::chrono::seconds kTimeout(20);

// The served root is a subdirectory of a scratch directory, so that "outside" holds a file a
// traversal would reach.
class ConfinementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(outer_ / "root");
    WriteFile(outer_ / "secret.txt", "outside the root");
    root_ = outer_ / "root";
    FileOptions options = TestOptions(outer_);
    options.root = root_;
    options.allow_overwrite = true;  // the most permissive server still stays inside
    protocol_ = MakeProtocol(options);
    ASSERT_NE(protocol_, nullptr);
    connection_ = std::make_unique<ServedConnection>(*protocol_);
    client_ = std::make_unique<FileClient>(connection_->client(), kTimeout);
  }

  void TearDown() override {
    // Nothing was written outside, and the secret is intact.
    EXPECT_EQ(Names(outer_.path().string()), (std::vector<std::string>{"root", "secret.txt"}));
    EXPECT_EQ(ReadFile(outer_ / "secret.txt"), "outside the root");
  }

  // A GET / LIST / PUT of `path` was refused with 403, naming the path and the reason.
  void ExpectForbidden(const std::string& path, const std::string& reason) {
    absl::Status get = GetString(*client_, path).status();
    EXPECT_TRUE(absl::IsPermissionDenied(get)) << path << ": " << get;
    EXPECT_NE(get.message().find(reason), absl::string_view::npos) << get;
    EXPECT_NE(get.message().find("download \""), absl::string_view::npos) << get;
    absl::Status list = client_->List(path).status();
    EXPECT_TRUE(absl::IsPermissionDenied(list)) << path << ": " << list;
    absl::Status put = PutString(*client_, path, "x");
    EXPECT_TRUE(absl::IsPermissionDenied(put)) << path << ": " << put;
    EXPECT_NE(put.message().find("upload \""), absl::string_view::npos) << put;
    EXPECT_TRUE(client_->last_error_was_refusal());
  }

  TempDir outer_;
  std::string root_;
  std::unique_ptr<FileProtocol> protocol_;
  std::unique_ptr<ServedConnection> connection_;
  std::unique_ptr<FileClient> client_;
};

TEST_F(ConfinementTest, RefusesDotDotComponents) {
  ExpectForbidden("../secret.txt", "\"..\" components are not allowed");
  ExpectForbidden("a/../../secret.txt", "\"..\" components are not allowed");
  ExpectForbidden("..", "\"..\" components are not allowed");
}

TEST_F(ConfinementTest, RefusesAbsolutePaths) {
  ExpectForbidden("/etc/passwd", "absolute paths are not allowed");
  ExpectForbidden(outer_ / "secret.txt", "absolute paths are not allowed");
}

TEST_F(ConfinementTest, RefusesEscapedTraversal) {
  // %2E%2E is ".." once unescaped: the check runs on the real bytes.
  connection_->SendRaw("GET %2E%2E/secret.txt\n");
  LineReader reader(connection_->client(), 4096);
  std::string reply = testing::ReadRawLine(reader);
  EXPECT_EQ(reply.rfind("ERR 403 download \"../secret.txt\":", 0), 0u) << reply;
}

TEST_F(ConfinementTest, RefusesSymlinksLeadingOut) {
  ASSERT_EQ(::symlink("/etc", (root_ + "/etc").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (root_ + "/passwd").c_str()), 0);
  ASSERT_EQ(::symlink("..", (root_ + "/up").c_str()), 0);
  ASSERT_EQ(::symlink("../secret.txt", (root_ + "/secret_link").c_str()), 0);

  ExpectForbidden("etc/passwd", "leads outside the served root");
  ExpectForbidden("up/secret.txt", "leads outside the served root");
  absl::Status passwd = GetString(*client_, "passwd").status();
  EXPECT_TRUE(absl::IsPermissionDenied(passwd)) << passwd;
  absl::Status secret = GetString(*client_, "secret_link").status();
  EXPECT_TRUE(absl::IsPermissionDenied(secret)) << secret;
  EXPECT_EQ(secret.message(),
            "download \"secret_link\": leads outside the served root (through a symlink)");
  absl::Status etc = client_->List("etc").status();
  EXPECT_TRUE(absl::IsPermissionDenied(etc)) << etc;

  // The listing shows the links but reveals nothing about their targets.
  absl::StatusOr<std::vector<ListEntry>> entries = client_->List("");
  ASSERT_TRUE(entries.ok()) << entries.status();
  for (const ListEntry& entry : *entries) {
    EXPECT_EQ(entry.type, ListEntry::Type::kOther) << entry.name;
    EXPECT_EQ(entry.size, 0u) << entry.name;
  }

  // Uploading over a link (overwrite is on here) replaces the link itself, never its target.
  ASSERT_TRUE(PutString(*client_, "secret_link", "replaced").ok());
  EXPECT_FALSE(std::filesystem::is_symlink(root_ + "/secret_link"));
  EXPECT_EQ(ReadFile(root_ + "/secret_link"), "replaced");
}

}  // namespace
}  // namespace corral::protocols::file
