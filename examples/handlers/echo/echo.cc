// echo: sends every byte of a TCP connection back (protocol tcp), or every datagram back to
// its sender (protocol udp): the plugin bench/compare runs next to the built-in tcp-echo, so it
// reads and writes as that does (one read, its echo, again) with the same 16 KiB buffer.
//
//   corralctl start echo --protocol tcp --handler build/handlers/echo.so
#include <chrono>

#include "corral/handler.hpp"

class Echo {
 public:
  static constexpr const char* kName = "echo";
  static constexpr const char* kArgNames[] = {"idle_timeout_ms", nullptr};

  explicit Echo(const corral::Args& args)
      : idle_timeout_(std::chrono::milliseconds(
            std::stoll(std::string(args.Get("idle_timeout_ms", "60000"))))) {}

  void Serve(corral::Stream& stream) {
    char buffer[16 * 1024];
    for (;;) {
      corral::IoResult got = stream.Read(buffer, sizeof buffer, corral::After(idle_timeout_));
      if (!got.Ok()) return;
      if (stream.Write(buffer, got.size, corral::After(idle_timeout_)) != CORRAL_OK) return;
    }
  }

  void Serve(corral::Datagram& datagram) { datagram.Reply(datagram.data()); }

 private:
  std::chrono::nanoseconds idle_timeout_;
};

CORRAL_HANDLER(Echo)
