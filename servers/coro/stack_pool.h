// StackPool: guarded, reusable coroutine stacks.
//
// Each stack is one private anonymous mapping: a PROT_NONE guard page at the low end (stacks grow
// down on x86-64 and aarch64) and `size` usable bytes above it. Pages are committed lazily by the
// kernel on first touch, so a 64 KiB stack whose greenlet only ever uses 8 KiB costs about 8 KiB
// of resident memory: 10,000 idle greenlets fit in tens of MiB. Running off the end of a stack
// faults on the guard page (SIGSEGV) instead of silently corrupting a neighbour.
//
// Released stacks are cached (up to `max_cached` per pool) so that spawning a greenlet costs no
// syscall in steady state. Cached stacks keep whatever pages they had touched; that is the price
// of not calling madvise() on every greenlet exit.
//
// Thread affinity: a StackPool is not thread-safe. Each OS thread has its own (see
// StackPool::ForThisThread), and a greenlet lives and dies on one thread, so its stack always
// returns to the pool it came from.
#pragma once

#include <cstddef>
#include <vector>

namespace corral::coro {

// One stack. `bottom` is the lowest usable address (just above the guard page); the stack
// pointer starts at `top()`. Sizes are in bytes.
struct Stack {
  void* bottom = nullptr;
  size_t size = 0;
  void* top() const { return static_cast<char*>(bottom) + size; }
};

class StackPool {
 public:
  // Usable bytes per stack when none is given: 64 KiB, or 256 KiB under AddressSanitizer, whose
  // redzones make every frame several times larger.
  static size_t DefaultStackSize();
  // Changes the default for stacks allocated from now on, process-wide (any thread). Rounded up
  // to whole pages; values below 16 KiB are raised to 16 KiB.
  static void SetDefaultStackSize(size_t bytes);

  // The calling thread's pool.
  static StackPool& ForThisThread();

  explicit StackPool(size_t max_cached = 1024) : max_cached_(max_cached) {}
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // Returns a stack with at least `size` usable bytes (0 means DefaultStackSize()). Reuses a
  // cached stack of the same rounded size when there is one. Throws std::bad_alloc when mmap or
  // mprotect fails (that is what Boost.Context expects of a stack allocator).
  Stack Allocate(size_t size = 0);
  // Gives a stack back: cached if there is room, unmapped otherwise.
  void Release(Stack stack);

  size_t cached() const { return free_.size(); }

 private:
  static void Unmap(Stack stack);

  size_t max_cached_;
  std::vector<Stack> free_;  // LIFO: the most recently used stack is the warmest in cache
};

}  // namespace corral::coro
