// kv: a key-value store on a line protocol (protocol tcp). One request per line, one reply line:
//
//   SET key value...  -> OK                  (the value is the rest of the line)
//   GET key           -> VALUE value | NOT_FOUND
//   DEL key           -> DELETED | NOT_FOUND
//   KEYS              -> KEYS key1 key2 ...  (sorted)
//   anything else     -> ERROR reason        (counted as an error of the handler)
//
// What "shared" means: the store lives in the server process's memory, made once by init.
//   - thread, coroutine: every connection of the server sees one store. Workers run at once,
//     so it is guarded by a mutex. A std::mutex is right here: the critical sections never
//     block (no read or write inside), so no greenlet parks while holding it and a hub is never
//     held for longer than a map lookup.
//   - fork per connection (pool_size 0): each connection is served by a child process with its
//     own copy of the memory, so each connection has its own store, empty at the start, gone
//     when it closes. A fork pool's workers each keep one store across the connections they
//     serve. Share state between processes elsewhere (a file, a database), or use thread or
//     coroutine.
//
// Handler-args: max_keys (default 100000): a SET of a new key beyond it answers ERROR full.
//
//   corralctl start kv --protocol tcp --model thread --handler build/handlers/kv.so
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "corral/handler.hpp"

class KeyValue {
 public:
  static constexpr const char* kName = "kv";
  static constexpr const char* kArgNames[] = {"max_keys", nullptr};

  static std::unique_ptr<KeyValue> Create(const corral::Args& args, std::string& error) {
    std::string text(args.Get("max_keys", "100000"));
    char* end = nullptr;
    unsigned long long max_keys = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || max_keys == 0) {
      error = "max_keys \"" + text + "\" is not a positive number";
      return nullptr;
    }
    return std::unique_ptr<KeyValue>(new KeyValue(max_keys));
  }

  void Serve(corral::Stream& stream) {
    std::string line;
    for (;;) {
      corral_status status = stream.ReadLine(line, kMaxLine, corral::After(kIdleTimeout));
      if (status == CORRAL_TOO_LONG) {
        stream.CountError();
        if (stream.Write("ERROR line too long\n", corral::After(kIdleTimeout)) != CORRAL_OK) return;
        continue;
      }
      if (status != CORRAL_OK) return;  // closed, timed out, broken or cancelled
      const auto start = std::chrono::steady_clock::now();
      std::string reply = Execute(line, stream);
      reply += '\n';
      if (stream.Write(reply, corral::After(kIdleTimeout)) != CORRAL_OK) return;
      stream.CountRequest(std::chrono::steady_clock::now() - start);
    }
  }

 private:
  static constexpr size_t kMaxLine = 64 * 1024;
  static constexpr std::chrono::seconds kIdleTimeout{60};

  explicit KeyValue(unsigned long long max_keys) : max_keys_(max_keys) {}

  // Splits "WORD rest" at the first space.
  static std::string_view Word(std::string_view& rest) {
    size_t space = rest.find(' ');
    std::string_view word = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    return word;
  }

  std::string Execute(std::string_view request, corral::Stream& stream) {
    std::string_view command = Word(request);
    std::string_view key = Word(request);
    std::lock_guard<std::mutex> lock(mutex_);
    if (command == "SET" && !key.empty()) {
      auto found = store_.find(std::string(key));
      if (found == store_.end() && store_.size() >= max_keys_) return Error(stream, "full");
      store_[std::string(key)] = std::string(request);
      return "OK";
    }
    if (command == "GET" && !key.empty() && request.empty()) {
      auto found = store_.find(std::string(key));
      return found == store_.end() ? "NOT_FOUND" : "VALUE " + found->second;
    }
    if (command == "DEL" && !key.empty() && request.empty()) {
      return store_.erase(std::string(key)) > 0 ? "DELETED" : "NOT_FOUND";
    }
    if (command == "KEYS" && key.empty()) {
      std::string reply = "KEYS";
      for (const auto& entry : store_) reply += " " + entry.first;
      return reply;
    }
    return Error(stream, "unknown request; use GET key, SET key value, DEL key or KEYS");
  }

  static std::string Error(corral::Stream& stream, const std::string& reason) {
    stream.CountError();
    return "ERROR " + reason;
  }

  const unsigned long long max_keys_;
  std::mutex mutex_;
  std::map<std::string, std::string> store_;  // guarded by mutex_
};

CORRAL_HANDLER(KeyValue)
