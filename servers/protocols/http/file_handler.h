#pragma once

#include "servers/protocols/http/file_cache.h"
#include "servers/protocols/http/file_resolver.h"
#include "servers/protocols/http/router.h"

namespace corral::http {

// A Handler that serves the files under one root, typically the Router's fallback:
//
//   absl::StatusOr<FileResolver> resolver = FileResolver::Create(flags.root);
//   router.SetFallback(MakeFileHandler(*std::move(resolver)));
//
// For each request it resolves Request::path (errors become 400, 403 or 404 as
// file_resolver.h describes, with the short error bodies of error_response.h), answers 301
// with "Location: <path>/" when a GET or HEAD names a directory without its trailing slash
// (so the index's relative links work), and otherwise applies PrepareStaticFileResponse:
// the Response then carries a file body for the connection to send.
//
// Small files that have not changed for a while are served from a FileCache (file_cache.h)
// shared by every copy of the handler: one stat of the path per request, and the bytes copied
// into the in-memory body. Everything else goes through the resolver (openat2 and fstat;
// file_resolver.h), and the Response then owns the open file. Thread-safe: the resolver is
// immutable and the cache locks.
Handler MakeFileHandler(FileResolver resolver, FileCache::Options cache_options = {});

}  // namespace corral::http
