#include "servers/handler/plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/syscall_error.h"
#include "servers/handler/host_core.h"
#include "servers/handler/host_table.h"

namespace corral::handler {
namespace {

constexpr size_t kMaxNameLength = 63;
// The size of corral_handler in ABI 1's first release: a plugin built against any later header
// of ABI 1 has at least this much, and fields past its own struct_size read as null.
constexpr size_t kFirstHandlerSize = offsetof(corral_handler, add_routes) + sizeof(void*);
// What init may write as its reason.
constexpr size_t kInitErrorCap = 512;

// A field of the plugin's struct, or null when the plugin was built before it existed.
#define CORRAL_HANDLER_FIELD(handler, field)                                            \
  ((handler)->struct_size >= offsetof(corral_handler, field) + sizeof((handler)->field) \
       ? (handler)->field                                                               \
       : nullptr)

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.'; }

bool IsValidName(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  size_t length = 0;
  for (const char* c = name; *c != '\0'; ++c, ++length) {
    if (!IsNameChar(*c) || length >= kMaxNameLength) return false;
  }
  return true;
}

// The handler-args `handler` accepts, or an error naming the first one it does not.
absl::Status CheckArgs(const corral_handler* handler, const std::string& name,
                       const std::map<std::string, std::string>& args) {
  std::vector<std::string> accepted;
  if (handler->arg_names != nullptr) {
    for (const char* const* arg = handler->arg_names; *arg != nullptr; ++arg) {
      accepted.emplace_back(*arg);
    }
  }
  for (const auto& [key, value] : args) {
    if (std::find(accepted.begin(), accepted.end(), key) != accepted.end()) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("unknown handler-arg \"", key, "\"; ", name, " accepts ",
                     accepted.empty() ? "none" : absl::StrJoin(accepted, ", ")));
  }
  return absl::OkStatus();
}

// Which serve function `protocol` calls, and whether the plugin has it.
absl::Status CheckServes(const Plugin& plugin, ProtocolKind protocol) {
  const char* needed = nullptr;
  if (protocol == ProtocolKind::kTcp && plugin.serve_stream() == nullptr) needed = "serve_stream";
  if (protocol == ProtocolKind::kUdp && plugin.serve_datagram() == nullptr) {
    needed = "serve_datagram";
  }
  if (protocol == ProtocolKind::kHttp && plugin.add_routes() == nullptr) needed = "add_routes";
  if (needed == nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("handler ", plugin.name(), " has no ", needed,
                                                 ", so it cannot serve protocol ",
                                                 std::string(ProtocolName(protocol))));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Plugin>> Plugin::Load(const std::string& path,
                                                     const std::map<std::string, std::string>& args,
                                                     ProtocolKind protocol) {
  auto fail = [&path](const std::string& reason) {
    return absl::FailedPreconditionError(absl::StrCat("load handler ", path, ": ", reason));
  };
  if (::access(path.c_str(), R_OK) != 0) {
    int err = errno;
    return fail(err == ENOENT ? "not found" : base::ErrnoText(err));
  }
  // RTLD_LOCAL: two plugins' symbols never meet; RTLD_NOW: an unresolved symbol fails here, not
  // in a worker halfway through a request.
  void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* error = ::dlerror();
    return fail(absl::StrCat("not a loadable shared object: ", error ? error : "unknown error"));
  }
  using Entry = const corral_handler* (*)();
  auto entry = reinterpret_cast<Entry>(::dlsym(library, "corral_handler_entry"));
  if (entry == nullptr) {
    return fail("no corral_handler_entry (export it with CORRAL_EXPORT, or CORRAL_HANDLER in C++)");
  }
  const corral_handler* handler = entry();
  if (handler == nullptr) return fail("corral_handler_entry returned null");
  if (handler->abi_version != CORRAL_HANDLER_ABI_VERSION) {
    return fail(absl::StrCat("built for ABI ", handler->abi_version,
                             "; this corral-server supports ", CORRAL_HANDLER_ABI_VERSION));
  }
  if (handler->struct_size < kFirstHandlerSize) {
    return fail(absl::StrCat("its corral_handler is ", handler->struct_size,
                             " bytes, smaller than ABI 1's ", kFirstHandlerSize));
  }
  if (!IsValidName(handler->name)) {
    return fail(absl::StrCat("bad name \"", handler->name ? handler->name : "",
                             "\": use 1 to 63 of [A-Za-z0-9_.-]"));
  }

  std::unique_ptr<Plugin> plugin(new Plugin());
  plugin->path_ = path;
  plugin->name_ = handler->name;
  plugin->serve_stream_ = CORRAL_HANDLER_FIELD(handler, serve_stream);
  plugin->serve_datagram_ = CORRAL_HANDLER_FIELD(handler, serve_datagram);
  plugin->add_routes_ = CORRAL_HANDLER_FIELD(handler, add_routes);
  plugin->fini_ = CORRAL_HANDLER_FIELD(handler, fini);
  if (absl::Status s = CheckServes(*plugin, protocol); !s.ok())
    return fail(std::string(s.message()));
  if (absl::Status s = CheckArgs(handler, plugin->name_, args); !s.ok())
    return fail(std::string(s.message()));

  SetLogName(plugin->name_);
  if (handler->init != nullptr) {
    std::vector<corral_arg> c_args;
    c_args.reserve(args.size());
    for (const auto& [key, value] : args) c_args.push_back({key.c_str(), value.c_str()});
    char error[kInitErrorCap] = {};
    corral_status status = handler->init(HostTable(), c_args.data(), c_args.size(), &plugin->state_,
                                         error, sizeof error);
    if (status != CORRAL_OK) {
      error[sizeof error - 1] = '\0';
      return fail(absl::StrCat("init of handler ", plugin->name_, " failed: ",
                               error[0] != '\0' ? error : absl::StrCat("status ", status)));
    }
  }
  return plugin;
}

void Plugin::Fini() {
  if (fini_ != nullptr) fini_(state_);
  fini_ = nullptr;
}

}  // namespace corral::handler
