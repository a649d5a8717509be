#include "spec/field_flags.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "corral/v1/server.pb.h"

namespace corral::spec {
namespace {

// Where a flag is not the field's name with dashes. Everything else follows the rule, which
// SpecFlagsTest checks against every flag SpecFlags declares.
struct Exception {
  std::string_view field, flag;
};
constexpr Exception kExceptions[] = {
    {"name", ""},  // the command's NAME argument
    {"sockets", "--listen"},
    {"restart_policy", "--restart"},
    {"log_keep_files", "--log-keep"},
    {"exec_argv", "--exec"},
    {"handler_args", "--handler-arg"},
    {"command", ""},  // the words after --
    {"receive_buffer_bytes", "--receive-buffer"},
    {"memory_max_bytes", "--memory-max"},
    {"access_log", "--no-access-log"},  // the flag turns it off
    // The rollout gates: named as the issue and `corralctl reload` name them.
    {"rollout_check_ms", "--check-ms"},
    {"rollout_max_error_rate", "--max-error-rate"},
    {"rollout_max_p99_ms", "--max-p99-ms"},
    {"rollout_min_requests", "--min-requests"},
    {"rollout_require_requests", "--require-requests"},
};

bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

}  // namespace

std::string FlagForField(std::string_view field) {
  for (const Exception& e : kExceptions) {
    if (e.field == field) return std::string(e.flag);
  }
  if (v1::ServerSpec::descriptor()->FindFieldByName(std::string(field)) == nullptr) return "";
  std::string flag = "--" + std::string(field);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string InFlagTerms(absl::string_view message) {
  std::string out(message);
  const google::protobuf::Descriptor* spec = v1::ServerSpec::descriptor();
  for (int i = 0; i < spec->field_count(); ++i) {
    const std::string& field = spec->field(i)->name();
    if (field.find('_') == std::string::npos) continue;
    const std::string flag = FlagForField(field);
    if (flag.empty()) continue;
    for (size_t at = out.find(field); at != std::string::npos; at = out.find(field, at)) {
      const size_t end = at + field.size();
      if ((at > 0 && IsWordChar(out[at - 1])) || (end < out.size() && IsWordChar(out[end]))) {
        at = end;
        continue;
      }
      out.replace(at, field.size(), flag);
      at += flag.size();
    }
  }
  return out;
}

}  // namespace corral::spec
