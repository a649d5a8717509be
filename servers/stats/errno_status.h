#ifndef CORRAL_SERVERS_STATS_ERRNO_STATUS_H_
#define CORRAL_SERVERS_STATS_ERRNO_STATUS_H_

#include <cctype>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace corral::stats {

// "<what>: <strerror(err), first letter lower-case>" with absl's code for `err`, so scoreboard
// errors read like the rest of Corral's ("create scoreboard /x: no space left on device").
// servers/net has the same helper; the scoreboard library does not depend on the network code.
inline absl::Status ErrnoStatus(int err, absl::string_view what) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return absl::Status(absl::ErrnoToStatusCode(err), absl::StrCat(what, ": ", text));
}

}  // namespace corral::stats

#endif  // CORRAL_SERVERS_STATS_ERRNO_STATUS_H_
