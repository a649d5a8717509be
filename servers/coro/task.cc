#include "servers/coro/task.h"

#include <cstdio>

namespace corral::coro {

std::shared_ptr<Task> Task::Create(Body body, Hub& hub, Clock::duration delay) {
  auto task = std::make_shared<Task>(PassKey{}, std::move(body), hub);
  task->self_ = task;
  hub.Adopt(task.get());
  if (delay > Clock::duration::zero()) {
    hub.timers().Add(&task->start_timer_, Deadline(delay).when());
  } else {
    hub.Start(task.get());
  }
  return task;
}

Task::Task(PassKey, Body body, Hub& hub)
    : Greenlet(hub.greenlet(), 0), hub_(&hub), body_(std::move(body)) {}

Task::~Task() {
  hub_->timers().Cancel(&start_timer_);
  Unwind();  // while the members Run() uses still exist
}

void Task::StartTimer::Fire() { task_->hub_->Start(task_); }

std::any Task::Run(std::any) {
  try {
    Hub::CheckInterrupt();  // killed before it ever ran
    value_ = body_();
  } catch (const GreenletExit& e) {
    killed_ = true;
    value_ = e.value();
  } catch (...) {
    error_ = std::current_exception();
  }
  Finish();
  return {};
}

void Task::Finish() {
  body_ = nullptr;
  done_ = true;
  hub_->Disown(this);
  joiners_.NotifyAll();
  for (auto& fn : callbacks_) {
    try {
      fn(*this);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "corral::coro: task done-callback threw: %s\n", e.what());
    }
  }
  callbacks_.clear();
  // Our stack may still be in use (not when Kill discarded it unstarted): let the hub drop the
  // last reference once we are gone.
  hub_->Retire(std::move(self_));
}

bool Task::Join(Deadline deadline) {
  if (done_) return true;
  if (Greenlet::Current() == this) throw std::logic_error("corral::coro: a task joined itself");
  while (!done_) {
    if (!joiners_.Wait(deadline)) return done_;
  }
  return true;
}

std::any Task::Get() {
  Join();
  if (error_) std::rethrow_exception(error_);
  if (killed_ && !value_.has_value()) throw TaskKilled();
  return value_;
}

bool Task::Kill(bool block, Deadline deadline) {
  if (done_) return true;
  if (Greenlet::Current() == this) throw GreenletExit();
  if (!started()) {
    // Nothing of it has run: it dies here, without a trip through the hub (as in gevent).
    hub_->timers().Cancel(&start_timer_);
    hub_->Unschedule(this);
    Discard();
    killed_ = true;
    Finish();
    return true;
  }
  hub_->Cancel(this);
  return block ? Join(deadline) : done_;
}

void Task::AddDoneCallback(absl::AnyInvocable<void(Task&)> fn) {
  if (done_) {
    fn(*this);
  } else {
    callbacks_.push_back(std::move(fn));
  }
}

void Task::KillForShutdown() {
  std::shared_ptr<Task> keep = self_;
  hub_->timers().Cancel(&start_timer_);
  (void)SetParent(Greenlet::CurrentShared());  // come back here when it is done
  try {
    if (started()) {
      Hub::MarkCancelled(this);
      Throw();
    } else {
      // Not parked, so this only records the exception, which Run() raises first thing.
      hub_->Cancel(this);
      Switch();
    }
  } catch (...) {
  }
}

std::vector<AnyHandle> JoinAll(const std::vector<AnyHandle>& handles, Deadline deadline,
                               bool raise_error) {
  struct State {
    WaitList waiters;
    std::vector<AnyHandle> done;
    std::exception_ptr error;
    bool open = true;
  };
  auto state = std::make_shared<State>();
  for (const AnyHandle& h : handles) {
    if (h.ready()) {
      state->done.push_back(h);
      if (!state->error) state->error = h.exception();
      continue;
    }
    h.task()->AddDoneCallback([state](Task& t) {
      if (!state->open) return;
      state->done.emplace_back(std::static_pointer_cast<Task>(t.shared_from_this()));
      if (!state->error) state->error = t.exception();
      state->waiters.NotifyAll();
    });
  }
  struct Close {
    State& s;
    ~Close() { s.open = false; }
  } close{*state};
  while (state->done.size() < handles.size() && !(raise_error && state->error)) {
    if (!state->waiters.Wait(deadline)) break;
  }
  if (raise_error && state->error) std::rethrow_exception(state->error);
  return state->done;
}

}  // namespace corral::coro
