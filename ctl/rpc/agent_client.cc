#include "ctl/rpc/agent_client.h"

#include <google/protobuf/message_lite.h>

#include <optional>

#include "absl/strings/numbers.h"
#include "ctl/rpc/grpc_framing.h"
#include "ctl/rpc/http2_connection.h"

namespace corral::ctl::rpc {
namespace {

// gRPC C++'s own default for what a client accepts in one message is 4 MiB; a long log tail or
// a stats report of every worker may pass that, and nothing here needs a tighter bound.
constexpr size_t kMaxMessageBytes = 64 << 20;

// The status of an ended call, from its response fields (grpc-status may come in the headers,
// for a call that fails at once, or in the trailers).
absl::Status EndedCallStatus(const Http2Connection::Response& response) {
  int http_status = 0;
  std::optional<int> grpc_status;
  std::string_view grpc_message;
  for (const auto& [name, value] : response.headers) {
    if (name == ":status") {
      (void)absl::SimpleAtoi(value, &http_status);
    } else if (name == "grpc-status") {
      int code;
      if (absl::SimpleAtoi(value, &code)) grpc_status = code;
    } else if (name == "grpc-message") {
      grpc_message = value;
    }
  }
  if (!grpc_status && response.reset_code != 0) return StatusForReset(response.reset_code);
  return CallStatus(http_status, grpc_status, grpc_message);
}

}  // namespace

AgentClient::AgentClient(std::string target) : target_(std::move(target)) {}

AgentClient::~AgentClient() = default;

absl::Status AgentClient::Run(std::string_view path, const google::protobuf::MessageLite& request,
                              google::protobuf::MessageLite* message, absl::Time deadline,
                              absl::FunctionRef<bool()> on_message) {
  if (connection_ == nullptr || connection_->broken()) {
    connection_.reset();
    absl::StatusOr<std::unique_ptr<Http2Connection>> opened =
        Http2Connection::Open(target_, deadline);
    if (!opened.ok()) return opened.status();
    connection_ = *std::move(opened);
  }
  Http2Connection::Headers headers = {
      {"content-type", "application/grpc"}, {"te", "trailers"}, {"user-agent", "corralctl"}};
  if (deadline != absl::InfiniteFuture()) {
    headers.emplace_back("grpc-timeout", TimeoutHeader(deadline - absl::Now()));
  }
  if (absl::Status submitted = connection_->Submit(path, headers, FrameMessage(request));
      !submitted.ok()) {
    return submitted;
  }

  MessageAssembler assembler(kMaxMessageBytes);
  std::string bytes;
  Http2Connection::Response& response = connection_->response();
  for (;;) {
    if (absl::Status pumped = connection_->Pump(deadline); !pumped.ok()) {
      connection_->Cancel();
      return pumped;
    }
    assembler.Append(response.data);
    response.data.clear();
    for (;;) {
      absl::StatusOr<bool> complete = assembler.Next(&bytes);
      if (!complete.ok()) {
        connection_->Cancel();
        return complete.status();
      }
      if (!*complete) break;
      if (!message->ParseFromString(bytes)) {
        connection_->Cancel();
        return absl::InternalError("the agent sent a message that does not parse as " +
                                   message->GetTypeName());
      }
      if (!on_message()) {
        connection_->Cancel();
        return absl::OkStatus();
      }
    }
    if (response.closed) break;
  }
  absl::Status status = EndedCallStatus(response);
  if (status.ok() && !assembler.empty()) {
    return absl::InternalError("the agent ended the call inside a message");
  }
  return status;
}

}  // namespace corral::ctl::rpc
