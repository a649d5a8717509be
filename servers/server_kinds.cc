#include "servers/server_kinds.h"

#include <array>
#include <utility>

namespace corral {
namespace {

constexpr std::array<std::pair<ProtocolKind, std::string_view>, 7> kProtocols = {{
    {ProtocolKind::kTcpEcho, "tcp-echo"},
    {ProtocolKind::kUdpEcho, "udp-echo"},
    {ProtocolKind::kHttp, "http"},
    {ProtocolKind::kFile, "file"},
    {ProtocolKind::kTcp, "tcp"},
    {ProtocolKind::kUdp, "udp"},
    {ProtocolKind::kExec, "exec"},
}};

constexpr std::array<std::pair<ModelKind, std::string_view>, 3> kModels = {{
    {ModelKind::kFork, "fork"},
    {ModelKind::kThread, "thread"},
    {ModelKind::kCoroutine, "coroutine"},
}};

template <typename Kind, size_t N>
std::string_view NameOf(const std::array<std::pair<Kind, std::string_view>, N>& table, Kind kind) {
  for (const auto& [k, name] : table) {
    if (k == kind) return name;
  }
  return "?";
}

template <typename Kind, size_t N>
std::optional<Kind> KindOf(const std::array<std::pair<Kind, std::string_view>, N>& table,
                           std::string_view name) {
  for (const auto& [k, n] : table) {
    if (n == name) return k;
  }
  return std::nullopt;
}

}  // namespace

const std::string& ProtocolNameList() {
  static const std::string* const list = [] {
    auto* joined = new std::string;
    for (const auto& [kind, name] : kProtocols) {
      if (!joined->empty()) joined->append(", ");
      joined->append(name);
    }
    return joined;
  }();
  return *list;
}

std::string_view ProtocolName(ProtocolKind kind) { return NameOf(kProtocols, kind); }
std::optional<ProtocolKind> ParseProtocolName(std::string_view name) {
  return KindOf(kProtocols, name);
}
std::string_view ModelName(ModelKind kind) { return NameOf(kModels, kind); }
std::optional<ModelKind> ParseModelName(std::string_view name) { return KindOf(kModels, name); }

bool IsImplemented(ProtocolKind protocol, ModelKind model) {
  (void)protocol;  // every model runs every protocol
  (void)model;
  return true;
}

bool NeedsRoot(ProtocolKind protocol) {
  return protocol == ProtocolKind::kHttp || protocol == ProtocolKind::kFile;
}

bool NeedsHandler(ProtocolKind protocol) {
  return protocol == ProtocolKind::kTcp || protocol == ProtocolKind::kUdp;
}

bool AcceptsHandler(ProtocolKind protocol) {
  return NeedsHandler(protocol) || protocol == ProtocolKind::kHttp;
}

bool IsDatagramProtocol(ProtocolKind protocol) {
  return protocol == ProtocolKind::kUdpEcho || protocol == ProtocolKind::kUdp;
}

}  // namespace corral
