// The one table between ServerSpec's fields and the flags that set them (spec_flags.h), so that
// a message about a spec can name what the user typed: validation speaks of `pool_size`,
// corralctl and corral-server's standalone flags show `--pool-size`.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace corral::spec {

// The flag that sets `field` ("pool_size" -> "--pool-size", "log_keep_files" -> "--log-keep"),
// or "" for a field no flag sets (name, sockets).
std::string FlagForField(std::string_view field);

// `message` with each ServerSpec field name of two or more words that a flag sets replaced by
// that flag, as a whole word: "pool_size applies to ..." -> "--pool-size applies to ...".
// One-word fields (root, hubs) read the same either way and stay, so prose is never touched.
std::string InFlagTerms(absl::string_view message);

}  // namespace corral::spec
