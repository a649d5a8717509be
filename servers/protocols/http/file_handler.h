#ifndef CORRAL_SERVERS_PROTOCOLS_HTTP_FILE_HANDLER_H_
#define CORRAL_SERVERS_PROTOCOLS_HTTP_FILE_HANDLER_H_

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
// Touches the filesystem only through the resolver (openat2 and fstat; file_resolver.h); the
// Response then owns the open file. Thread-safe: the handler holds an immutable resolver.
Handler MakeFileHandler(FileResolver resolver);

}  // namespace corral::http

#endif  // CORRAL_SERVERS_PROTOCOLS_HTTP_FILE_HANDLER_H_
