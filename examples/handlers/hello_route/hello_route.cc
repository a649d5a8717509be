// hello_route: one route answering a constant (protocol http), the plugin bench/compare runs
// beside the built-in /healthz. It answers exactly what /healthz does ("ok\n", text/plain), so
// the two rows differ only by the route table and the C boundary a plugin's route goes through.
//
//   corralctl start hello --protocol http --root www --handler build/handlers/hello_route.so
//   curl localhost:PORT/hello
#include "corral/handler.hpp"
#include "corral/http.hpp"

class HelloRoute {
 public:
  static constexpr const char* kName = "hello_route";

  void AddRoutes(corral::Routes& routes) {
    routes.Get("/hello", [](const corral::HttpRequest&, corral::HttpResponse& response) {
      response.Header("Content-Type", "text/plain").Body("ok\n");
    });
  }
};

CORRAL_HANDLER(HelloRoute)
