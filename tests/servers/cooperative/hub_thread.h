// A hub on a thread of its own, running until destroyed: what a coroutine-model hub thread is
// to a handler. Tests run greenlets on two of them to cross hubs.
#pragma once

#include <functional>
#include <latch>
#include <thread>
#include <utility>

#include "servers/coro/hub.h"
#include "servers/coro/task.h"

namespace corral::cooperative::testing {

class HubThread {
 public:
  HubThread()
      : thread_([this] {
          hub_ = &coro::Hub::Current();
          started_.count_down();
          hub_->Run();
        }) {
    started_.wait();
  }
  // Stops the loop; greenlets still alive are killed as the thread's hub is destroyed.
  ~HubThread() {
    hub_->Stop();
    thread_.join();
  }
  HubThread(const HubThread&) = delete;
  HubThread& operator=(const HubThread&) = delete;

  // Runs `fn` in a new greenlet on this hub.
  void Spawn(std::function<void()> fn) {
    hub_->RunInLoop([fn = std::move(fn)]() mutable { coro::Spawn(std::move(fn)); });
  }
  coro::Hub* hub() const { return hub_; }

 private:
  coro::Hub* hub_ = nullptr;
  std::latch started_{1};
  std::thread thread_;
};

}  // namespace corral::cooperative::testing
