#include "servers/coro/greenlet.h"

#include <cxxabi.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "servers/coro/stack_pool.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

// How AddressSanitizer is told about stack switches.
//
// ASan keeps the bounds of "the current stack" per thread; after a context switch it would
// otherwise think the program is running on the thread's stack while sp points into a mmapped
// greenlet stack, and report false stack overflows or unpoison the wrong memory on exceptions.
// So every switch is bracketed, when __SANITIZE_ADDRESS__ is defined (GCC with -fsanitize=address):
//   before jumping:  __sanitizer_start_switch_fiber(&fake, target_bottom, target_size)
//   after landing:   __sanitizer_finish_switch_fiber(fake, &from_bottom, &from_size)
// `fake` is the fake stack (for detect_stack_use_after_return) of the greenlet that jumps; it is
// kept in a local of the suspended frame and handed back when that frame resumes. A greenlet
// that is finishing passes nullptr instead, telling ASan to free its fake stack. The root
// greenlet's bounds are not known in advance: they are learned from `from_bottom/from_size` at
// the first landing after the root switched away. The one jump that is not annotated is the
// short round trip Boost.Context makes into a new stack while constructing a fiber, which runs
// no instrumented code.

namespace corral::coro {
namespace bctx = boost::context;

static_assert(sizeof(bctx::fiber) == sizeof(void*), "Greenlet::context_ holds one fiber");

namespace {

// The layout of libsupc++'s (and libc++abi's) __cxa_eh_globals, which <cxxabi.h> only declares:
// the chain of exceptions being handled and the count of exceptions thrown but not yet caught.
// Both belong to a stack, not a thread, so every switch swaps them (Greenlet::eh_state_).
struct EhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};

// Per-thread switching state. `from` is the greenlet that performed the latest switch: the one
// that lands uses it to store the context it was resumed from. `value`/`error` carry what a
// Switch/Throw/return delivers to the greenlet being switched to.
struct ThreadState {
  int tid = 0;  // gettid(): names the thread in the wrong-thread message
  std::shared_ptr<Greenlet> root;
  Greenlet* current = nullptr;
  Greenlet* from = nullptr;
  std::any value;
  std::exception_ptr error;
  EhGlobals* eh = nullptr;  // this thread's __cxa_eh_globals
};

// The hot path reads a plain pointer (no TLS init guard); the state itself is created on a
// thread's first use.
thread_local ThreadState* tls_state = nullptr;

// An exception that ended greenlet `g` while it unwound at its destruction: there is no frame
// left to deliver it to, so it is reported rather than lost.
void ReportUnraisable(const Greenlet* g, const char* what) {
  std::fprintf(stderr,
               "corral::coro: destroy greenlet %p: it threw while unwinding, exception dropped: "
               "%s\n",
               static_cast<const void*>(g), what);
}

}  // namespace

// The Boost.Context side of Greenlet, kept out of the header.
struct GreenletInternals {
  static bctx::fiber& Fiber(Greenlet* g) {
    return *std::launder(reinterpret_cast<bctx::fiber*>(g->context_));
  }

  // Stack allocator in the shape Boost.Context expects, backed by the thread's StackPool.
  class StackAllocator {
   public:
    StackAllocator(Greenlet* owner) : owner_(owner) {}
    bctx::stack_context allocate() {
      Stack s = StackPool::ForThisThread().Allocate(owner_->stack_size_);
      owner_->stack_bottom_ = s.bottom;
      owner_->stack_bytes_ = s.size;
      bctx::stack_context sc;
      sc.size = s.size;
      sc.sp = s.top();
      return sc;
    }
    void deallocate(bctx::stack_context& sc) noexcept {
      StackPool::ForThisThread().Release(Stack{static_cast<char*>(sc.sp) - sc.size, sc.size});
    }

   private:
    Greenlet* owner_;  // only used during allocate(), while it is certainly alive
  };

  static ThreadState& State() {
    if (tls_state != nullptr) [[likely]]
      return *tls_state;
    return InitState();
  }

  [[gnu::noinline]] static ThreadState& InitState() {
    thread_local ThreadState state;
    // Order matters at thread exit: thread_locals die in reverse order of construction, and
    // the pool must outlive anything (the Hub) that may still unwind greenlets.
    StackPool::ForThisThread();
    state.tid = static_cast<int>(gettid());
    state.root = std::shared_ptr<Greenlet>(new Greenlet(Greenlet::RootTag{}));
    state.root->owner_tid_ = state.tid;
    state.current = state.root.get();
    state.eh = reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
    tls_state = &state;
    return state;
  }

  [[gnu::always_inline]] static bctx::fiber& EnsureStarted(Greenlet* g) {
    if (!g->started_) [[unlikely]] {
      CreateFiber(g);
    }
    return Fiber(g);
  }

  [[gnu::noinline]] static void CreateFiber(Greenlet* g) {
    g->started_ = true;
    Fiber(g) = bctx::fiber(std::allocator_arg, StackAllocator(g),
                           [g](bctx::fiber&& caller) { return Entry(g, std::move(caller)); });
  }

  // Runs after every landing: stores the context we were resumed from in its greenlet.
  [[gnu::always_inline]] static void Landed(ThreadState& ts, bctx::fiber&& back,
                                            const void* from_bottom, size_t from_bytes) {
#if defined(__SANITIZE_ADDRESS__)
    if (ts.from->stack_bottom_ == nullptr) {  // the root: learn its bounds
      ts.from->stack_bottom_ = from_bottom;
      ts.from->stack_bytes_ = from_bytes;
    }
#else
    (void)from_bottom;
    (void)from_bytes;
#endif
    // `from`'s slot is empty (its context was running); `back` is empty if `from` just finished.
    Fiber(ts.from).swap(back);
  }

  // Parks the exception-handling state of the greenlet switching out in `from` and installs
  // `to`'s (see Greenlet::eh_state_). Both loads come before both stores: the compiler cannot
  // know that the greenlets' bytes and the thread's record do not overlap, and would otherwise
  // reload between the stores.
  [[gnu::always_inline]] static void SwapExceptionState(ThreadState& ts, Greenlet* from,
                                                        Greenlet* to) {
    static_assert(sizeof(EhGlobals) == sizeof(Greenlet::eh_state_),
                  "a switch copies __cxa_eh_globals whole, padding included");
    unsigned char leaving[sizeof(EhGlobals)];
    unsigned char arriving[sizeof(EhGlobals)];
    EhGlobals* eh = ts.eh;
    std::memcpy(leaving, eh, sizeof leaving);
    std::memcpy(arriving, to->eh_state_, sizeof arriving);
    std::memcpy(from->eh_state_, leaving, sizeof leaving);
    std::memcpy(eh, arriving, sizeof arriving);
  }

  [[gnu::always_inline]] static std::any Deliver(ThreadState& ts) {
    if (ts.error) {
      ts.value.reset();
      std::rethrow_exception(std::exchange(ts.error, nullptr));
    }
    if (!ts.value.has_value()) return {};  // the hub's switches carry nothing
    std::any v = std::move(ts.value);
    ts.value.reset();
    return v;
  }

  [[gnu::always_inline]] static Greenlet* LiveAncestor(Greenlet* g) {
    while (g->dead_) g = g->parent_.get();  // the root never dies, so this ends
    return g;
  }

  // Switching into another thread's greenlet would run its stack on this thread while its own
  // thread may be running it too: stop before anything is touched.
  [[gnu::noinline, noreturn]] static void WrongThread(const Greenlet* target,
                                                      const ThreadState& ts) {
    std::fprintf(stderr,
                 "corral::coro: switch to greenlet %p from thread %d: it belongs to thread %d; "
                 "greenlets may only be switched on the thread that created them\n",
                 static_cast<const void*>(target), ts.tid, target->owner_tid_);
    std::abort();
  }

  [[gnu::always_inline]] static std::any SwitchTo(Greenlet* target) {
    ThreadState& ts = State();
    if (target->owner_tid_ != ts.tid) [[unlikely]] {
      WrongThread(target, ts);
    }
    target = LiveAncestor(target);
    if (target == ts.current) return Deliver(ts);
    ts.from = ts.current;
    ts.current = target;
    SwapExceptionState(ts, ts.from, target);
    bctx::fiber& next = EnsureStarted(target);
    const void* from_bottom = nullptr;
    size_t from_bytes = 0;
#if defined(__SANITIZE_ADDRESS__)
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, target->stack_bottom_, target->stack_bytes_);
    bctx::fiber back = std::move(next).resume();
    __sanitizer_finish_switch_fiber(fake, &from_bottom, &from_bytes);
#else
    bctx::fiber back = std::move(next).resume();
#endif
    Landed(ts, std::move(back), from_bottom, from_bytes);
    return Deliver(ts);
  }

  // The bottom frame of every greenlet stack.
  static bctx::fiber Entry(Greenlet* self, bctx::fiber&& caller) {
    ThreadState& ts = *tls_state;
    const void* from_bottom = nullptr;
    size_t from_bytes = 0;
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(nullptr, &from_bottom, &from_bytes);
#endif
    Landed(ts, std::move(caller), from_bottom, from_bytes);
    std::any result;
    std::exception_ptr error;
    try {
      // A Throw() before the first switch kills the greenlet before its function runs.
      if (ts.error) std::rethrow_exception(std::exchange(ts.error, nullptr));
      std::any arg = std::move(ts.value);
      ts.value.reset();
      result = self->Run(std::move(arg));
    } catch (const GreenletExit& e) {
      result = e.value();
    } catch (...) {
      error = std::current_exception();
    }
    self->fn_ = nullptr;
    self->dead_ = true;
    Greenlet* next = LiveAncestor(self->parent_.get());
    ts.value = std::move(result);
    ts.error = std::move(error);
    ts.from = self;
    ts.current = next;
    SwapExceptionState(ts, self, next);
    bctx::fiber& resume = EnsureStarted(next);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_start_switch_fiber(nullptr, next->stack_bottom_, next->stack_bytes_);
#endif
    // Boost.Context switches to `resume` and frees this stack (StackAllocator::deallocate).
    return std::move(resume);
  }
};

Greenlet::Greenlet(RootTag) : started_(true), root_(true) { new (context_) bctx::fiber(); }

Greenlet::Greenlet(std::shared_ptr<Greenlet> parent, size_t stack_size)
    : parent_(parent ? std::move(parent) : CurrentShared()),
      stack_size_(stack_size),
      owner_tid_(GreenletInternals::State().tid) {
  new (context_) bctx::fiber();
}

std::shared_ptr<Greenlet> Greenlet::Create(Function fn, std::shared_ptr<Greenlet> parent,
                                           size_t stack_size) {
  std::shared_ptr<Greenlet> g(new Greenlet(std::move(parent), stack_size));
  g->fn_ = std::move(fn);
  return g;
}

Greenlet::~Greenlet() {
  Unwind();
  GreenletInternals::Fiber(this).~fiber();
}

Greenlet* Greenlet::Current() { return GreenletInternals::State().current; }

std::shared_ptr<Greenlet> Greenlet::CurrentShared() { return Current()->shared_from_this(); }

std::any Greenlet::Run(std::any arg) { return fn_ ? fn_(std::move(arg)) : std::any(); }

std::any Greenlet::Switch(std::any value) {
  ThreadState& ts = GreenletInternals::State();
  // Both are empty at rest (Deliver empties them); skip the stores when there is nothing to carry.
  if (value.has_value()) ts.value = std::move(value);
  return GreenletInternals::SwitchTo(this);
}

std::any Greenlet::Switch() {
  GreenletInternals::State();
  return GreenletInternals::SwitchTo(this);
}

std::any Greenlet::Throw(std::exception_ptr error) {
  if (dead_ && owner_tid_ == GreenletInternals::State().tid) [[unlikely]] {
    // As Entry would have handled it, had this greenlet raised it: GreenletExit is a result.
    try {
      std::rethrow_exception(error);
    } catch (const GreenletExit& e) {
      return Switch(e.value());
    } catch (...) {
    }
  }
  ThreadState& ts = GreenletInternals::State();
  ts.error = std::move(error);
  return GreenletInternals::SwitchTo(this);
}

absl::Status Greenlet::SetParent(std::shared_ptr<Greenlet> parent) {
  if (parent == nullptr) return absl::InvalidArgumentError("set greenlet parent: null parent");
  if (parent->owner_tid_ != owner_tid_) {
    return absl::InvalidArgumentError("set greenlet parent: parent belongs to thread " +
                                      std::to_string(parent->owner_tid_) + ", greenlet to " +
                                      std::to_string(owner_tid_));
  }
  for (Greenlet* g = parent.get(); g != nullptr; g = g->parent_.get()) {
    if (g == this) return absl::InvalidArgumentError("set greenlet parent: cyclic parent chain");
  }
  parent_ = std::move(parent);
  return absl::OkStatus();
}

void Greenlet::Discard() {
  if (started_) return;
  fn_ = nullptr;
  dead_ = true;
}

void Greenlet::Unwind() {
  if (!started_ || dead_ || root_) return;
  ThreadState& ts = GreenletInternals::State();
  if (owner_tid_ != ts.tid) {
    std::fprintf(stderr,
                 "corral::coro: destroy greenlet %p on thread %d: it belongs to thread %d; "
                 "leaking its stack instead of unwinding it\n",
                 static_cast<const void*>(this), ts.tid, owner_tid_);
    new bctx::fiber(std::move(GreenletInternals::Fiber(this)));
    return;
  }
  if (ts.current == this) {
    std::fprintf(stderr, "corral::coro: a greenlet destroyed itself while running\n");
    std::abort();
  }
  // Come back here when it has unwound, wherever its parent was.
  if (std::shared_ptr<Greenlet> here = ts.current->weak_from_this().lock()) {
    parent_ = std::move(here);
    try {
      Throw();
    } catch (const std::exception& e) {
      ReportUnraisable(this, e.what());
    } catch (...) {
      ReportUnraisable(this, "an exception not derived from std::exception");
    }
  }
  if (!dead_) {
    // It refused to die (caught GreenletExit and switched away). Its stack may still be in use
    // by frames we cannot see, so leak it rather than free it.
    std::fprintf(stderr, "corral::coro: leaking the stack of a greenlet that did not exit\n");
    new bctx::fiber(std::move(GreenletInternals::Fiber(this)));
  }
}

}  // namespace corral::coro
