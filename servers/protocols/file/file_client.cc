#include "servers/protocols/file/file_client.h"

#include <algorithm>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "servers/protocols/file/decimal.h"
#include "servers/protocols/file/request.h"

namespace corral::protocols::file {
namespace {

// Replies can be longer than requests: an ERR message quotes the escaped path (up to three
// times the request's length) and LIST lines carry escaped names.
constexpr size_t kMaxReplyLine = 64 * 1024;
constexpr size_t kChunk = 64 * 1024;

}  // namespace

FileClient::FileClient(net::Stream& stream, std::chrono::milliseconds timeout)
    : stream_(stream), timeout_(timeout), reader_(stream, kMaxReplyLine) {}

absl::Status FileClient::Broken(absl::Status status) {
  broken_ = true;
  last_error_was_refusal_ = false;
  return status;
}

absl::Status FileClient::Refused(const Reply& reply) {
  last_error_was_refusal_ = true;
  return StatusFromReply(reply);
}

absl::Status FileClient::SendRequest(const std::string& line) {
  last_error_was_refusal_ = false;
  if (broken_) {
    return absl::FailedPreconditionError("connection unusable after an earlier failure");
  }
  absl::Status sent = stream_.WriteAll(line.data(), line.size(), Deadline());
  if (!sent.ok()) {
    return Broken(
        absl::Status(sent.code(), absl::StrCat("send request: ", std::string(sent.message()))));
  }
  return absl::OkStatus();
}

absl::StatusOr<Reply> FileClient::ReadReply() {
  absl::StatusOr<std::optional<std::string_view>> line = reader_.ReadLine(Deadline());
  if (!line.ok()) {
    return Broken(absl::Status(line.status().code(),
                               absl::StrCat("read reply: ", std::string(line.status().message()))));
  }
  if (!line->has_value()) return Broken(absl::UnavailableError("server closed the connection"));
  absl::StatusOr<Reply> reply = ParseReply(**line);
  if (!reply.ok()) return Broken(reply.status());
  return reply;
}

absl::StatusOr<uint64_t> FileClient::NumberIn(const Reply& reply) {
  std::optional<uint64_t> number = ParseDecimal(reply.text);
  if (reply.kind != Reply::Kind::kOk || !number) {
    return Broken(absl::InternalError("unexpected reply: expected OK followed by a number"));
  }
  return *number;
}

absl::StatusOr<std::vector<ListEntry>> FileClient::List(std::string_view directory) {
  if (absl::Status sent =
          SendRequest(FormatRequest({Request::Verb::kList, std::string(directory)}));
      !sent.ok()) {
    return sent;
  }
  absl::StatusOr<Reply> reply = ReadReply();
  if (!reply.ok()) return reply.status();
  if (reply->kind == Reply::Kind::kError) return Refused(*reply);
  absl::StatusOr<uint64_t> count = NumberIn(*reply);
  if (!count.ok()) return count.status();
  std::vector<ListEntry> entries;
  for (uint64_t i = 0; i < *count; ++i) {
    absl::StatusOr<std::optional<std::string_view>> line = reader_.ReadLine(Deadline());
    if (!line.ok()) return Broken(line.status());
    if (!line->has_value()) return Broken(absl::UnavailableError("server closed mid-listing"));
    absl::StatusOr<ListEntry> entry = ParseListEntry(**line);
    if (!entry.ok()) return Broken(entry.status());
    entries.push_back(*std::move(entry));
  }
  return entries;
}

absl::StatusOr<uint64_t> FileClient::Get(std::string_view path, Sink sink) {
  if (absl::Status sent = SendRequest(FormatRequest({Request::Verb::kGet, std::string(path)}));
      !sent.ok()) {
    return sent;
  }
  absl::StatusOr<Reply> reply = ReadReply();
  if (!reply.ok()) return reply.status();
  if (reply->kind == Reply::Kind::kError) return Refused(*reply);
  absl::StatusOr<uint64_t> size = NumberIn(*reply);
  if (!size.ok()) return size.status();

  std::unique_ptr<char[]> buffer(new char[kChunk]);
  for (uint64_t received = 0; received < *size;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(*size - received, kChunk));
    absl::StatusOr<size_t> n = reader_.ReadSome(buffer.get(), want, Deadline());
    if (!n.ok()) return Broken(n.status());
    if (*n == 0) {
      return Broken(absl::UnavailableError(
          absl::StrCat("server closed the connection after ", received, " of ", *size,
                       " bytes (the file changed while being sent, or the server failed)")));
    }
    if (absl::Status taken = sink(buffer.get(), *n); !taken.ok()) return Broken(taken);
    received += *n;
  }
  return *size;
}

absl::Status FileClient::Put(std::string_view path, uint64_t size, Source source) {
  Request request{Request::Verb::kPut, std::string(path), size};
  if (absl::Status sent = SendRequest(FormatRequest(request)); !sent.ok()) return sent;
  absl::StatusOr<Reply> reply = ReadReply();
  if (!reply.ok()) return reply.status();
  if (reply->kind == Reply::Kind::kError) return Refused(*reply);
  if (reply->kind != Reply::Kind::kContinue) {
    return Broken(absl::InternalError("unexpected reply to PUT: expected CONTINUE or ERR"));
  }

  std::unique_ptr<char[]> buffer(new char[kChunk]);
  for (uint64_t sent = 0; sent < size;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(size - sent, kChunk));
    absl::StatusOr<size_t> n = source(buffer.get(), want);
    if (!n.ok()) return Broken(n.status());
    if (*n == 0) {
      return Broken(
          absl::DataLossError(absl::StrCat("the source ended after ", sent, " of ", size,
                                           " bytes (did the file shrink?); upload abandoned")));
    }
    absl::Status written = stream_.WriteAll(buffer.get(), *n, Deadline());
    if (!written.ok()) return Broken(written);
    sent += *n;
  }
  absl::StatusOr<Reply> done = ReadReply();
  if (!done.ok()) return done.status();
  if (done->kind == Reply::Kind::kError) return Refused(*done);
  absl::StatusOr<uint64_t> stored = NumberIn(*done);
  if (!stored.ok()) return stored.status();
  if (*stored != size) {
    return Broken(
        absl::InternalError(absl::StrCat("server stored ", *stored, " bytes instead of ", size)));
  }
  return absl::OkStatus();
}

absl::Status FileClient::Quit() {
  if (absl::Status sent = SendRequest(FormatRequest({Request::Verb::kQuit, ""})); !sent.ok()) {
    return sent;
  }
  absl::StatusOr<Reply> reply = ReadReply();
  if (!reply.ok()) return reply.status();
  if (reply->kind == Reply::Kind::kError) return Refused(*reply);
  return absl::OkStatus();
}

}  // namespace corral::protocols::file
