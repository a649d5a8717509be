// A version of a web application for the rollout gate tests (protocol http): GET /gate answers
// "gate\n" after `delay_ms` milliseconds (default 0) with status `status` (default 200). A
// reload to delay_ms=100 is a new version that answers slowly; to status=500, one that fails.
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "corral/handler.hpp"
#include "corral/http.hpp"

class Gate {
 public:
  static constexpr const char* kName = "gate";
  static constexpr const char* kArgNames[] = {"delay_ms", "status", nullptr};

  explicit Gate(const corral::Args& args)
      : delay_ms_(std::atoi(std::string(args.Get("delay_ms", "0")).c_str())),
        status_(std::atoi(std::string(args.Get("status", "200")).c_str())) {}

  void AddRoutes(corral::Routes& routes) {
    routes.Get("/gate", [this](const corral::HttpRequest&, corral::HttpResponse& response) {
      if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      response.Status(status_).Header("Content-Type", "text/plain").Body("gate\n");
    });
  }

 private:
  const int delay_ms_;
  const int status_;
};

CORRAL_HANDLER(Gate)
