#include "spec/spec_kinds.h"

namespace corral::spec {

std::optional<ProtocolKind> ProtocolFromProto(v1::Protocol protocol) {
  switch (protocol) {
    case v1::PROTOCOL_TCP_ECHO:
      return ProtocolKind::kTcpEcho;
    case v1::PROTOCOL_UDP_ECHO:
      return ProtocolKind::kUdpEcho;
    case v1::PROTOCOL_HTTP:
      return ProtocolKind::kHttp;
    case v1::PROTOCOL_FILE:
      return ProtocolKind::kFile;
    case v1::PROTOCOL_TCP:
      return ProtocolKind::kTcp;
    case v1::PROTOCOL_UDP:
      return ProtocolKind::kUdp;
    default:
      return std::nullopt;
  }
}

std::optional<ModelKind> ModelFromProto(v1::Model model) {
  switch (model) {
    case v1::MODEL_FORK:
      return ModelKind::kFork;
    case v1::MODEL_THREAD:
      return ModelKind::kThread;
    case v1::MODEL_COROUTINE:
      return ModelKind::kCoroutine;
    default:
      return std::nullopt;
  }
}

v1::Protocol ProtocolToProto(ProtocolKind kind) {
  switch (kind) {
    case ProtocolKind::kTcpEcho:
      return v1::PROTOCOL_TCP_ECHO;
    case ProtocolKind::kUdpEcho:
      return v1::PROTOCOL_UDP_ECHO;
    case ProtocolKind::kHttp:
      return v1::PROTOCOL_HTTP;
    case ProtocolKind::kFile:
      return v1::PROTOCOL_FILE;
    case ProtocolKind::kTcp:
      return v1::PROTOCOL_TCP;
    case ProtocolKind::kUdp:
      return v1::PROTOCOL_UDP;
  }
  return v1::PROTOCOL_UNSPECIFIED;
}

v1::Model ModelToProto(ModelKind kind) {
  switch (kind) {
    case ModelKind::kFork:
      return v1::MODEL_FORK;
    case ModelKind::kThread:
      return v1::MODEL_THREAD;
    case ModelKind::kCoroutine:
      return v1::MODEL_COROUTINE;
  }
  return v1::MODEL_UNSPECIFIED;
}

}  // namespace corral::spec
