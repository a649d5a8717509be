// DashboardRoutes: what the dashboard answers, one request per connection (DashboardServer
// reads nothing itself). Pages and assets for anyone (they hold no data); the API only for a
// session (or anyone, on a loopback dashboard without tokens, as a monitor):
//   GET  /api/session            who is logged in, their role, the CSRF token, allowed actions
//   POST /login, /logout         form login with a token (a session cookie), and out again
//   GET  /api/events             server-sent events: the table once a second, each event at once
//   GET  /api/history?name=N     the last 10 minutes of N's figures, for its charts
//   GET  /api/workers?name=N     N's workers now
//   GET  /api/log?name=N         server-sent events: N's log, the last lines then following
//   POST /api/action?name=N&do=A A in start|stop|restart|remove: operator only (403 otherwise,
//                                whatever the page shows), with the session's CSRF token in the
//                                X-Corral-CSRF header and no foreign Origin.
// Threads: Serve on any connection thread, Stop from the server's destructor.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agent/dashboard/client_stream.h"
#include "agent/dashboard/http_message.h"
#include "agent/dashboard/session_store.h"
#include "agent/token_file.h"

namespace grpc {
class ClientContext;
}

namespace corral::agent::dashboard {

class DashboardFeed;

class DashboardRoutes {
 public:
  // Event and log streams open at once, over all browsers; one more is answered 503.
  static constexpr size_t kMaxStreams = 24;

  // `feed` must outlive the routes. `address` is the dashboard's own HOST:PORT; `chartjs` the
  // library's text (empty: the page says charts are unavailable).
  DashboardRoutes(DashboardFeed& feed, std::optional<TokenTable> tokens, std::string address,
                  bool tls, std::string chartjs);

  // Reads one request from `stream` and answers it (for a stream, until it ends).
  void Serve(ClientStream& stream);
  // Ends every log stream (their gRPC calls are cancelled); later ones are refused.
  void Stop();

 private:
  std::string Route(const HttpRequest& request, ClientStream& stream, bool& streamed);
  // The caller's session, if any; on a tokenless dashboard, a monitor session for everyone.
  std::optional<Session> SessionOf(const HttpRequest& request);
  std::string Login(const HttpRequest& request);
  std::string Action(const HttpRequest& request, const Session& session);
  std::string Workers(const std::string& name);
  void EventStream(ClientStream& stream);
  void LogStream(ClientStream& stream, const std::string& name);
  // Counts a stream against kMaxStreams; false (and nothing counted) at the limit or stopping.
  bool EnterStream(grpc::ClientContext* call);
  void LeaveStream(grpc::ClientContext* call);
  // Whether Host names this dashboard (a tokenless one answers nothing else: DNS rebinding).
  bool HostIsOurs(const HttpRequest& request) const;

  DashboardFeed& feed_;
  const std::optional<TokenTable> tokens_;
  const std::string address_;
  const bool tls_;
  const std::string chartjs_;
  SessionStore sessions_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t streams_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<grpc::ClientContext*> calls_ ABSL_GUARDED_BY(mu_);  // log streams' calls
};

}  // namespace corral::agent::dashboard
