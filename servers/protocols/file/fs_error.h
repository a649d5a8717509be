// Turning a failed filesystem call on behalf of a client into the status the client will see:
// text = action + object + reason (`download "a.txt": no such file or directory`), and the
// code chosen for the wire (reply.h): the meaning for the client, not for the OS.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace corral::protocols::file {

// The status for errno `err`, its message the reason alone ("<what>: <reason>" when `what` is
// given):
//   ENOENT, ENOTDIR                  NOT_FOUND
//   EXDEV                            PERMISSION_DENIED ("leads outside the served root")
//   ELOOP                            PERMISSION_DENIED (symlink loop or magic link)
//   EACCES, EPERM, EROFS             PERMISSION_DENIED
//   EEXIST                           ALREADY_EXISTS
//   ENAMETOOLONG, EINVAL             INVALID_ARGUMENT
//   anything else                    INTERNAL (an I/O error: 500)
absl::Status ErrnoStatus(int err, std::string_view what = {});

// `status` with its message prefixed by `action "object": `. `object` is a client path in its
// raw form; it is escaped (name_escape.h) so that no name can smuggle a newline into a reply.
absl::Status WithObject(std::string_view action, std::string_view object,
                        const absl::Status& status);

// WithObject(action, object, ErrnoStatus(err)).
absl::Status FsError(std::string_view action, std::string_view object, int err);

// `action "object": reason` with the given code, for refusals that are not an errno.
absl::Status Refusal(absl::StatusCode code, std::string_view action, std::string_view object,
                     std::string_view reason);

}  // namespace corral::protocols::file
