#include "ctl/rpc/grpc_framing.h"

#include <google/protobuf/message_lite.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "servers/protocols/http/char_classes.h"  // RFC 3986 hex digits, header-only

namespace corral::ctl::rpc {
namespace {

constexpr size_t kPrefixBytes = 5;

}  // namespace

std::string FrameMessage(const google::protobuf::MessageLite& message) {
  const size_t size = message.ByteSizeLong();
  std::string framed(kPrefixBytes + size, '\0');
  framed[1] = static_cast<char>((size >> 24) & 0xff);
  framed[2] = static_cast<char>((size >> 16) & 0xff);
  framed[3] = static_cast<char>((size >> 8) & 0xff);
  framed[4] = static_cast<char>(size & 0xff);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(framed.data() + kPrefixBytes));
  return framed;
}

absl::StatusOr<bool> MessageAssembler::Next(std::string* out) {
  const size_t available = buffer_.size() - consumed_;
  if (available < kPrefixBytes) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  if (p[0] != 0) {
    return absl::InternalError("the agent sent a compressed message, which was not offered");
  }
  const size_t length = (size_t{p[1]} << 24) | (size_t{p[2]} << 16) | (size_t{p[3]} << 8) | p[4];
  if (length > max_message_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat("the agent sent a message of ", length,
                                                     " bytes; the limit is ", max_message_bytes_));
  }
  if (available < kPrefixBytes + length) return false;
  out->assign(buffer_, consumed_ + kPrefixBytes, length);
  consumed_ += kPrefixBytes + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return true;
}

std::string TimeoutHeader(absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) return "0n";
  constexpr int64_t kMaxValue = 99'999'999;  // the spec allows at most 8 digits
  struct Unit {
    absl::Duration size;
    char suffix;
  };
  constexpr Unit kUnits[] = {{absl::Nanoseconds(1), 'n'},  {absl::Microseconds(1), 'u'},
                             {absl::Milliseconds(1), 'm'}, {absl::Seconds(1), 'S'},
                             {absl::Minutes(1), 'M'},      {absl::Hours(1), 'H'}};
  for (const Unit& unit : kUnits) {
    const int64_t value = absl::ToInt64Nanoseconds(absl::Ceil(timeout, unit.size)) /
                          absl::ToInt64Nanoseconds(unit.size);
    if (value <= kMaxValue) return absl::StrCat(value, std::string(1, unit.suffix));
  }
  return absl::StrCat(kMaxValue, "H");
}

std::string PercentDecode(std::string_view encoded) {
  std::string decoded;
  decoded.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      const int high = http::HexValue(encoded[i + 1]), low = http::HexValue(encoded[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    decoded.push_back(encoded[i]);
  }
  return decoded;
}

absl::Status CallStatus(int http_status, std::optional<int> grpc_status,
                        std::string_view encoded_message) {
  if (grpc_status) {
    const int code = *grpc_status;
    if (code == 0) return absl::OkStatus();
    // Codes outside gRPC's 1-16 are UNKNOWN, as gRPC's own clients treat them.
    const auto status_code =
        code >= 1 && code <= 16 ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown;
    return absl::Status(status_code, PercentDecode(encoded_message));
  }
  absl::StatusCode code;
  switch (http_status) {
    case 400:
      code = absl::StatusCode::kInternal;
      break;
    case 401:
      code = absl::StatusCode::kUnauthenticated;
      break;
    case 403:
      code = absl::StatusCode::kPermissionDenied;
      break;
    case 404:
      code = absl::StatusCode::kUnimplemented;
      break;
    case 429:
    case 502:
    case 503:
    case 504:
      code = absl::StatusCode::kUnavailable;
      break;
    default:
      code = absl::StatusCode::kUnknown;
  }
  return absl::Status(
      code, http_status == 200
                ? std::string("the agent ended the call without a grpc-status")
                : absl::StrCat("the agent answered HTTP ", http_status, " without a grpc-status"));
}

absl::Status StatusForReset(uint32_t http2_error_code) {
  absl::StatusCode code;
  switch (http2_error_code) {
    case 0x7:  // REFUSED_STREAM: the agent did not start it; trying again is safe
      code = absl::StatusCode::kUnavailable;
      break;
    case 0x8:  // CANCEL
      code = absl::StatusCode::kCancelled;
      break;
    case 0xb:  // ENHANCE_YOUR_CALM
      code = absl::StatusCode::kResourceExhausted;
      break;
    case 0xc:  // INADEQUATE_SECURITY
      code = absl::StatusCode::kPermissionDenied;
      break;
    default:
      code = absl::StatusCode::kInternal;
  }
  return absl::Status(
      code, absl::StrCat("the agent reset the call (HTTP/2 error ", http2_error_code, ")"));
}

}  // namespace corral::ctl::rpc
