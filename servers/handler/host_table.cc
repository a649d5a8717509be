#include "servers/handler/host_table.h"

#include "servers/handler/host_cooperative.h"
#include "servers/handler/host_core.h"
#include "servers/handler/host_http.h"
#include "servers/handler/host_streams.h"

namespace corral::handler {
namespace {

corral_host Build() {
  corral_host host{};  // every entry null until a part fills it
  host.abi_version = CORRAL_HANDLER_ABI_VERSION;
  host.struct_size = sizeof(corral_host);
  FillCore(&host);         // now, log, count_request, count_error
  FillStreams(&host);      // read, ..., reply, others_waiting
  FillCooperative(&host);  // sleep_until, spawn, join, event_*, queue_*, mutex_*, timeout_*
  FillHttp(&host);         // route_add ... response_body
  return host;
}

}  // namespace

const corral_host* HostTable() {
  static const corral_host host = Build();
  return &host;
}

}  // namespace corral::handler
