// greeter: README's "Write your own server". Each line a client sends is a name; the reply
// greets it and says how many greetings this server process has given.
#include <atomic>
#include <string>

#include "corral/handler.hpp"

class Greeter {
 public:
  static constexpr const char* kName = "greeter";
  static constexpr const char* kArgNames[] = {"greeting", nullptr};

  explicit Greeter(const corral::Args& args) : greeting_(args.Get("greeting", "Hello")) {}

  // Once per connection, from many workers at once; a 30 s silence or a close ends it.
  void Serve(corral::Stream& stream) {
    std::string name;
    while (stream.ReadLine(name, 256, corral::After(std::chrono::seconds(30))) == CORRAL_OK) {
      long n = ++greeted_;  // shared by every connection of this process
      std::string reply = greeting_ + ", " + name + "! (#" + std::to_string(n) + ")\n";
      if (stream.Write(reply) != CORRAL_OK) return;
    }
  }

 private:
  const std::string greeting_;
  std::atomic<long> greeted_{0};
};

CORRAL_HANDLER(Greeter)
