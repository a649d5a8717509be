#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/unique_fd.h"
#include "servers/protocols/http/request.h"
#include "servers/protocols/http/response.h"

// The HTTP semantics of serving a regular file, given its stat() result: validators,
// conditional requests (RFC 9110 13), single byte ranges (RFC 9110 14). No I/O here: the
// resolver opened the file, the connection sends the slice this decides.
namespace corral::http {

// The parts of a stat() result that HTTP cares about.
struct FileInfo {
  std::uint64_t size = 0;  // bytes
  std::int64_t mtime_seconds = 0;
  std::int64_t mtime_nanoseconds = 0;  // 0..999999999
  std::uint64_t inode = 0;

  static FileInfo FromStat(const struct stat& st);
};

// A strong entity tag, quotes included: "\"<inode>-<size>-<mtime in ns>\"" in hex. Any write
// changes the size or the nanosecond mtime, and a replaced file (rename over it) changes the
// inode, so equal tags mean equal bytes in practice, which If-Range and If-Match need.
std::string MakeETag(const FileInfo& info);

// Fills *response (after Reset()) for `request` on the open regular file `file`, described
// by `info`. A 200 or 206 gets SetFileBody(file, offset, length) with the bytes to send;
// every other outcome (304, 405, 412, 416) an in-memory body or none, and `file` is closed.
// The extension of `name` (the request path, or "index.html" for a directory's index)
// picks the Content-Type.
//
// Evaluation order is RFC 9110 13.2.2:
//   1. If-Match (strong comparison) fails                      -> 412
//   2. else If-Unmodified-Since is valid and mtime is later    -> 412
//   3. If-None-Match (weak comparison) matches                 -> 304
//   4. else If-Modified-Since is valid and mtime is not later  -> 304
//   5. Range on a GET, with If-Range absent or matching        -> 206, or 416 if unsatisfiable
//   6. otherwise                                               -> 200 with the whole file
// Methods other than GET and HEAD get 405 with "Allow: GET, HEAD". Dates compare at
// one-second granularity (the resolution of Last-Modified). If-Range matches only a strong
// ETag equal to ours or a date exactly equal to Last-Modified; otherwise the Range is
// ignored. HEAD ignores Range (RFC 9110 14.2: range handling is defined only for GET); its
// file body describes the whole file, and ResponseHasBody() keeps the bytes from being sent.
// 200 and 206 carry Content-Type, Last-Modified, ETag and Accept-Ranges: bytes; 206 adds
// Content-Range; 304 carries ETag and Last-Modified; 416 carries "Content-Range: bytes */size".
void PrepareStaticFileResponse(const Request& request, std::string_view name, base::UniqueFd file,
                               const FileInfo& info, Response* response);

// The same for a file whose bytes are in memory (FileCache): `bytes` is the whole file,
// described by `info`, and a 200 or 206 copies its slice into the in-memory body.
void PrepareStaticFileResponse(const Request& request, std::string_view name,
                               std::string_view bytes, const FileInfo& info, Response* response);

}  // namespace corral::http
