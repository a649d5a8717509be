#include "servers/protocols/http/file_handler.h"

#include <memory>
#include <utility>

#include "servers/protocols/http/error_response.h"
#include "servers/protocols/http/file_cache.h"
#include "servers/protocols/http/static_file.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

// The path of the request-target as the client spelled it (still percent-encoded), which is
// what a Location header must carry; the decoded Request::path may hold spaces or raw UTF-8.
std::string_view RawPath(std::string_view target) {
  if (!target.starts_with("/")) {
    // absolute-form: skip "scheme://authority".
    std::size_t scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return "/";
    std::size_t path_start = target.find_first_of("/?", scheme_end + 3);
    if (path_start == std::string_view::npos || target[path_start] == '?') return "/";
    target.remove_prefix(path_start);
  }
  return target.substr(0, target.find('?'));
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
    std::string location = StrCat(RawPath(request.target), "/");
    if (!request.query.empty()) StrAppend(&location, "?", request.query);
    // The raw target passed the parser's visible-ASCII check, so this cannot fail.
    response.AddHeader("Location", location).IgnoreError();
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
