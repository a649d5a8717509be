#include "agent/dashboard/dashboard_routes.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/dashboard/assets.h"
#include "agent/dashboard/dashboard_feed.h"
#include "spdlog/spdlog.h"

namespace corral::agent::dashboard {
namespace {

constexpr absl::string_view kCookie = "corral_session";
constexpr auto kActionDeadline = std::chrono::seconds(60);

std::string Json(absl::string_view status, absl::string_view body) {
  return HttpResponse(status, "application/json", body);
}

std::string JsonError(absl::string_view status, absl::string_view message) {
  return Json(status, absl::StrCat("{\"error\":", JsonQuote(message), "}"));
}

std::string Redirect(absl::string_view location,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
  headers.emplace_back("Location", std::string(location));
  return HttpResponse("303 See Other", "text/plain", "", headers);
}

std::string HttpStatusOf(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return "404 Not Found";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "403 Forbidden";
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "409 Conflict";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "504 Gateway Timeout";
    default:
      return "502 Bad Gateway";
  }
}

}  // namespace

DashboardRoutes::DashboardRoutes(DashboardFeed& feed, std::optional<TokenTable> tokens,
                                 std::string address, bool tls, std::string chartjs)
    : feed_(feed),
      tokens_(std::move(tokens)),
      address_(std::move(address)),
      tls_(tls),
      chartjs_(std::move(chartjs)) {}

void DashboardRoutes::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (grpc::ClientContext* call : calls_) call->TryCancel();
}

void DashboardRoutes::Serve(ClientStream& stream) {
  std::string data;
  std::optional<size_t> head_end;
  while (!(head_end = HeadEnd(data))) {
    if (data.size() >= kMaxHeadBytes) {
      (void)stream.Write(HttpResponse("431 Request Header Fields Too Large", "text/plain",
                                      "request head over 8 KiB\n"));
      stream.LingeringClose();
      return;
    }
    absl::StatusOr<size_t> n = stream.Read(data, kMaxHeadBytes - data.size());
    if (!n.ok() || *n == 0) return;  // gone, broken or too slow: nobody to answer
  }
  absl::StatusOr<HttpRequest> request =
      ParseRequestHead(absl::string_view(data).substr(0, *head_end));
  if (!request.ok()) {
    (void)stream.Write(HttpResponse("400 Bad Request", "text/plain",
                                    absl::StrCat(request.status().message(), "\n")));
    return;
  }
  absl::StatusOr<size_t> length = ContentLength(*request);
  if (!length.ok()) {
    (void)stream.Write(HttpResponse(length.status().code() == absl::StatusCode::kOutOfRange
                                        ? "413 Payload Too Large"
                                        : "400 Bad Request",
                                    "text/plain", absl::StrCat(length.status().message(), "\n")));
    stream.LingeringClose();  // the body it announced may be on its way
    return;
  }
  request->body = data.substr(*head_end);
  while (request->body.size() < *length) {
    absl::StatusOr<size_t> n = stream.Read(request->body, *length - request->body.size());
    if (!n.ok() || *n == 0) return;
  }
  request->body.resize(*length);
  bool streamed = false;
  std::string answer = Route(*request, stream, streamed);
  if (!streamed) (void)stream.Write(answer);
}

bool DashboardRoutes::HostIsOurs(const HttpRequest& request) const {
  const std::string& host = request.Header("host");
  std::string port = address_.substr(address_.rfind(':') + 1);
  return host == address_ || host == "localhost:" + port || host == "127.0.0.1:" + port ||
         host == "[::1]:" + port;
}

std::optional<Session> DashboardRoutes::SessionOf(const HttpRequest& request) {
  if (!tokens_) return Session{"", "", {"local", Role::kMonitor}};
  std::optional<std::string> id = request.Cookie(kCookie);
  if (!id) return std::nullopt;
  return sessions_.Find(*id);
}

std::string DashboardRoutes::Route(const HttpRequest& request, ClientStream& stream,
                                   bool& streamed) {
  if (!tokens_ && !HostIsOurs(request)) {
    return HttpResponse("421 Misdirected Request", "text/plain",
                        "this dashboard answers only to its own address\n");
  }
  // A form or fetch from a page of another origin is refused before anything else.
  const std::string& origin = request.Header("origin");
  if (request.method == "POST" && !origin.empty() &&
      origin != absl::StrCat(tls_ ? "https://" : "http://", request.Header("host"))) {
    return JsonError("403 Forbidden", "refused: the request comes from another origin");
  }
  if (request.method == "GET") {
    if (request.path == "/chart.js") {
      if (chartjs_.empty()) return HttpResponse("404 Not Found", "text/plain", "no Chart.js\n");
      return HttpResponse("200 OK", "text/javascript; charset=utf-8", chartjs_);
    }
    if (const Asset* asset = FindAsset(request.path == "/" ? "/index.html" : request.path)) {
      return HttpResponse("200 OK", std::string(asset->content_type), std::string(asset->body));
    }
  }
  if (request.method == "POST" && request.path == "/login") return Login(request);
  if (request.path == "/favicon.ico") return HttpResponse("204 No Content", "text/plain", "");

  std::optional<Session> session = SessionOf(request);
  if (!session) return JsonError("401 Unauthorized", "log in with a token");
  if (request.method == "GET") {
    const std::string name = request.query.contains("name") ? request.query.at("name") : "";
    if (request.path == "/api/session") {
      bool can_act = session->holder.role == Role::kOperator;
      return Json(
          "200 OK",
          absl::StrCat(
              "{\"name\":", JsonQuote(session->holder.name),
              ",\"role\":", JsonQuote(RoleName(session->holder.role)),
              ",\"csrf\":", JsonQuote(session->csrf), ",\"tokens\":", tokens_ ? "true" : "false",
              ",\"charts\":", chartjs_.empty() ? "false" : "true",
              // The hook for Reload: add "reload" here once the agent has the rpc (Action too).
              ",\"actions\":", can_act ? "[\"start\",\"stop\",\"restart\",\"remove\"]" : "[]",
              "}"));
    }
    if (request.path == "/api/events") {
      streamed = true;
      EventStream(stream);
      return "";
    }
    if (request.path == "/api/log") {
      streamed = true;
      LogStream(stream, name);
      return "";
    }
    if (request.path == "/api/history") return Json("200 OK", feed_.HistoryJson(name));
    if (request.path == "/api/workers") return Workers(name);
  }
  if (request.method == "POST" && request.path == "/api/action") return Action(request, *session);
  if (request.method == "POST" && request.path == "/logout") {
    if (request.Header("x-corral-csrf") != session->csrf || session->csrf.empty()) {
      return JsonError("403 Forbidden", "refused: missing or wrong CSRF token");
    }
    sessions_.Remove(session->id);
    return Json("200 OK", "{}");
  }
  return JsonError(request.method == "GET" || request.method == "POST" ? "404 Not Found"
                                                                       : "405 Method Not Allowed",
                   "no such page");
}

std::string DashboardRoutes::Login(const HttpRequest& request) {
  if (!tokens_) return Redirect("/");  // everyone is a monitor already
  std::map<std::string, std::string> form = ParseForm(request.body);
  std::optional<TokenHolder> holder =
      form.contains("token") ? tokens_->Find(form.at("token")) : std::nullopt;
  if (!holder) {
    spdlog::warn("dashboard: a login with an unknown token was refused");
    return Redirect("/?login=failed");
  }
  Session session = sessions_.Create(*holder);
  spdlog::info("dashboard: {} logged in as {}", holder->name, std::string(RoleName(holder->role)));
  std::string cookie = absl::StrCat(kCookie, "=", session.id, "; Path=/; HttpOnly; SameSite=Strict",
                                    tls_ ? "; Secure" : "");
  return Redirect("/", {{"Set-Cookie", cookie}});
}

std::string DashboardRoutes::Action(const HttpRequest& request, const Session& session) {
  // The role first: a monitor learns it may not act, whatever else is wrong with the request.
  if (session.holder.role != Role::kOperator) {
    return JsonError("403 Forbidden", absl::StrCat("refused: ", session.holder.name, " is a ",
                                                   RoleName(session.holder.role),
                                                   "; actions need an operator token"));
  }
  if (session.csrf.empty() || request.Header("x-corral-csrf") != session.csrf) {
    return JsonError("403 Forbidden", "refused: missing or wrong CSRF token");
  }
  auto arg = [&](const char* key) {
    return request.query.contains(key) ? request.query.at(key) : std::string();
  };
  const std::string name = arg("name");
  const std::string what = arg("do");
  if (name.empty()) return JsonError("400 Bad Request", "no server named (name=)");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kActionDeadline);
  grpc::Status status;
  v1::Agent::Stub& agent = feed_.agent();
  if (what == "start" || what == "restart") {
    // Start of a server the agent knows is a Restart: the Start rpc adds a new one.
    v1::RestartRequest r;
    r.set_name(name);
    v1::RestartResponse response;
    status = agent.Restart(&context, r, &response);
  } else if (what == "stop") {
    v1::StopRequest r;
    r.set_name(name);
    v1::StopResponse response;
    status = agent.Stop(&context, r, &response);
  } else if (what == "remove") {
    v1::RemoveRequest r;
    r.set_name(name);
    v1::RemoveResponse response;
    status = agent.Remove(&context, r, &response);
  } else {
    // "reload" joins the list above once the agent has a Reload rpc (not on main yet).
    return JsonError("400 Bad Request", "unknown action (do=start|stop|restart|remove)");
  }
  spdlog::info("dashboard: {} asked to {} {}: {}", session.holder.name, what, name,
               status.ok() ? "done" : status.error_message());
  if (!status.ok()) {
    return JsonError(HttpStatusOf(status),
                     absl::StrCat(what, " ", name, ": ", status.error_message()));
  }
  return Json("200 OK", "{}");
}

}  // namespace corral::agent::dashboard
