// A handler that holds its hub: it answers each connection after a 400 ms busy loop, without a
// single yielding call. The stall watch's test plugin.
#include <chrono>

#include "corral/handler.hpp"

class Spin {
 public:
  static constexpr const char* kName = "spin";
  explicit Spin(const corral::Args&) {}

  void Serve(corral::Stream& stream) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
    while (std::chrono::steady_clock::now() < end) {
    }
    (void)stream.Write(std::string_view("done\n"), corral::After(std::chrono::seconds(10)));
  }
};

CORRAL_HANDLER(Spin)
