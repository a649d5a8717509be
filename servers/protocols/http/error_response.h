#pragma once

#include <string_view>

#include "servers/protocols/http/request_parser.h"
#include "servers/protocols/http/response.h"
#include "servers/protocols/http/status_code.h"

namespace corral::http {

// Resets *response and fills it with `status` and a short text/plain body naming the status
// ("404 Not Found\n"). The body never echoes request data, so it cannot reflect anything a
// client sent. Callers add status-specific headers afterwards (Allow on 405, Content-Range
// on 416).
void MakeErrorResponse(StatusCode status, Response* response);

// MakeErrorResponse for a request the parser rejected, plus RequestClose(): after a parse
// error the framing of whatever follows on the connection is unknown.
void MakeParseErrorResponse(const ParseError& error, Response* response);

// MakeErrorResponse(405) with "Allow: <allow>", e.g. allow = "GET, HEAD".
void MakeMethodNotAllowedResponse(std::string_view allow, Response* response);

}  // namespace corral::http
