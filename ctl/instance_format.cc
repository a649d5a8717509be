#include "ctl/instance_format.h"

#include "absl/strings/str_cat.h"
#include "ctl/server_format.h"

namespace corral::ctl {

std::string ServerStateLabel(const v1::Server& server) {
  std::string label = StateLabel(server.state());
  if (server.instances_size() > 1) {
    int ready = 0;
    for (const v1::Instance& instance : server.instances()) ready += instance.ready() ? 1 : 0;
    absl::StrAppend(&label, " ", ready, "/", server.instances_size());
  }
  if (server.reloading()) absl::StrAppend(&label, " reloading");
  return label;
}

void AddInstanceFields(const v1::Server& server, absl::Time now,
                       std::vector<std::pair<std::string, std::string>>& fields) {
  if (server.reloading()) fields.push_back({"reload", server.reload_step()});
  if (!server.last_reload().empty()) fields.push_back({"last reload", server.last_reload()});
  if (server.instances_size() <= 1) return;
  for (const v1::Instance& instance : server.instances()) {
    std::string line = absl::StrCat(instance.index(), ": ", StateLabel(instance.state()));
    if (instance.pid() != 0) {
      const absl::Time started = absl::FromUnixSeconds(instance.start_time().seconds()) +
                                 absl::Nanoseconds(instance.start_time().nanos());
      absl::StrAppend(&line, "  pid ", instance.pid(), "  up ", ShortDuration(now - started));
    }
    absl::StrAppend(&line, "  restarts ", instance.restarts());
    if (instance.has_last_exit()) {
      v1::Server exited;  // ExitLabel reads a Server's last exit
      *exited.mutable_last_exit() = instance.last_exit();
      absl::StrAppend(&line, "  last exit ", ExitLabel(exited));
    }
    if (instance.adopted()) absl::StrAppend(&line, "  adopted");
    if (!instance.reason().empty()) absl::StrAppend(&line, "  ", instance.reason());
    fields.push_back({"instance", line});
  }
}

}  // namespace corral::ctl
