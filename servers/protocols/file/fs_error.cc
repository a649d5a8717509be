#include "servers/protocols/file/fs_error.h"

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "servers/protocols/file/name_escape.h"

namespace corral::protocols::file {
namespace {

absl::StatusCode CodeOf(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::StatusCode::kNotFound;
    case EXDEV:
    case ELOOP:
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::StatusCode::kPermissionDenied;
    case EEXIST:
      return absl::StatusCode::kAlreadyExists;
    case ENAMETOOLONG:
    case EINVAL:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kInternal;
  }
}

std::string ReasonOf(int err) {
  switch (err) {
    case EXDEV:
      // openat2(RESOLVE_BENEATH) met an absolute symlink or one climbing above the root.
      return "leads outside the served root (through a symlink)";
    case ELOOP:
      // A symlink loop, or a /proc magic link refused by RESOLVE_NO_MAGICLINKS.
      return "too many levels of symbolic links, or a magic link";
    default:
      return base::ErrnoText(err);
  }
}

}  // namespace

absl::Status ErrnoStatus(int err, std::string_view what) {
  std::string reason = ReasonOf(err);
  if (!what.empty()) reason = absl::StrCat(std::string(what), ": ", reason);
  return absl::Status(CodeOf(err), reason);
}

absl::Status WithObject(std::string_view action, std::string_view object,
                        const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(std::string(action), " \"", EscapeName(object),
                                                  "\": ", std::string(status.message())));
}

absl::Status FsError(std::string_view action, std::string_view object, int err) {
  return WithObject(action, object, ErrnoStatus(err));
}

absl::Status Refusal(absl::StatusCode code, std::string_view action, std::string_view object,
                     std::string_view reason) {
  return WithObject(action, object, absl::Status(code, std::string(reason)));
}

}  // namespace corral::protocols::file
