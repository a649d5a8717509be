#include "ctl/server_format.h"

#include <string.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "ctl/instance_format.h"

namespace corral::ctl {
namespace {

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// The enum value's name without its prefix, lower-cased with dashes: PROTOCOL_TCP_ECHO ->
// tcp-echo.
std::string EnumLabel(const std::string& full, const std::string& prefix) {
  std::string label = full.substr(std::min(prefix.size(), full.size()));
  return absl::StrReplaceAll(absl::AsciiStrToLower(label), {{"_", "-"}});
}

std::string Uptime(const v1::Server& server, absl::Time now) {
  if (server.pid() == 0 || !server.has_start_time()) return "-";
  return ShortDuration(now - FromTimestamp(server.start_time()));
}

void AddHandlerFields(const v1::ServerSpec& spec,
                      std::vector<std::pair<std::string, std::string>>& fields) {
  fields.push_back({"handler", spec.handler()});
  // A map's order is unspecified; the handler gets them in key order, so show them so.
  std::map<std::string, std::string> args(spec.handler_args().begin(), spec.handler_args().end());
  for (const auto& [key, value] : args) fields.push_back({"handler arg", key + "=" + value});
}

}  // namespace

// A validated spec leaves protocol and model unset only for a command server (any program).
std::string ProtocolLabel(v1::Protocol protocol) {
  if (protocol == v1::PROTOCOL_UNSPECIFIED) return "command";
  return EnumLabel(v1::Protocol_Name(protocol), "PROTOCOL_");
}
std::string ProtocolLabel(v1::Protocol protocol, const std::string& handler) {
  if (handler.empty()) return ProtocolLabel(protocol);
  return absl::StrCat(ProtocolLabel(protocol), "(", handler, ")");
}
std::string HandlerStem(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}
std::string ModelLabel(v1::Model model) {
  if (model == v1::MODEL_UNSPECIFIED) return "-";
  return EnumLabel(v1::Model_Name(model), "MODEL_");
}
std::string PolicyLabel(v1::RestartPolicy policy) {
  if (policy == v1::RESTART_POLICY_UNSPECIFIED) return "always";
  return EnumLabel(v1::RestartPolicy_Name(policy), "RESTART_");
}
std::string StateLabel(v1::State state) {
  return absl::AsciiStrToUpper(EnumLabel(v1::State_Name(state), "STATE_"));
}

std::string ShortDuration(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s <= 0) return d > absl::ZeroDuration() ? "0s" : "-";
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm", s / 3600, s % 3600 / 60);
  return absl::StrFormat("%dd%02dh", s / 86400, s % 86400 / 3600);
}

namespace {

std::string ExitStatusLabel(const v1::ExitStatus& exit) {
  if (exit.how_case() == v1::ExitStatus::kUnknown) return "unknown (adopted)";
  if (exit.how_case() == v1::ExitStatus::kSignal) {
    const char* abbrev = sigabbrev_np(exit.signal());
    return absl::StrCat("signal ", exit.signal(),
                        abbrev != nullptr ? absl::StrCat(" (SIG", abbrev, ")") : "");
  }
  return absl::StrCat("code ", exit.code());
}

}  // namespace

std::string ExitLabel(const v1::Server& server) {
  if (!server.has_last_exit()) return "-";
  return ExitStatusLabel(server.last_exit());
}

std::string NextStartLabel(const v1::Server& server, absl::Time now) {
  if (!server.has_next_start_time()) return "-";
  absl::Duration left = FromTimestamp(server.next_start_time()) - now;
  if (left < absl::Seconds(1)) {
    return absl::StrFormat("in %.1fs", std::max(0.0, absl::ToDoubleSeconds(left)));
  }
  return "in " + ShortDuration(left);
}

std::string FormatEvent(const v1::Event& event) {
  std::string kind = v1::Event::Kind_Name(event.kind());
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", FromTimestamp(event.time()), absl::UTCTimeZone()),
      "  ", event.name(), "  ", kind);
  if (event.instance() != 0) absl::StrAppend(&line, "  instance ", event.instance());
  if (event.pid() != 0) absl::StrAppend(&line, "  pid ", event.pid());
  if (event.kind() == v1::Event::READY || event.kind() == v1::Event::ADOPTED) {
    absl::StrAppend(&line, "  on ", event.bound_address());
  }
  if (event.has_exit()) absl::StrAppend(&line, "  ", ExitStatusLabel(event.exit()));
  if (event.kind() == v1::Event::BACKOFF) {
    absl::StrAppend(&line, "  restart at ",
                    absl::FormatTime("%H:%M:%E3SZ", FromTimestamp(event.next_start_time()),
                                     absl::UTCTimeZone()));
  }
  if (!event.reason().empty()) absl::StrAppend(&line, "  ", event.reason());
  if (event.dropped_before() != 0) {
    absl::StrAppend(&line, "  (", event.dropped_before(),
                    " earlier events dropped: reading too slowly)");
  }
  return line;
}

std::string FormatServerTable(const std::vector<v1::Server>& servers, absl::Time now) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATE", "PROTOCOL", "MODEL", "ADDRESS",
                                                 "PID", "UPTIME", "RESTARTS", "FAILS", "NEXT",
                                                 "LAST-EXIT", "REASON"}};
  for (const v1::Server& s : servers) {
    const std::string address = s.bound_address().empty() ? s.spec().listen() : s.bound_address();
    rows.push_back({s.spec().name(), ServerStateLabel(s),
                    ProtocolLabel(s.spec().protocol(), HandlerStem(s.spec().handler())),
                    ModelLabel(s.spec().model()), address.empty() ? "-" : address,
                    s.pid() != 0 ? absl::StrCat(s.pid()) : "-", Uptime(s, now),
                    absl::StrCat(s.restarts()), absl::StrCat(s.consecutive_failures()),
                    NextStartLabel(s, now), ExitLabel(s), s.reason().empty() ? "" : s.reason()});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    absl::StripTrailingAsciiWhitespace(&line);
    out += line + "\n";
  }
  return out;
}

namespace {

// A command server's own fields replace corral-server's serving ones (protocol, model, workers,
// idle timeout), which it does not have.
void AddCommandFields(const v1::Server& s,
                      std::vector<std::pair<std::string, std::string>>& fields) {
  const v1::ServerSpec& spec = s.spec();
  const std::set<std::string> serving = {"protocol", "model", "listen", "max workers",
                                         "idle timeout"};
  std::erase_if(fields, [&serving](const auto& field) { return serving.contains(field.first); });
  fields.insert(fields.begin() + 2, {"command", absl::StrJoin(spec.command(), " ")});
  fields.push_back({"ready", spec.ready()});
  if (!spec.cwd().empty()) fields.push_back({"cwd", spec.cwd()});
  if (spec.has_umask()) fields.push_back({"umask", absl::StrFormat("%04o", spec.umask())});
  if (spec.max_open_files() != 0) {
    fields.push_back({"open files", absl::StrCat("at most ", spec.max_open_files())});
  }
  if (!spec.env_file().empty()) fields.push_back({"env file", spec.env_file()});
  for (const std::string& entry : spec.env()) fields.push_back({"env", entry});
}

}  // namespace

std::string FormatServerDetail(const v1::Server& s, absl::Time now) {
  const v1::ServerSpec& spec = s.spec();
  std::vector<std::pair<std::string, std::string>> fields = {
      {"name", spec.name()},
      {"state", StateLabel(s.state())},
      {"reason", s.reason().empty() ? "-" : s.reason()},
      {"protocol", ProtocolLabel(spec.protocol(), HandlerStem(spec.handler()))},
      {"model", ModelLabel(spec.model())},
      {"listen", spec.listen()},
      {"bound address", s.bound_address().empty() ? "-" : s.bound_address()},
      {"pid", s.pid() != 0 ? absl::StrCat(s.pid()) : "-"},
      {"uptime", Uptime(s, now)},
      {"restarts", absl::StrCat(s.restarts())},
      {"failures",
       absl::StrCat(s.consecutive_failures(), " in a row (fatal at ", spec.max_failures(), ")")},
      {"next start", NextStartLabel(s, now)},
      {"last exit", ExitLabel(s)},
      {"adopted", s.adopted() ? "yes" : "no"},
      {"status", s.status().empty() ? "-" : s.status()},
      {"user", spec.user().empty() ? "the agent's" : spec.user()},
      {"group", spec.group().empty() ? "the user's" : spec.group()},
      {"restart", PolicyLabel(spec.restart_policy())},
      {"backoff", absl::StrCat(spec.backoff_initial_ms(), " ms doubling to ", spec.backoff_max_ms(),
                               " ms; stable after ", spec.stable_after_ms(), " ms")},
      {"ready timeout", absl::StrCat(spec.ready_timeout_ms(), " ms")},
      {"log", absl::StrCat("rotated at ", spec.log_max_bytes(), " bytes, ", spec.log_keep_files(),
                           " kept")},
      {"max workers", absl::StrCat(spec.max_workers())},
      {"stop timeout", absl::StrCat(spec.stop_timeout_ms(), " ms")},
      {"idle timeout", absl::StrCat(spec.idle_timeout_ms(), " ms")},
  };
  if (spec.command_size() > 0) AddCommandFields(s, fields);
  AddInstanceFields(s, now, fields);
  if (!spec.root().empty()) fields.push_back({"root", spec.root()});
  if (spec.pool_size() != 0) fields.push_back({"pool size", absl::StrCat(spec.pool_size())});
  if (spec.hubs() != 0) fields.push_back({"hubs", absl::StrCat(spec.hubs())});
  if (!spec.handler().empty()) AddHandlerFields(spec, fields);
  if (spec.protocol() == v1::PROTOCOL_FILE) {
    fields.push_back({"overwrite", spec.allow_overwrite() ? "allowed" : "refused"});
  }
  // Every socket the agent holds (the first one's address is the bound address).
  for (const v1::ListenSocket& socket : s.sockets()) {
    fields.push_back({"socket", absl::StrCat(socket.name(), " ", socket.udp() ? "udp " : "tcp ",
                                             socket.address())});
  }
  std::string out;
  for (const auto& [key, value] : fields) {
    out += absl::StrFormat("%-14s %s\n", key + ":", value);
  }
  return out;
}

}  // namespace corral::ctl
