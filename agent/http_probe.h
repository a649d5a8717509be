// HttpProbe: the `ready http:/PATH` check of a command server: GET PATH on the server's first
// socket, again every 100 ms, until an answer's status is 2xx. The socket is the agent's own
// (listen_sockets.h), so a connect succeeds at once and the request waits in the backlog until
// the program accepts; each attempt is bounded so a program that accepts and never answers is
// asked again. Runs on a thread of its own, so a slow program never holds the supervision loop.
//
// Thread-safety: construct and destroy in the loop thread; `on_ready` runs on the probe's thread
// (hand it to the loop with RunInLoop). The destructor stops the probe and joins its thread,
// which takes at most one poll slice (100 ms).
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace corral::agent {

class HttpProbe {
 public:
  // `address` is "HOST:PORT"; `on_ready` is called once, with the status line, at the first 2xx.
  HttpProbe(std::string address, std::string path, std::function<void(std::string)> on_ready);
  ~HttpProbe();
  HttpProbe(const HttpProbe&) = delete;
  HttpProbe& operator=(const HttpProbe&) = delete;

  // "HTTP/1.1 200 OK" -> true for any 2xx. Pure; exposed for tests.
  static bool IsSuccess(std::string_view status_line);

 private:
  void Run();
  // One attempt; the status line of the answer, empty if none came.
  std::string Attempt();
  bool Stopped();

  const std::string address_;
  const std::string path_;
  const std::function<void(std::string)> on_ready_;
  absl::Mutex mu_;
  absl::CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace corral::agent
