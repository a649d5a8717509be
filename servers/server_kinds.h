// The names of protocols and models, shared by the spec flags of corral-server and corralctl
// (spec/spec_flags.h), the scoreboard and the logs. One table, so they can never disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral {

// kTcp and kUdp: a handler plugin (ServerSpec.handler) serves the connections or datagrams.
enum class ProtocolKind { kTcpEcho, kUdpEcho, kHttp, kFile, kTcp, kUdp, kExec };
enum class ModelKind { kFork, kThread, kCoroutine };

// "tcp-echo", "udp-echo", "http", "file", "tcp", "udp", "exec".
// kExec: each connection runs a program (inetd mode).
std::string_view ProtocolName(ProtocolKind kind);
std::optional<ProtocolKind> ParseProtocolName(std::string_view name);
// Every protocol name, comma-separated, for "use one of ..." messages.
const std::string& ProtocolNameList();

// "fork", "thread", "coroutine".
std::string_view ModelName(ModelKind kind);
std::optional<ModelKind> ParseModelName(std::string_view name);

// Whether this protocol x model pair is built. Asking for one that is not is an UNIMPLEMENTED
// error, never a crash.
bool IsImplemented(ProtocolKind protocol, ModelKind model);

// Whether the protocol serves files from a root directory (http, file).
bool NeedsRoot(ProtocolKind protocol);

// Whether a handler plugin serves the protocol: always for tcp and udp, optionally (its routes)
// for http; never for the other built-in ones.
bool NeedsHandler(ProtocolKind protocol);
bool AcceptsHandler(ProtocolKind protocol);

// Whether the protocol receives datagrams (udp-echo, udp) rather than connections.
bool IsDatagramProtocol(ProtocolKind protocol);

}  // namespace corral
