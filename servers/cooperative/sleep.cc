#include "servers/cooperative/sleep.h"

#include <thread>

#include "servers/cooperative/timeout_scope.h"
#include "servers/cooperative/where.h"
#include "servers/coro/nothrow.h"

namespace corral::cooperative {

absl::Status SleepUntil(base::Deadline deadline) {
  const base::Deadline until = CapByScope(deadline);
  if (coro::Hub* hub = CurrentHub(); hub != nullptr) {
    absl::Status s = coro::nothrow::Call("sleep", -1, [hub, until] {
      if (until <= base::Clock::now()) {
        hub->Yield();
      } else {
        hub->SleepUntil(coro::Deadline(until));
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  } else if (until != base::Deadline::max()) {
    std::this_thread::sleep_until(until);
  } else {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(24));  // as asked: for ever
  }
  if (until < deadline)
    return absl::DeadlineExceededError("sleep: deadline exceeded: timeout scope ended");
  return absl::OkStatus();
}

}  // namespace corral::cooperative
