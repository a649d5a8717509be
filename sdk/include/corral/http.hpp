// corral/http.hpp: HTTP routes for C++ handlers, header-only over the "HTTP routes" block of
// corral/handler.h. A handler run with `--protocol http` mounts routes on the built-in HTTP
// server; paths no route matches are the server's static files, and /healthz, /echo and
// /_corral/* stay the server's own (a route there is refused).
//
//   #include <corral/handler.hpp>
//   #include <corral/http.hpp>
//
//   struct Hello {
//     static constexpr const char* kName = "hello";
//     void AddRoutes(corral::Routes& routes) {
//       routes.Get("/hello/{name}", [](const corral::HttpRequest& request,
//                                      corral::HttpResponse& response) {
//         response.Text("hello, " + std::string(request.Param("name")) + "\n");
//       });
//       routes.Post("/items", this, &Hello::AddItem);  // or a member function
//     }
//     void AddItem(const corral::HttpRequest& request, corral::HttpResponse& response);
//   };
//   CORRAL_HANDLER(Hello)
//
// Patterns: literal segments, "{name}" for one segment and a final "{name...}" for the rest of
// the path; at each segment a literal beats "{name}", which beats "{name...}". A method of its
// own beats "*" (Any), and Get also answers HEAD (the server drops the body). A response left
// untouched is 200 with an empty body; the server adds Date, Content-Length and Connection.
//
// Threads: a route runs on the worker serving the connection, from every worker at once, so
// what routes share must be guarded (cooperative.hpp's Mutex works under every model). Views a
// HttpRequest returns are valid until the route returns. An exception a route lets out is logged
// and answered 500 (with whatever headers the route had already set); it never crosses into C.
//
// This header includes only corral/handler.h: the host table comes from corral::Host(), which
// <corral/handler.hpp> defines (the table the plugin's init received), and
// corral::internal::RoutesOf, declared there too, is what makes CORRAL_HANDLER export
// AddRoutes. Include <corral/handler.hpp> in the file that uses CORRAL_HANDLER.
#pragma once

#include <corral/handler.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace corral {

// Defined by <corral/handler.hpp>: the host's table, valid from the plugin's init on.
inline const corral_host* Host();

namespace internal {
// Declared (with its default) and defined by <corral/handler.hpp>; specialised below.
template <typename T, typename>
struct RoutesOf;
}  // namespace internal

// The request a route is called with.
class HttpRequest {
 public:
  explicit HttpRequest(const corral_http_request* raw) : raw_(raw) {}

  std::string_view Method() const { return View(Host()->request_method(raw_)); }  // "GET"
  std::string_view Path() const { return View(Host()->request_path(raw_)); }  // decoded, no query
  std::string_view RawQuery() const { return View(Host()->request_query(raw_)); }  // no '?'
  // The whole body (the server refuses one over 8 MiB with 413 before the route runs).
  std::string_view Body() const { return View(Host()->request_body(raw_)); }

  // The route's "{name}" (or "{name...}") segment, decoded; "" when the route has none.
  std::string_view Param(const char* name) const { return FindParam(name).value_or(""); }
  std::optional<std::string_view> FindParam(const char* name) const {
    return Found(Host()->request_param(raw_, name));
  }
  // The first query parameter `name`, form-decoded ('+' is a space); "" when absent.
  std::string_view Query(const char* name) const { return FindQuery(name).value_or(""); }
  std::optional<std::string_view> FindQuery(const char* name) const {
    return Found(Host()->request_query_param(raw_, name));
  }
  // The first header `name`, compared case-insensitively; "" when absent.
  std::string_view Header(const char* name) const { return FindHeader(name).value_or(""); }
  std::optional<std::string_view> FindHeader(const char* name) const {
    return Found(Host()->request_header(raw_, name));
  }

  const corral_http_request* raw() const { return raw_; }

 private:
  static std::string_view View(corral_str s) {
    return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.size);
  }
  static std::optional<std::string_view> Found(corral_str s) {
    if (s.data == nullptr) return std::nullopt;
    return std::string_view(s.data, s.size);
  }

  const corral_http_request* raw_;
};

// The response a route fills. A status outside 200-599, or a header the server writes itself
// (Content-Length, Date, Connection, Transfer-Encoding) or with a control byte in it, makes
// the server answer 500 instead and log why.
class HttpResponse {
 public:
  explicit HttpResponse(corral_http_response* raw) : raw_(raw) {}

  HttpResponse& Status(int code) {
    Host()->response_status(raw_, code);
    return *this;
  }
  // Adds a header line (repeatable: Set-Cookie); Content-Type replaces an earlier one.
  HttpResponse& Header(const char* name, const char* value) {
    Host()->response_header(raw_, name, value);
    return *this;
  }
  HttpResponse& Header(const std::string& name, const std::string& value) {
    return Header(name.c_str(), value.c_str());
  }
  // Sets (replaces) the body; the server copies it.
  HttpResponse& Body(std::string_view body) {
    Host()->response_body(raw_, body.data(), body.size());
    return *this;
  }
  // Body plus its Content-Type.
  HttpResponse& Text(std::string_view text) {
    return Header("Content-Type", "text/plain; charset=utf-8").Body(text);
  }
  HttpResponse& Json(std::string_view json) {
    return Header("Content-Type", "application/json").Body(json);
  }

  corral_http_response* raw() const { return raw_; }

 private:
  corral_http_response* raw_;
};

// Appends `text` to *out as a JSON string, quotes included: '"', '\\' and control bytes
// escaped, and any byte that is not part of well-formed UTF-8 replaced by U+FFFD, so the
// output is valid JSON whatever bytes a client sent.
inline void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      switch (byte) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          if (byte < 0x20) {
            out->append("\\u00");
            out->push_back(kHex[byte >> 4]);
            out->push_back(kHex[byte & 0xf]);
          } else {
            out->push_back(static_cast<char>(byte));
          }
      }
      ++i;
      continue;
    }
    // The length of a well-formed sequence starting here (RFC 3629 table), or 0.
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
    if (byte >= 0xc2 && byte <= 0xdf) {
      length = 2;
    } else if (byte >= 0xe0 && byte <= 0xef) {
      length = 3;
      if (byte == 0xe0) low = 0xa0;   // no overlong forms
      if (byte == 0xed) high = 0x9f;  // no surrogates
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      length = 4;
      if (byte == 0xf0) low = 0x90;
      if (byte == 0xf4) high = 0x8f;  // nothing past U+10FFFF
    }
    bool valid = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = k == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xbf;
    }
    if (valid) {
      out->append(text.data() + i, length);
      i += length;
    } else {
      out->append("\\ufffd");
      ++i;
    }
  }
  out->push_back('"');
}

inline std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

// Every parameter of a raw query (HttpRequest::RawQuery()) in order, form-decoded as Query() does
// it: pairs split at '&', name and value at the first '=', '+' a space, %XX a byte (a '%'
// without two hex digits stays as it is), empty pairs skipped.
inline std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  auto decode = [&](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out.push_back(' ');
      } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
                 hex(text[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
        i += 2;
      } else {
        out.push_back(text[i]);
      }
    }
    return out;
  };
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    params.emplace_back(decode(pair.substr(0, eq)),
                        eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1)));
  }
  return params;
}

// What a handler's AddRoutes receives: mounts routes. A route's function is anything callable
// as fn(const HttpRequest&, HttpResponse&) (a lambda, a function), or an object and one of its
// member functions. Each Add returns *this; the first refusal (a bad pattern, a route already
// taken: the server logs the reason) is kept in status() and fails the server's start whatever
// AddRoutes does next.
class Routes {
 public:
  explicit Routes(corral_routes* raw) : raw_(raw) {}

  // `method`: "GET", "POST", ... or "*" for any.
  template <typename F>
  Routes& Add(const char* method, const char* pattern, F fn) {
    static_assert(std::is_invocable_v<F&, const HttpRequest&, HttpResponse&>,
                  "a route is callable as fn(const corral::HttpRequest&, "
                  "corral::HttpResponse&)");
    // Lives as long as the process (routes are never unmounted, nor the plugin unloaded), kept
    // reachable from Stored() so that leak checkers see it owned. add_routes runs once, before
    // any worker, so the list needs no lock.
    auto stored = std::make_shared<F>(std::move(fn));
    const corral_status status = Host()->route_add(raw_, method, pattern, &Call<F>, stored.get());
    if (status == CORRAL_OK) {
      Stored().push_back(std::move(stored));
    } else if (status_ == CORRAL_OK) {
      status_ = status;
    }
    return *this;
  }
  template <typename C, typename Member,
            typename = std::enable_if_t<std::is_member_function_pointer_v<Member>>>
  Routes& Add(const char* method, const char* pattern, C* object, Member member) {
    return Add(method, pattern,
               [object, member](const HttpRequest& request, HttpResponse& response) {
                 (object->*member)(request, response);
               });
  }

  template <typename... A>
  Routes& Get(const char* pattern, A&&... a) {
    return Add("GET", pattern, std::forward<A>(a)...);
  }
  template <typename... A>
  Routes& Post(const char* pattern, A&&... a) {
    return Add("POST", pattern, std::forward<A>(a)...);
  }
  template <typename... A>
  Routes& Put(const char* pattern, A&&... a) {
    return Add("PUT", pattern, std::forward<A>(a)...);
  }
  template <typename... A>
  Routes& Delete(const char* pattern, A&&... a) {
    return Add("DELETE", pattern, std::forward<A>(a)...);
  }
  template <typename... A>
  Routes& Patch(const char* pattern, A&&... a) {
    return Add("PATCH", pattern, std::forward<A>(a)...);
  }
  template <typename... A>
  Routes& Any(const char* pattern, A&&... a) {
    return Add("*", pattern, std::forward<A>(a)...);
  }

  // CORRAL_OK, or the status of the first refused Add.
  corral_status status() const { return status_; }
  corral_routes* raw() const { return raw_; }

 private:
  template <typename F>
  static void Call(void* fn, const corral_http_request* raw_request,
                   corral_http_response* raw_response) {
    HttpResponse response(raw_response);
    try {
      (*static_cast<F*>(fn))(HttpRequest(raw_request), response);
      return;
    } catch (const std::exception& e) {
      Host()->log(nullptr, CORRAL_LOG_ERROR, (std::string("route threw: ") + e.what()).c_str());
    } catch (...) {
      Host()->log(nullptr, CORRAL_LOG_ERROR, "route threw an exception not a std::exception");
    }
    response.Status(500).Body("500 Internal Server Error\n");
  }

  static std::vector<std::shared_ptr<void>>& Stored() {
    static auto* const stored = new std::vector<std::shared_ptr<void>>;
    return *stored;
  }

  corral_routes* raw_;
  corral_status status_ = CORRAL_OK;
};

namespace internal {

// A handler class with `void AddRoutes(corral::Routes&)` mounts its routes through it:
// CORRAL_HANDLER's add_routes calls it once, after init, on the handler's object.
template <typename T>
struct RoutesOf<T, std::void_t<decltype(std::declval<T&>().AddRoutes(std::declval<Routes&>()))>> {
  static corral_status add_routes(void* state, corral_routes* raw) {
    Routes routes(raw);
    try {
      static_cast<T*>(state)->AddRoutes(routes);
    } catch (const std::exception& e) {
      Host()->log(nullptr, CORRAL_LOG_ERROR, (std::string("AddRoutes threw: ") + e.what()).c_str());
      return CORRAL_ERROR;
    } catch (...) {
      Host()->log(nullptr, CORRAL_LOG_ERROR, "AddRoutes threw");
      return CORRAL_ERROR;
    }
    return routes.status();
  }
};

}  // namespace internal
}  // namespace corral
