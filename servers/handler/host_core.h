// The host's time, logging and counter calls of handler.h (now, log, count_request,
// count_error). Each may be called from any worker at once; a conn's counters only from the
// worker serving it.
#pragma once

#include <string_view>

#include "corral/handler.h"

namespace corral::handler {

// Sets exactly those entries of `host`.
void FillCore(corral_host* host);

// The name host->log prefixes every line with: the plugin's declared name. Set once by the
// loader before init runs (before any worker exists); "handler" until then.
void SetLogName(std::string_view name);

}  // namespace corral::handler
