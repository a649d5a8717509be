// A small HTTP/1.1 server on 127.0.0.1 (port 0) for corral-load's own tests: a thread per
// connection, a fixed answer, and the misbehaviours the load generator must see through (a pool
// that leaves connections unanswered, a stalled first answer, closing idle connections).
// Start() and Stop() from one thread; the counters may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace corral::load {

struct TestHttpServerOptions {
  int status = 200;
  std::string body = "hello";
  // Only the first N connections are answered; later ones are accepted and never read, as a
  // pool of N whose workers never leave their keep-alive connections would. -1: all.
  int answer_connections = -1;
  // The server's first answer waits this long (the requests sent meanwhile queue up).
  int first_answer_delay_ms = 0;
  bool close_each = false;      // every answer says Connection: close, then closes
  bool close_silently = false;  // close after every answer without saying so
};

class TestHttpServer {
 public:
  explicit TestHttpServer(TestHttpServerOptions options) : options_(std::move(options)) {}
  ~TestHttpServer() { Stop(); }

  // Listens on 127.0.0.1 port 0; returns the port, or 0 when it could not.
  int Start();
  // Closes the listener and every connection, and joins every thread.
  void Stop();

  uint64_t answers() const { return answers_.load(); }
  int accepted() const { return accepted_.load(); }
  // Request bytes already waiting on the connection when the delayed first answer was sent.
  size_t queued_at_first_answer() const { return queued_at_first_answer_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd, bool answer);
  void Answer(int fd);

  const TestHttpServerOptions options_;
  int listen_fd_ = -1;
  std::thread acceptor_;
  std::atomic<uint64_t> answers_{0};
  std::atomic<int> accepted_{0};
  std::atomic<size_t> queued_at_first_answer_{0};
  std::atomic<bool> first_answer_sent_{false};
  absl::Mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace corral::load
