#include "servers/handler/host_cooperative.h"

#include <chrono>
#include <memory>
#include <new>

#include "absl/status/status.h"
#include "base/deadline.h"
#include "servers/cooperative/event.h"
#include "servers/cooperative/mutex.h"
#include "servers/cooperative/queue.h"
#include "servers/cooperative/sleep.h"
#include "servers/cooperative/task.h"
#include "servers/cooperative/timeout_scope.h"
#include "servers/handler/effective_deadline.h"

// The opaque C handles are the library's objects themselves.
struct corral_event : corral::cooperative::Event {};
struct corral_queue : corral::cooperative::Queue {
  explicit corral_queue(size_t capacity) : Queue(capacity) {}
};
struct corral_mutex : corral::cooperative::Mutex {};
struct corral_task {
  std::unique_ptr<corral::cooperative::Task> task;
};

namespace corral::handler {
namespace {

corral_status SleepUntil(corral_deadline deadline) {
  return ToCorralStatus(cooperative::SleepUntil(FromCorralDeadline(deadline)), "sleep_until");
}

corral_task* Spawn(void (*fn)(void*), void* arg) {
  if (fn == nullptr) return nullptr;
  absl::StatusOr<std::unique_ptr<cooperative::Task>> task =
      cooperative::Task::Spawn([fn, arg] { fn(arg); });
  if (!task.ok()) return nullptr;
  return new (std::nothrow) corral_task{*std::move(task)};
}

corral_status Join(corral_task* task, corral_deadline deadline) {
  if (task == nullptr) return CORRAL_INVALID;
  corral_status s = ToCorralStatus(task->task->Join(FromCorralDeadline(deadline)), "join");
  if (s == CORRAL_OK) delete task;
  return s;
}

corral_event* EventNew() { return new (std::nothrow) corral_event(); }
void EventSet(corral_event* e) {
  if (e != nullptr) e->Set();
}
void EventClear(corral_event* e) {
  if (e != nullptr) e->Clear();
}
int EventIsSet(corral_event* e) { return e != nullptr && e->is_set() ? 1 : 0; }
corral_status EventWait(corral_event* e, corral_deadline deadline) {
  if (e == nullptr) return CORRAL_INVALID;
  return ToCorralStatus(e->Wait(FromCorralDeadline(deadline)), "event_wait");
}
void EventFree(corral_event* e) { delete e; }

corral_queue* QueueNew(size_t capacity) { return new (std::nothrow) corral_queue(capacity); }
corral_status QueuePut(corral_queue* q, void* item, corral_deadline deadline) {
  if (q == nullptr) return CORRAL_INVALID;
  return ToCorralStatus(q->Put(item, FromCorralDeadline(deadline)), "queue_put");
}
corral_status QueueGet(corral_queue* q, void** item, corral_deadline deadline) {
  if (q == nullptr || item == nullptr) return CORRAL_INVALID;
  absl::StatusOr<void*> got = q->Get(FromCorralDeadline(deadline));
  if (!got.ok()) return ToCorralStatus(got.status(), "queue_get");
  *item = *got;
  return CORRAL_OK;
}
void QueueClose(corral_queue* q) {
  if (q != nullptr) q->Close();
}
void QueueFree(corral_queue* q) { delete q; }

corral_mutex* MutexNew() { return new (std::nothrow) corral_mutex(); }
corral_status MutexLock(corral_mutex* m, corral_deadline deadline) {
  if (m == nullptr) return CORRAL_INVALID;
  return ToCorralStatus(m->Lock(FromCorralDeadline(deadline)), "mutex_lock");
}
void MutexUnlock(corral_mutex* m) {
  if (m != nullptr) m->Unlock();
}
void MutexFree(corral_mutex* m) { delete m; }

void TimeoutPush(corral_deadline deadline) {
  cooperative::PushTimeout(FromCorralDeadline(deadline));
}
void TimeoutPop() { cooperative::PopTimeout(); }

}  // namespace

void FillCooperative(corral_host* host) {
  host->sleep_until = SleepUntil;
  host->spawn = Spawn;
  host->join = Join;
  host->event_new = EventNew;
  host->event_set = EventSet;
  host->event_clear = EventClear;
  host->event_is_set = EventIsSet;
  host->event_wait = EventWait;
  host->event_free = EventFree;
  host->queue_new = QueueNew;
  host->queue_put = QueuePut;
  host->queue_get = QueueGet;
  host->queue_close = QueueClose;
  host->queue_free = QueueFree;
  host->mutex_new = MutexNew;
  host->mutex_lock = MutexLock;
  host->mutex_unlock = MutexUnlock;
  host->mutex_free = MutexFree;
  host->timeout_push = TimeoutPush;
  host->timeout_pop = TimeoutPop;
}

}  // namespace corral::handler
