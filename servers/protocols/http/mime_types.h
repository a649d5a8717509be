#pragma once

#include <string_view>

namespace corral::http {

// The Content-Type for a file path, from its extension (the text after the last '.' of the
// last path segment, compared case-insensitively): "/a/Index.HTML" -> "text/html;
// charset=utf-8". Text types carry charset=utf-8. Unknown or missing extensions, and dot
// files such as "/.profile", get "application/octet-stream", which a browser downloads rather
// than sniffs and renders. Returns a view of a static string from a fixed table, never any part
// of `path`: responses carry it unchecked (Response::AddComposedHeader), so it must stay so.
std::string_view ContentTypeForPath(std::string_view path);

}  // namespace corral::http
