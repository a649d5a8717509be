#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "servers/protocols/http/router.h"

// The routes every Corral HTTP server answers besides its files.
namespace corral::http {

inline constexpr std::string_view kHealthPath = "/healthz";
inline constexpr std::string_view kEchoPath = "/echo";
inline constexpr std::string_view kStatsPath = "/_corral/stats";

// Registers on `router`:
//   GET  /healthz        200 "ok\n" (text/plain): the process accepts and answers requests.
//   POST /echo, PUT /echo 200 with the request body, and the request's Content-Type when it
//                         sent a valid one (application/octet-stream otherwise).
//   GET  /_corral/stats  200 with stats() as application/json; only when `stats` is set.
// HEAD follows GET (router.h). Errors only when a path is already taken.
absl::Status AddBuiltinRoutes(const std::function<std::string()>& stats, Router* router);

}  // namespace corral::http
