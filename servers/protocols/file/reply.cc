#include "servers/protocols/file/reply.h"

#include "absl/strings/str_cat.h"
#include "servers/protocols/file/decimal.h"

namespace corral::protocols::file {

WireCode WireCodeOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return WireCode::kBadRequest;
    case absl::StatusCode::kPermissionDenied:
      return WireCode::kForbidden;
    case absl::StatusCode::kNotFound:
      return WireCode::kNotFound;
    case absl::StatusCode::kDeadlineExceeded:
      return WireCode::kIdleTimeout;
    case absl::StatusCode::kAlreadyExists:
      return WireCode::kExists;
    case absl::StatusCode::kOutOfRange:
      return WireCode::kTooLarge;
    case absl::StatusCode::kResourceExhausted:
      return WireCode::kLineTooLong;
    default:
      return WireCode::kServerError;
  }
}

absl::StatusOr<Reply> ParseReply(std::string_view line) {
  Reply reply;
  if (line == "CONTINUE") {
    reply.kind = Reply::Kind::kContinue;
    return reply;
  }
  if (line == "OK" || line.substr(0, 3) == "OK ") {
    reply.kind = Reply::Kind::kOk;
    if (line.size() > 3) reply.text = std::string(line.substr(3));
    return reply;
  }
  if (line.substr(0, 4) == "ERR ") {
    std::string_view rest = line.substr(4);
    size_t space = rest.find(' ');
    std::optional<uint64_t> code = ParseDecimal(rest.substr(0, space));
    if (code && *code >= 100 && *code <= 999) {
      reply.kind = Reply::Kind::kError;
      reply.code = static_cast<int>(*code);
      if (space != std::string_view::npos) reply.text = std::string(rest.substr(space + 1));
      return reply;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("malformed reply \"",
                                                 std::string(line.substr(0, 80)),
                                                 "\" (expected OK, CONTINUE or ERR CODE MESSAGE)"));
}

std::string OkLine(std::string_view text) {
  if (text.empty()) return "OK\n";
  return absl::StrCat("OK ", std::string(text), "\n");
}

std::string ContinueLine() { return "CONTINUE\n"; }

std::string ErrorLine(const absl::Status& status) {
  std::string message(status.message());
  for (char& c : message) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = '?';
  }
  return absl::StrCat("ERR ", static_cast<int>(WireCodeOf(status)), " ", message, "\n");
}

absl::Status StatusFromReply(const Reply& reply) {
  absl::StatusCode code;
  switch (reply.code) {
    case 400:
      code = absl::StatusCode::kInvalidArgument;
      break;
    case 403:
      code = absl::StatusCode::kPermissionDenied;
      break;
    case 404:
      code = absl::StatusCode::kNotFound;
      break;
    case 408:
      code = absl::StatusCode::kDeadlineExceeded;
      break;
    case 409:
      code = absl::StatusCode::kAlreadyExists;
      break;
    case 413:
      code = absl::StatusCode::kOutOfRange;
      break;
    case 414:
      code = absl::StatusCode::kResourceExhausted;
      break;
    default:
      code = reply.code >= 400 && reply.code < 500 ? absl::StatusCode::kInvalidArgument
                                                   : absl::StatusCode::kInternal;
  }
  return absl::Status(code, reply.text);
}

}  // namespace corral::protocols::file
