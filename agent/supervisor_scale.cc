// Scale (issue 22 item 5): more or fewer instances of a RUNNING server while it serves. New
// instances start on the sockets the agent holds and count once READY; the highest-indexed
// ones go the way a reload's old processes go (SIGTERM: corral-server stops accepting, closes
// idle keep-alive connections and answers in-flight requests with Connection: close). Pool size
// and hubs are corral-server's own: they change by a rolling reload with the new value.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "agent/server_record.h"
#include "agent/supervisor.h"
#include "spdlog/spdlog.h"
#include "spec/spec_validation.h"

namespace corral::agent {

void Supervisor::Scale(const v1::ScaleRequest& request, ServerCallback done) {
  if (request.to_case() == v1::ScaleRequest::kInstances) {
    return ScaleInstances(request.name(), request.instances(), std::move(done));
  }
  if (closing_) return done(ShuttingDown());
  Record* record = Find(request.name());
  if (record == nullptr) return done(NotFound());
  v1::ServerSpec spec = record->spec;
  switch (request.to_case()) {
    case v1::ScaleRequest::kPoolSize:
      spec.set_pool_size(request.pool_size());
      break;
    case v1::ScaleRequest::kHubs:
      spec.set_hubs(request.hubs());
      break;
    default:
      return done(
          absl::InvalidArgumentError(absl::StrCat("scale of ", request.name(),
                                                  ": say what to scale: instances, pool_size "
                                                  "or hubs")));
  }
  Reload(request.name(), &spec, std::move(done));
}

void Supervisor::ScaleInstances(const std::string& name, uint32_t instances, ServerCallback done) {
  if (closing_) return done(ShuttingDown());
  Record* record = Find(name);
  if (record == nullptr) return done(NotFound());
  if (record->removing) return done(absl::AbortedError("the server is being removed"));
  if (record->reload != nullptr || !record->draining.empty()) {
    return done(absl::FailedPreconditionError(absl::StrCat(
        "scale of ", name, ": a reload or a scale-down is under way; wait for it to end")));
  }
  v1::ServerSpec spec = record->spec;
  spec.set_instances(instances);
  absl::StatusOr<v1::ServerSpec> valid = spec::ValidateSpec(spec);
  if (!valid.ok()) return done(valid.status());
  if (instances == 0) {
    return done(absl::InvalidArgumentError(absl::StrCat(
        "scale of ", name, ": at least 1 instance; `corralctl stop ", name, "` stops them all")));
  }
  for (const auto& instance : record->instances) {
    if (instance->state != ServerState::kRunning) {
      return done(absl::FailedPreconditionError(
          absl::StrCat("scale of ", name, ": instance ", instance->index, " is ",
                       std::string(StateName(instance->state)), ", not RUNNING")));
    }
  }
  const uint32_t current = static_cast<uint32_t>(record->instances.size());
  if (instances == current) return done(ToProto(*record));
  if (instances > current) return ScaleUp(*record, instances, std::move(done));
  ScaleDown(*record, instances, std::move(done));
}

void Supervisor::ScaleUp(Record& record, uint32_t instances, ServerCallback done) {
  const uint32_t before = static_cast<uint32_t>(record.instances.size());
  std::vector<uint64_t> added;
  for (uint32_t i = before; i < instances; ++i) {
    record.instances.push_back(std::make_unique<Instance>());
    record.instances.back()->index = i;
    record.instances.back()->serial = next_id_++;
    added.push_back(record.instances.back()->serial);
  }
  record.spec.set_instances(instances);
  SaveStateOrWarn();
  spdlog::info("server \"{}\": scaling from {} to {} instances", record.spec.name(), before,
               instances);
  auto is_added = [added](const Instance& i) {
    return std::find(added.begin(), added.end(), i.serial) != added.end();
  };
  WhenSettled(
      record,
      [is_added](const Record& r) {
        for (const auto& i : r.instances) {
          if (is_added(*i) && i->state == ServerState::kStarting) return false;
        }
        return true;
      },
      [this, name = record.spec.name(), id = record.id, before, instances, is_added,
       done](absl::Status cut) {
        if (!cut.ok()) return done(cut);
        Record* r = Find(name, id);
        if (r == nullptr) return done(NotFound());
        std::string failed;
        for (const auto& i : r->instances) {
          if (is_added(*i) && i->state != ServerState::kRunning && failed.empty()) {
            failed = absl::StrCat("instance ", i->index, ": ",
                                  i->reason.empty() ? std::string(StateName(i->state)) : i->reason);
          }
        }
        if (failed.empty()) {
          Publish(*r, nullptr, v1::Event::SCALED,
                  absl::StrCat(instances, " instances (were ", before, ")"));
          return done(ToProto(*r));
        }
        // Back to the count that served: the new instances go, the old ones never stopped.
        const absl::Status why = absl::AbortedError(
            absl::StrCat("scale of ", name, " to ", instances, " failed: ", failed, "; it keeps ",
                         before, " instance(s)"));
        ScaleDown(*r, before, [done, why](absl::StatusOr<v1::Server>) { done(why); });
      });
  for (uint64_t serial : added) {
    Instance* instance = Find(record.spec.name(), record.id, serial);
    if (instance != nullptr) Dispatch(record, *instance, ServerEvent::kStartRequested);
  }
}

void Supervisor::ScaleDown(Record& record, uint32_t instances, ServerCallback done) {
  const uint32_t before = static_cast<uint32_t>(record.instances.size());
  std::vector<uint64_t> leaving;
  std::vector<Instance*> to_stop;
  while (record.instances.size() > instances) {
    std::unique_ptr<Instance> last = std::move(record.instances.back());
    record.instances.pop_back();
    last->role = Instance::Role::kDraining;
    leaving.push_back(last->serial);
    // A process, or a restart pending: stopped and drained. Nothing pending: it just goes.
    if (last->pid != 0 || last->state == ServerState::kBackoff) to_stop.push_back(last.get());
    record.draining.push_back(std::move(last));
  }
  record.spec.set_instances(instances);
  SaveStateOrWarn();
  spdlog::info("server \"{}\": scaling from {} to {} instances", record.spec.name(), before,
               instances);
  WhenSettled(
      record,
      [leaving](const Record& r) {
        for (const auto& d : r.draining) {
          if (std::find(leaving.begin(), leaving.end(), d->serial) != leaving.end()) return false;
        }
        return true;
      },
      [this, name = record.spec.name(), id = record.id, before, instances, done](absl::Status cut) {
        if (!cut.ok()) return done(cut);
        Record* r = Find(name, id);
        if (r == nullptr) return done(NotFound());
        Publish(*r, nullptr, v1::Event::SCALED,
                absl::StrCat(instances, " instance(s) (were ", before, ")"));
        done(ToProto(*r));
      });
  // Gone at once when nothing runs (a new instance that never started); else drained.
  std::erase_if(record.draining, [&](const auto& d) {
    return std::find(leaving.begin(), leaving.end(), d->serial) != leaving.end() &&
           std::find(to_stop.begin(), to_stop.end(), d.get()) == to_stop.end();
  });
  for (Instance* instance : to_stop) {
    if (instance->pid != 0) {
      Publish(record, instance, v1::Event::DRAINING,
              absl::StrCat("pid ", instance->pid, " drains (scale to ", instances, ")"));
    }
    Dispatch(record, *instance, ServerEvent::kStopRequested);
  }
  FireSettledWaiters(record);
}

}  // namespace corral::agent
