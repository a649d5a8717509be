#include "servers/protocols/http/mime_types.h"

#include "servers/protocols/http/char_classes.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

struct MimeType {
  std::string_view extension;
  std::string_view type;
};

// The common types of a static site. A linear scan over ~40 entries costs less than a
// syscall and keeps the table readable.
constexpr MimeType kTypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"bmp", "image/bmp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"webmanifest", "application/manifest+json"},
};

constexpr std::string_view kDefaultType = "application/octet-stream";

// The types go into responses unchecked (Response::AddComposedHeader): prove them clean here.
constexpr bool AllTypesAreFieldValues() {
  for (const MimeType& entry : kTypes) {
    for (char c : entry.type) {
      if (!IsFieldValueChar(static_cast<unsigned char>(c))) return false;
    }
  }
  return true;
}
static_assert(AllTypesAreFieldValues(), "a MIME type would split the response head");

}  // namespace

std::string_view ContentTypeForPath(std::string_view path) {
  std::size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return kDefaultType;
  std::string_view extension = name.substr(dot + 1);
  for (const MimeType& entry : kTypes) {
    if (EqualsIgnoreCase(entry.extension, extension)) return entry.type;
  }
  return kDefaultType;
}

}  // namespace corral::http
