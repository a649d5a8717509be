// SpecFlags: the command-line flags of ServerSpec fields, declared once for both programs that
// take them: `corralctl start` (which sends the spec to the agent) and corral-server standalone
// (which runs it). A new spec field gets its flag here, one line, and both programs have it.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "corral/v1/server.pb.h"

namespace corral::spec {

class SpecFlags {
 public:
  enum class Fields {
    // What the server does: protocol, model, listen, root, limits, timeouts (corral-server).
    kServer,
    // Those plus the agent's supervision policy: restart, backoff, logs (corralctl start).
    kServerAndSupervision,
  };

  // Adds one option per field to `app`. The options write into this object while `app` parses,
  // so it must stay where it is (not copyable) and outlive the parse.
  SpecFlags(CLI::App& app, Fields fields);
  SpecFlags(const SpecFlags&) = delete;
  SpecFlags& operator=(const SpecFlags&) = delete;

  // Whether any of these options was on the parsed command line.
  bool AnyGiven() const;

  // The spec the parsed command line describes, with `name`; fields not given are left 0 (their
  // default) and optional ones unset. INVALID_ARGUMENT for an unknown protocol, model or restart
  // policy name. Not validated: pass it to ValidateSpec.
  absl::StatusOr<v1::ServerSpec> Build(const std::string& name) const;

  // What the last Build chose that the user may not expect, one sentence each: the address a
  // --listen host name resolved to, when it had several.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  // --flag sets a numeric field through its setter.
  template <typename T>
  void Number(CLI::App& app, const std::string& flag, void (v1::ServerSpec::*set)(T),
              const std::string& help);

  // --handler and --handler-arg (the handler plugin and its init's KEY=VALUE pairs).
  void AddHandlerFlags(CLI::App& app);
  // --exec PROGRAM and --exec-arg ARG (repeated): the exec protocol's argv.
  void AddExecFlags(CLI::App& app);
  // --no-access-log (the spec's access_log).
  void AddAccessLogFlag(CLI::App& app);
  // Command servers (corralctl only): the program and its arguments, after `--`.
  void CommandFlags(CLI::App& app);
  // --health, --health-interval-ms, --health-timeout-ms, --health-failures, --memory-max
  // (corralctl only: the agent runs the probe and the guard).
  void HealthFlags(CLI::App& app);
  // --depends-on NAME (repeated; corralctl only): the spec's depends_on.
  void AddDependsOnFlag(CLI::App& app);
  // --check-ms, --max-error-rate, --max-p99-ms, --min-requests, --require-requests: the
  // rollout gates a reload applies (corralctl only: the agent runs them).
  void RolloutFlags(CLI::App& app);
  // --listen's values into spec.listen and spec.sockets.
  absl::Status PlaceListens(v1::ServerSpec& spec) const;

  v1::ServerSpec spec_;
  std::vector<std::string> listens_;
  std::vector<std::string> command_;
  const CLI::Option* listen_option_ = nullptr;
  std::vector<std::string> handler_args_;  // as given; split in Build
  std::string protocol_ = "tcp-echo";
  std::string model_ = "thread";
  std::string restart_policy_ = "always";
  std::vector<const CLI::Option*> options_;
  std::string exec_program_;
  std::vector<std::string> exec_args_;
  mutable std::vector<std::string> notes_;  // written by Build, which is otherwise const
};

}  // namespace corral::spec
