#include "servers/protocols/http/file_handler.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "servers/protocols/http/error_response.h"
#include "servers/protocols/http/file_cache.h"
#include "servers/protocols/http/request_target.h"
#include "servers/protocols/http/static_file.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

// The Location of the 301 that sends "/docs" to "/docs/": built from the normalised path,
// never from the raw target, which a client controls ("//evil.example/../docs" would send a
// browser to evil.example). The normalised path starts with exactly one '/' (its leading
// slashes are merged here all the same, so no path can make this "//"), and percent-encoding
// turns a '\' (which browsers read as '/') into %5C, so the result is always a path on this
// server. The raw query passed the parser's visible-ASCII check.
std::string DirectoryLocation(const Request& request) {
  std::string_view path = request.path;
  path.remove_prefix(std::min(path.find_first_not_of('/'), path.size()));
  std::string location = "/";
  location.reserve(path.size() + 8 + request.query.size());
  AppendPercentEncodedPath(path, &location);
  if (location.back() != '/') location.push_back('/');
  if (!request.query.empty()) StrAppend(&location, "?", request.query);
  return location;
}

void Serve(const FileResolver& resolver, FileCache& cache, const Request& request,
           Response& response) {
  // Methods other than GET and HEAD get their 405 from the uncached path.
  const bool get_or_head = request.method == Method::kGet || request.method == Method::kHead;
  if (get_or_head) {
    if (std::shared_ptr<const FileCache::Entry> hit = cache.Find(request.path)) {
      PrepareStaticFileResponse(request, request.path, hit->bytes, hit->info, &response);
      return;
    }
  }
  const std::chrono::nanoseconds resolving_since = cache.Now();
  absl::StatusOr<ResolvedFile> file = resolver.Resolve(request.path);
  if (!file.ok()) {
    MakeErrorResponse(HttpStatusOf(file.status()), &response);
    return;
  }
  if (file->directory_without_slash && get_or_head) {
    MakeErrorResponse(StatusCode::kMovedPermanently, &response);
    // Percent-encoded path and a visible-ASCII query: AddHeader cannot refuse it.
    response.AddHeader("Location", DirectoryLocation(request)).IgnoreError();
    return;
  }
  if (get_or_head) {
    if (std::shared_ptr<const FileCache::Entry> added =
            cache.Add(request.path, *file, resolving_since)) {
      PrepareStaticFileResponse(request, request.path, added->bytes, added->info, &response);
      return;
    }
  }
  // Content-Type follows the name the client asked for, as nginx does, not a symlink's target.
  PrepareStaticFileResponse(request, file->index ? "index.html" : request.path, std::move(file->fd),
                            FileInfo::FromStat(file->info), &response);
}

}  // namespace

Handler MakeFileHandler(FileResolver resolver, FileCache::Options cache_options) {
  auto cache = std::make_shared<FileCache>(resolver.root_fd(), std::move(cache_options));
  return [resolver = std::move(resolver), cache](const Request& request, Response& response) {
    Serve(resolver, *cache, request, response);
  };
}

}  // namespace corral::http
