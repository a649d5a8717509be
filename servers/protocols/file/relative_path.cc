#include "servers/protocols/file/relative_path.h"

#include "absl/status/status.h"

namespace corral::protocols::file {

absl::StatusOr<std::string> NormalizeRelativePath(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("path contains a NUL byte");
  }
  if (!path.empty() && path.front() == '/') {
    return absl::PermissionDeniedError(
        "absolute paths are not allowed; paths are relative to the served root");
  }
  std::string normalized;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view component = path.substr(start, end - start);
    start = end + 1;
    if (component.empty() || component == ".") continue;
    if (component == "..") {
      return absl::PermissionDeniedError("\"..\" components are not allowed");
    }
    if (!normalized.empty()) normalized.push_back('/');
    normalized.append(component);
  }
  return normalized;
}

PathParts SplitLastComponent(std::string_view normalized) {
  size_t slash = normalized.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(normalized)};
  return {std::string(normalized.substr(0, slash)), std::string(normalized.substr(slash + 1))};
}

}  // namespace corral::protocols::file
