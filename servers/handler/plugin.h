// Plugin: one handler plugin (a shared object exporting corral_handler_entry), loaded and
// initialised once by corral-server before any worker starts, so forked workers inherit it and
// threads share it. Every way a plugin can be unusable is a FAILED_PRECONDITION whose message
// reads "load handler PATH: REASON" (not found, not a shared object, no entry point, an ABI
// version this build does not support, a bad name, a missing serve function, an unknown
// handler-arg, its init's own error): corral-server reports it as its FAILED readiness and exits
// 78, so the agent does not restart a server that cannot start.
//
// Never unloaded: a worker cut at the drain deadline may still run the plugin's code while the
// process exits, so the mapping stays until the process ends.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "corral/handler.h"
#include "servers/server_kinds.h"

namespace corral::handler {

class Plugin {
 public:
  // Loads `path`, checks that it can serve `protocol` (tcp: serve_stream, udp: serve_datagram,
  // http: add_routes) and accepts every key of `args`, then runs its init with the host table
  // (host_table.h) and `args` in key order. Call once per process, before any worker exists.
  static absl::StatusOr<std::unique_ptr<Plugin>> Load(
      const std::string& path, const std::map<std::string, std::string>& args,
      ProtocolKind protocol);

  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;
  // Does not call fini (see Fini) nor unload.
  ~Plugin() = default;

  // The name the plugin declares (shown by stats and top, prefixed to its log lines).
  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }

  // The plugin's entries (null where it provides none) and the state its init returned.
  // Callable from any worker at once.
  void (*serve_stream() const)(void*, corral_conn*) { return serve_stream_; }
  void (*serve_datagram() const)(void*, corral_conn*, const void*, size_t) {
    return serve_datagram_;
  }
  corral_status (*add_routes() const)(void*, corral_routes*) { return add_routes_; }
  void* state() const { return state_; }

  // Calls the plugin's fini, once: only at a clean exit, after every worker stopped.
  void Fini();

 private:
  Plugin() = default;

  std::string path_;
  std::string name_;
  void (*serve_stream_)(void*, corral_conn*) = nullptr;
  void (*serve_datagram_)(void*, corral_conn*, const void*, size_t) = nullptr;
  corral_status (*add_routes_)(void*, corral_routes*) = nullptr;
  void (*fini_)(void*) = nullptr;
  void* state_ = nullptr;
};

}  // namespace corral::handler
