#include "tests/servers/protocols/file/served_connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "gtest/gtest.h"

namespace corral::protocols::file::testing {

ServedConnection::ServedConnection(const FileProtocol& protocol) {
  int fds[2] = {-1, -1};
  int made = ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);
  EXPECT_EQ(made, 0) << "socketpair";
  client_ = std::make_unique<net::PollingStream>(base::UniqueFd(fds[0]));
  served_future_ = served_.get_future();
  server_ = std::thread([this, &protocol, fd = fds[1]] {
    {
      net::PollingStream stream{base::UniqueFd(fd)};
      protocol.Serve(stream);
    }  // closed before reporting, so a client that saw "served" also sees EOF
    served_.set_value();
  });
}

ServedConnection::~ServedConnection() {
  client_.reset();
  server_.join();
}

bool ServedConnection::WaitServed(std::chrono::milliseconds timeout) {
  return served_future_.wait_for(timeout) == std::future_status::ready;
}

void ServedConnection::SendRaw(const std::string& bytes) {
  ASSERT_TRUE(
      client_->WriteAll(bytes.data(), bytes.size(), net::DeadlineAfter(std::chrono::seconds(10)))
          .ok());
}

absl::StatusOr<std::string> GetString(FileClient& client, std::string_view path) {
  std::string data;
  absl::StatusOr<uint64_t> size = client.Get(path, [&](const char* chunk, size_t len) {
    data.append(chunk, len);
    return absl::OkStatus();
  });
  if (!size.ok()) return size.status();
  EXPECT_EQ(*size, data.size());
  return data;
}

absl::Status PutString(FileClient& client, std::string_view path, const std::string& data) {
  size_t offset = 0;
  return client.Put(path, data.size(), [&](char* buf, size_t len) -> absl::StatusOr<size_t> {
    size_t n = std::min(len, data.size() - offset);
    std::memcpy(buf, data.data() + offset, n);
    offset += n;
    return n;
  });
}

std::string ReadRawLine(LineReader& reader) {
  absl::StatusOr<std::optional<std::string_view>> line =
      reader.ReadLine(net::DeadlineAfter(std::chrono::seconds(10)));
  if (!line.ok()) return "<ERROR " + line.status().ToString() + ">";
  if (!line->has_value()) return "<EOF>";
  return std::string(**line);
}

FileOptions TestOptions(const TempDir& root) {
  FileOptions options;
  options.root = root.path().string();
  options.idle_timeout = std::chrono::seconds(20);
  return options;
}

std::unique_ptr<FileProtocol> MakeProtocol(FileOptions options) {
  absl::StatusOr<std::unique_ptr<FileProtocol>> protocol = FileProtocol::Create(std::move(options));
  EXPECT_TRUE(protocol.ok()) << protocol.status();
  return protocol.ok() ? *std::move(protocol) : nullptr;
}

}  // namespace corral::protocols::file::testing
