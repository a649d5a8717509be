#include "servers/coro/stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace corral::coro {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kInitialDefault = 256 * 1024;
#else
constexpr size_t kInitialDefault = 64 * 1024;
#endif
constexpr size_t kMinimumSize = 16 * 1024;

std::atomic<size_t> default_size{kInitialDefault};

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// A stack handed out must look fresh to AddressSanitizer: frames of the greenlet that used it
// before (or of an earlier mapping at the same address) leave poisoned shadow bytes behind.
void Unpoison(const Stack& s) {
#if defined(__SANITIZE_ADDRESS__)
  __asan_unpoison_memory_region(s.bottom, s.size);
#else
  (void)s;
#endif
}

size_t RoundToPages(size_t bytes) {
  const size_t page = PageSize();
  return (std::max(bytes, kMinimumSize) + page - 1) / page * page;
}

}  // namespace

size_t StackPool::DefaultStackSize() { return default_size.load(std::memory_order_relaxed); }

void StackPool::SetDefaultStackSize(size_t bytes) {
  default_size.store(RoundToPages(bytes), std::memory_order_relaxed);
}

StackPool& StackPool::ForThisThread() {
  thread_local StackPool pool;
  return pool;
}

StackPool::~StackPool() {
  for (const Stack& s : free_) Unmap(s);
}

Stack StackPool::Allocate(size_t size) {
  size = RoundToPages(size == 0 ? DefaultStackSize() : size);
  // Search from the back: the common case is a single size, so this stops at the first entry.
  for (size_t i = free_.size(); i-- > 0;) {
    if (free_[i].size == size) {
      Stack s = free_[i];
      free_[i] = free_.back();
      free_.pop_back();
      Unpoison(s);
      return s;
    }
  }
  const size_t guard = PageSize();
  // MAP_NORESERVE: the address space is promised, not the memory; untouched pages cost nothing.
  void* base = mmap(nullptr, size + guard, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  if (mprotect(base, guard, PROT_NONE) != 0) {
    munmap(base, size + guard);
    throw std::bad_alloc();
  }
  Stack s{static_cast<char*>(base) + guard, size};
  Unpoison(s);
  return s;
}

void StackPool::Release(Stack stack) {
  if (free_.size() < max_cached_) {
    free_.push_back(stack);
  } else {
    Unmap(stack);
  }
}

void StackPool::Unmap(Stack stack) {
  const size_t guard = PageSize();
  munmap(static_cast<char*>(stack.bottom) - guard, stack.size + guard);
}

}  // namespace corral::coro
