// http_api: a small JSON API next to static files (protocol http): the server's --root serves
// the files (www/ here), and the plugin's routes answer under /api/.
//
//   GET  /api/counter   {"count":N}
//   POST /api/counter   adds one, answers {"count":N} with the new value
//   GET  /api/echo?...  the query's parameters as a JSON object, in order; a name given more
//                       than once maps to an array of its values. Every byte a client sends is
//                       escaped (corral::JsonString), so the answer is valid JSON whatever it is.
//
//   corralctl start api --protocol http --model thread --handler build/handlers/http_api.so
//       --root examples/handlers/http_api/www
//   curl -X POST localhost:PORT/api/counter; curl 'localhost:PORT/api/echo?a=1&b=x+y&a=2'
//
// What "shared" means for the counter, as for any state a handler keeps in its own memory: it
// is one process's memory.
//  - thread, coroutine: one counter per server; every connection counts on it (an atomic, so
//    threads need no lock and greenlets never park on one).
//  - fork per connection: each connection runs in a child that starts from the parent's copy
//    (0) and exits with it, so a POST's increment is seen only by later requests on that same
//    keep-alive connection.
//  - fork pool: one counter per pooled process, so successive connections see different ones.
// A count that must be one per server under fork belongs outside the process (a file, a
// database); the server's own request counters are in the shared scoreboard (corralctl stats).
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "corral/handler.hpp"
#include "corral/http.hpp"

class HttpApi {
 public:
  static constexpr const char* kName = "http_api";

  void AddRoutes(corral::Routes& routes) {
    routes.Get("/api/counter", this, &HttpApi::ReadCounter)
        .Post("/api/counter", this, &HttpApi::Increment)
        .Get("/api/echo", &HttpApi::Echo);
  }

 private:
  void ReadCounter(const corral::HttpRequest&, corral::HttpResponse& response) {
    response.Json(CountJson(count_.load(std::memory_order_relaxed)));
  }

  void Increment(const corral::HttpRequest&, corral::HttpResponse& response) {
    response.Json(CountJson(count_.fetch_add(1, std::memory_order_relaxed) + 1));
  }

  static void Echo(const corral::HttpRequest& request, corral::HttpResponse& response) {
    // Group the values by name, keeping the order in which names first appear.
    std::vector<std::pair<std::string, std::vector<std::string>>> params;
    for (auto& [name, value] : corral::ParseQuery(request.RawQuery())) {
      auto it = params.begin();
      while (it != params.end() && it->first != name) ++it;
      if (it == params.end()) it = params.insert(params.end(), {name, {}});
      it->second.push_back(std::move(value));
    }
    std::string json = "{";
    for (const auto& [name, values] : params) {
      if (json.size() > 1) json += ',';
      corral::AppendJsonString(name, &json);
      json += ':';
      if (values.size() == 1) {
        corral::AppendJsonString(values[0], &json);
        continue;
      }
      json += '[';
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) json += ',';
        corral::AppendJsonString(values[i], &json);
      }
      json += ']';
    }
    response.Json(json + "}\n");
  }

  static std::string CountJson(int64_t count) {
    return "{\"count\":" + std::to_string(count) + "}\n";
  }

  std::atomic<int64_t> count_{0};
};

CORRAL_HANDLER(HttpApi)
