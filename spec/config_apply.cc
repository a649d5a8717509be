#include "spec/config_apply.h"

#include <grpcpp/client_context.h>

#include <algorithm>
#include <atomic>
#include <sstream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "spec/config_plan.h"

namespace corral::spec {
namespace {

// Changes carried out at once within a wave (the agent spawns one process at a time anyway; this
// overlaps the waits for READY).
constexpr size_t kParallel = 16;

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

class Applier {
 public:
  Applier(v1::Agent::StubInterface& agent, const ApplyOptions& options, std::ostream& out)
      : agent_(agent), options_(options), out_(out) {}

  absl::StatusOr<std::vector<v1::ServerSpec>> LiveSpecs() {
    v1::ListResponse response;
    grpc::ClientContext context;
    SetDeadline(context);
    if (grpc::Status s = agent_.List(&context, v1::ListRequest(), &response); !s.ok()) {
      return Step("list the agent's servers", FromGrpc(s));
    }
    std::vector<v1::ServerSpec> specs;
    for (const v1::Server& server : response.servers()) specs.push_back(server.spec());
    return specs;
  }

  absl::Status Carry(const PlannedChange& change) {
    const std::string& name = change.spec.name();
    switch (change.kind) {
      case ChangeKind::kCreate:
        return Start(change.spec, "created");
      case ChangeKind::kUpdate:
      case ChangeKind::kReload:
        return Update(change.spec);
      case ChangeKind::kRemove:
        if (absl::Status s = Remove(name, /*keep_logs=*/false); !s.ok()) return s;
        out_ << "removed " << name << "\n";
        return absl::OkStatus();
    }
    return absl::OkStatus();
  }

 private:
  void SetDeadline(grpc::ClientContext& context) const {
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.step_timeout));
  }

  absl::Status Step(const std::string& what, const absl::Status& status) const {
    if (status.code() == absl::StatusCode::kDeadlineExceeded) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, ": no answer within ", absl::FormatDuration(options_.step_timeout),
                       " (a start waits for READY: see the server's ready_timeout_ms and log)"));
    }
    return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
  }

  absl::Status Start(const v1::ServerSpec& spec, const char* done) {
    const std::string what = absl::StrCat("start \"", spec.name(), "\"");
    v1::StartRequest request;
    *request.mutable_spec() = spec;
    v1::StartResponse response;
    grpc::ClientContext context;
    SetDeadline(context);
    if (grpc::Status s = agent_.Start(&context, request, &response); !s.ok()) {
      return Step(what, FromGrpc(s));
    }
    const v1::Server& server = response.server();
    if (server.state() != v1::STATE_RUNNING) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": it is ", v1::State_Name(server.state()), ", not READY",
                       server.reason().empty() ? "" : ": ", server.reason(),
                       "; the servers after it in the plan were left as they were"));
    }
    out_ << done << " " << spec.name();
    if (!server.bound_address().empty()) out_ << " (ready on " << server.bound_address() << ")";
    out_ << "\n";
    return absl::OkStatus();
  }

  // UpdateServer: at once, or through a reload (no gap; a new version that fails leaves the
  // old one serving, and ends the apply).
  absl::Status Update(const v1::ServerSpec& spec) {
    const std::string what = absl::StrCat("update \"", spec.name(), "\"");
    v1::UpdateServerRequest request;
    *request.mutable_spec() = spec;
    v1::UpdateServerResponse response;
    grpc::ClientContext context;
    SetDeadline(context);
    if (grpc::Status s = agent_.UpdateServer(&context, request, &response); !s.ok()) {
      return Step(what, FromGrpc(s));
    }
    const v1::Server& server = response.server();
    if (!response.reloaded()) {
      out_ << "updated " << spec.name() << " in place\n";
      return absl::OkStatus();
    }
    out_ << "reloaded " << spec.name();
    if (!server.bound_address().empty()) out_ << " (ready on " << server.bound_address() << ")";
    out_ << "\n";
    return absl::OkStatus();
  }

  absl::Status Remove(const std::string& name, bool keep_logs) {
    v1::RemoveRequest request;
    request.set_name(name);
    request.set_keep_logs(keep_logs);
    v1::RemoveResponse response;
    grpc::ClientContext context;
    SetDeadline(context);
    if (grpc::Status s = agent_.Remove(&context, request, &response); !s.ok()) {
      return Step(absl::StrCat("remove \"", name, "\""), FromGrpc(s));
    }
    return absl::OkStatus();
  }

  v1::Agent::StubInterface& agent_;
  const ApplyOptions& options_;
  std::ostream& out_;
};

// The waves of a plan: a change goes in the wave after the last of the changes it must follow
// (a create or update after those of its dependencies, a removal after those of its
// dependents), so every change of a wave may run at once. Removals come after every start.
std::vector<std::vector<const PlannedChange*>> Waves(const Plan& plan) {
  absl::flat_hash_map<std::string, size_t> wave_of;
  std::vector<std::vector<const PlannedChange*>> waves;
  size_t first_removal_wave = 0;
  for (const PlannedChange& change : plan.changes) {
    size_t wave = 0;
    if (change.kind != ChangeKind::kRemove) {
      for (const std::string& dependency : change.spec.depends_on()) {
        if (auto it = wave_of.find(dependency); it != wave_of.end()) {
          wave = std::max(wave, it->second + 1);
        }
      }
      first_removal_wave = std::max(first_removal_wave, wave + 1);
    } else {
      wave = first_removal_wave;
      for (const PlannedChange& other : plan.changes) {  // its dependents being removed
        if (other.kind != ChangeKind::kRemove) continue;
        for (const std::string& dependency : other.spec.depends_on()) {
          auto it = wave_of.find(other.spec.name());
          if (dependency == change.spec.name() && it != wave_of.end()) {
            wave = std::max(wave, it->second + 1);
          }
        }
      }
    }
    wave_of[change.spec.name()] = wave;
    if (waves.size() <= wave) waves.resize(wave + 1);
    waves[wave].push_back(&change);
  }
  return waves;
}

}  // namespace

absl::Status ApplyConfig(v1::Agent::StubInterface& agent, const ConfigFile& file,
                         const ApplyOptions& options, std::ostream& out) {
  absl::StatusOr<std::vector<v1::ServerSpec>> live = Applier(agent, options, out).LiveSpecs();
  if (!live.ok()) return live.status();
  std::vector<v1::ServerSpec> desired;
  for (const ConfigServer& server : file.servers) desired.push_back(server.spec);
  absl::StatusOr<Plan> plan = MakePlan(desired, *live, options.prune);
  if (!plan.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(file.path, ": ", plan.status().message()));
  }
  out << FormatPlan(*plan);
  if (options.dry_run || plan->changes.empty()) return absl::OkStatus();
  // The changes of a wave run at once, kParallel at a time: each waits on its own process's
  // READY, so a file of many independent servers takes about as long as its slowest few.
  for (const std::vector<const PlannedChange*>& wave : Waves(*plan)) {
    std::vector<std::ostringstream> outputs(wave.size());
    std::vector<absl::Status> results(wave.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < wave.size(); i = next++) {
        results[i] = Applier(agent, options, outputs[i]).Carry(*wave[i]);
      }
    };
    std::vector<std::thread> threads;
    for (size_t t = 1; t < std::min(wave.size(), kParallel); ++t) threads.emplace_back(work);
    work();
    for (std::thread& thread : threads) thread.join();
    for (const std::ostringstream& output : outputs) out << output.str();
    for (const absl::Status& result : results) {
      if (!result.ok()) return result;
    }
  }
  return absl::OkStatus();
}

}  // namespace corral::spec
