#include "agent/loop_thread.h"

namespace corral::agent {

LoopThread::LoopThread() : thread_([this] { loop_.Run(); }) {}

LoopThread::~LoopThread() {
  loop_.Quit();
  thread_.join();
}

}  // namespace corral::agent
