// Microbenchmarks of the corral::coro hot paths. bench/coro/compare runs the same operations in
// Python's greenlet and gevent. Each benchmark's iteration is one operation as named:
//   BM_SwitchRoundTrip   root -> greenlet -> root: two switches (compare halves it)
//   BM_SpawnJoin         Spawn an empty function and Join it
//   BM_SleepZero         Sleep(0) with nothing else ready: root -> hub -> root
//   BM_SocketPingPong    one byte there and back over a socketpair between two greenlets:
//                        each side parks on epoll and is unparked once per iteration
#include <sys/socket.h>

#include <any>
#include <chrono>
#include <memory>

#include "benchmark/benchmark.h"
#include "servers/coro/coro.h"

namespace corral::coro {
namespace {

void BM_SwitchRoundTrip(benchmark::State& state) {
  Greenlet* root = Greenlet::Current();
  auto g = Greenlet::Create([root](std::any) -> std::any {
    for (;;) root->Switch();
  });
  for (auto _ : state) g->Switch();
  state.SetItemsProcessed(2 * state.iterations());
}
BENCHMARK(BM_SwitchRoundTrip);

void BM_SwitchWithValue(benchmark::State& state) {
  Greenlet* root = Greenlet::Current();
  auto g = Greenlet::Create([root](std::any v) -> std::any {
    for (;;) v = root->Switch(std::any_cast<int>(v) + 1);
  });
  int x = 0;
  for (auto _ : state) x = std::any_cast<int>(g->Switch(x));
  benchmark::DoNotOptimize(x);
  state.SetItemsProcessed(2 * state.iterations());
}
BENCHMARK(BM_SwitchWithValue);

void BM_SpawnJoin(benchmark::State& state) {
  for (auto _ : state) {
    auto h = Spawn([] {});
    h.Join();
  }
}
BENCHMARK(BM_SpawnJoin);

void BM_SleepZero(benchmark::State& state) {
  for (auto _ : state) Sleep(Clock::duration::zero());
}
BENCHMARK(BM_SleepZero);

void BM_SocketPingPong(benchmark::State& state) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  auto echo = Spawn([fd = sv[1]] {
    char c;
    for (;;) {
      absl::StatusOr<size_t> n = Recv(fd, &c, 1);
      if (!n.ok() || *n == 0) return;
      if (!SendAll(fd, &c, 1).ok()) return;
    }
  });
  char c = 'x';
  for (auto _ : state) {
    if (!SendAll(sv[0], &c, 1).ok() || !Recv(sv[0], &c, 1).ok()) {
      state.SkipWithError("socket call failed");
      break;
    }
  }
  // Close, not close(2): the hub keeps both registered, and the next run reuses the numbers.
  (void)Close(sv[0]);  // the echo greenlet sees EOF and ends
  echo.Join();
  (void)Close(sv[1]);
}
BENCHMARK(BM_SocketPingPong);

}  // namespace
}  // namespace corral::coro

BENCHMARK_MAIN();
