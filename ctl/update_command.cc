#include "ctl/update_command.h"

#include <google/protobuf/descriptor.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "ctl/exit_codes.h"
#include "ctl/server_format.h"
#include "spec/field_apply.h"
#include "spec/field_flags.h"

namespace corral::ctl {
namespace {

using google::protobuf::FieldDescriptor;

// The option that sets `field` on the command line: its flag (spec/field_flags.h), the words
// after `--` for `command`, and --listen for `sockets` too.
const CLI::Option* OptionOf(const CLI::App& command, const std::string& field) {
  if (field == "command") return command.get_option_no_throw("command");
  const std::string flag = spec::FlagForField(field);
  return flag.empty() ? nullptr : command.get_option_no_throw(flag);
}

// `field` of `from` copied onto `to` (cleared first), whatever its type.
void CopyField(const v1::ServerSpec& from, const FieldDescriptor& field, v1::ServerSpec& to) {
  v1::ServerSpec only = from;
  const google::protobuf::Reflection& reflection = *only.GetReflection();
  std::vector<const FieldDescriptor*> set;
  reflection.ListFields(only, &set);
  for (const FieldDescriptor* other : set) {
    if (other != &field) reflection.ClearField(&only, other);
  }
  reflection.ClearField(&to, &field);
  to.MergeFrom(only);
}

}  // namespace

int UpdateCommand(CommandContext& ctx, const std::string& name, const CLI::App& command,
                  const spec::SpecFlags& flags, bool dry_run) {
  const std::string what = absl::StrCat("update \"", name, "\"");
  absl::StatusOr<v1::ServerSpec> given = flags.Build(name);
  if (!given.ok()) {
    std::cerr << "corralctl: " << what << ": " << spec::InFlagTerms(given.status().message())
              << "\n";
    return kExitUsage;
  }
  v1::GetRequest get;
  get.set_name(name);
  v1::GetResponse current;
  if (absl::Status s = ctx.agent.Call(&v1::Agent::Stub::Get, get, &current, ctx.Deadline());
      !s.ok()) {
    return ReportRpcError(ctx, what, s);
  }
  v1::UpdateServerRequest request;
  v1::ServerSpec& spec = *request.mutable_spec();
  spec = current.server().spec();
  const google::protobuf::Descriptor& type = *v1::ServerSpec::descriptor();
  int changed_flags = 0;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    const CLI::Option* option = OptionOf(command, field.name());
    if (option == nullptr || option->count() == 0) continue;
    CopyField(*given, field, spec);
    ++changed_flags;
  }
  if (changed_flags == 0) {
    std::cerr << "corralctl: " << what
              << ": give the flags of the fields to change, as `corralctl start` takes them\n";
    return kExitUsage;
  }
  request.set_dry_run(dry_run);
  v1::UpdateServerResponse response;
  if (absl::Status s =
          ctx.agent.Call(&v1::Agent::Stub::UpdateServer, request, &response, ctx.Deadline());
      !s.ok()) {
    return ReportRpcError(ctx, what, s);
  }
  if (ctx.json) {
    PrintJson(response);
    return kExitOk;
  }
  bool reload = false;
  for (const v1::FieldChange& change : response.changes()) {
    reload = reload || change.needs_new_processes();
    std::cout << change.field() << ": " << change.before() << " -> " << change.after() << " ("
              << (change.needs_new_processes() ? "new processes" : "at once") << ")\n";
  }
  if (response.changes().empty()) {
    std::cout << "no changes to \"" << name << "\"\n";
  } else if (dry_run) {
    std::cout << "would " << (reload ? "reload" : "update in place") << " \"" << name
              << "\" (dry run: nothing changed)\n";
  } else {
    std::cout << (response.reloaded() ? "reloaded" : "updated in place") << " \"" << name
              << "\": " << StateLabel(response.server().state()) << "\n";
  }
  return kExitOk;
}

}  // namespace corral::ctl
