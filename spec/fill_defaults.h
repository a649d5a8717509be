// FillDefaults: every ServerSpec field the spec leaves at 0 (or unset) given the value the server
// will use, from spec_defaults.h. ValidateSpec calls it, so the agent stores (and Get, List,
// --json and every gRPC client see) the effective spec, and corral-server standalone runs the
// same values.
#pragma once

#include "corral/v1/server.pb.h"

namespace corral::spec {

// Fills only the fields that apply to the spec's protocol and model (a field that does not
// apply stays unset, so ValidateSpec can still refuse it when a client set it), and never
// changes a value already there: filling a filled spec changes nothing, so a spec saved by an
// older agent gains only the defaults added since. An unknown protocol or model gets the
// common fields only. `hubs` becomes the online CPU count (at most kMaxHubs): what the
// coroutine model would start with 0.
void FillDefaults(v1::ServerSpec& spec);

}  // namespace corral::spec
