// Greenlet: a function running on its own stack, switched explicitly (Python greenlet semantics).
//
// A greenlet is created suspended. The first Switch(v) into it starts its function with v; later
// switches resume it, and the Switch(v) it had called returns v. Control only moves when some
// greenlet calls Switch or Throw: there is no scheduler at this layer (the Hub in hub.h is one).
//
//   auto ping = Greenlet::Create([](std::any v) -> std::any { ... });
//   std::any r = ping->Switch(1);  // runs ping until it switches back (or returns)
//
// Parent: every greenlet has one, by default the greenlet that created it. When the function
// returns, its result is switched to the parent (the parent's pending Switch returns it). When it
// throws, the exception is re-thrown in the parent at its pending Switch, except GreenletExit,
// which ends the greenlet quietly and hands GreenletExit::value() to the parent as a result.
// Exceptions therefore never escape a stack; the process is not terminated by them.
//
// Each OS thread has an implicit root greenlet for its ordinary stack (Current() on a fresh
// thread returns it). Greenlets belong to the thread that created them: every method, and the
// destructor, must be called on that thread. Switch and Throw check it before any context
// switch (one compare): from another thread they print which greenlet and which two threads
// (Linux thread ids) and abort, since that thread's stack cannot safely go on (greenlet raises
// greenlet.error instead). SetParent refuses a parent of another thread; a destructor run on
// another thread reports it and leaks the greenlet's stack rather than switch into it.
//
// Ownership: greenlets are held by shared_ptr. A greenlet holds its parent alive. Destroying (the
// last reference to) a suspended greenlet raises GreenletExit inside it, with the destroying
// greenlet as its parent, so its stack unwinds and destructors run; an exception it throws
// instead cannot be delivered anywhere and is reported on stderr, naming the greenlet by its
// address (greenlet reports it through sys.unraisablehook). Code that catches GreenletExit must not
// switch away again from a greenlet being destroyed; if it does, the stack is leaked (and a warning
// printed) rather than freed while in use. Do not destroy the running greenlet or one whose stack
// holds the only reference to itself (that is a leak, as in Python without the cycle collector).
//
// Stacks come from StackPool (guarded, pooled); see stack_pool.h.
#pragma once

#include <any>
#include <cstddef>
#include <exception>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"

namespace corral::coro {

// Raised inside a greenlet to end it quietly (Kill(), destruction). Catching it is allowed for
// cleanup, but the greenlet should then return. `value` becomes the greenlet's result.
class GreenletExit : public std::exception {
 public:
  GreenletExit() = default;
  explicit GreenletExit(std::any value) : value_(std::move(value)) {}
  const char* what() const noexcept override { return "GreenletExit"; }
  const std::any& value() const { return value_; }

 private:
  std::any value_;
};

class Greenlet : public std::enable_shared_from_this<Greenlet> {
 public:
  using Function = absl::AnyInvocable<std::any(std::any)>;

  // Creates a suspended greenlet that will run `fn`. `parent` defaults to Current().
  // `stack_size` in bytes, 0 for StackPool::DefaultStackSize(). The stack is taken from the
  // pool at the first switch, not here.
  static std::shared_ptr<Greenlet> Create(Function fn, std::shared_ptr<Greenlet> parent = nullptr,
                                          size_t stack_size = 0);

  // The greenlet running on this thread (the root greenlet if no other was ever switched to).
  static Greenlet* Current();
  // Current() as a shared_ptr.
  static std::shared_ptr<Greenlet> CurrentShared();

  virtual ~Greenlet();
  Greenlet(const Greenlet&) = delete;
  Greenlet& operator=(const Greenlet&) = delete;

  // Suspends the caller and runs this greenlet, handing it `value` (see the file comment).
  // Returns the value the caller is eventually switched back with, or throws the exception it is
  // thrown (by Throw, or one propagated from a child that ended with it). Switching to a dead
  // greenlet switches to its nearest live ancestor; switching to Current() returns `value`.
  std::any Switch(std::any value);
  // Switch with no value (the hub's way to resume a greenlet: nothing to construct or carry).
  std::any Switch();

  // Like Switch, but `error` is raised inside this greenlet where it is suspended (or, if it
  // has not started, before its function runs; it then dies without running it). Returns what
  // Switch would. Throw() with no argument raises GreenletExit. Into a dead greenlet, the error
  // is handled as if that greenlet had just raised it: GreenletExit is eaten and its value
  // switched to the nearest live ancestor (returned here when that is the caller, as greenlet
  // does); anything else is raised in that ancestor.
  std::any Throw(std::exception_ptr error);
  std::any Throw() { return Throw(std::make_exception_ptr(GreenletExit())); }

  // Started: has been switched to at least once (the root always has). Dead: its function
  // has returned or thrown. A greenlet that is neither is "suspended" or never started.
  bool started() const { return started_; }
  bool dead() const { return dead_; }
  // Started, not dead.
  bool active() const { return started_ && !dead_; }

  Greenlet* parent() const { return parent_.get(); }
  // Re-parents. InvalidArgument if that would make a cycle, `parent` is null or belongs to
  // another thread.
  absl::Status SetParent(std::shared_ptr<Greenlet> parent);

 protected:
  // For subclasses that run a method instead of a Function (the Hub's tasks).
  Greenlet(std::shared_ptr<Greenlet> parent, size_t stack_size);
  // The greenlet's body; the default calls the Function given to Create.
  virtual std::any Run(std::any arg);
  // Unwinds a suspended greenlet (see the class comment). Subclasses whose Run() uses their
  // own members call it first thing in their destructor, while those members still exist.
  void Unwind();
  // Marks a greenlet that was never started as dead, without running it or switching to it
  // (a task killed before it started). No-op once started.
  void Discard();

 private:
  friend class Hub;
  struct RootTag {};
  explicit Greenlet(RootTag);
  friend struct GreenletInternals;  // greenlet.cc: the Boost.Context side

  Function fn_;
  std::shared_ptr<Greenlet> parent_;
  size_t stack_size_ = 0;
  // A boost::context::fiber (one pointer), kept opaque so that Boost.Context stays inside
  // greenlet.cc: it holds this greenlet's suspended context while it is not running.
  alignas(void*) unsigned char context_[sizeof(void*)] = {};
  bool started_ = false;
  bool dead_ = false;
  bool root_ = false;
  // Bookkeeping owned by the Hub (hub.h), unused at this layer; the flags sit here, packed with
  // the ones above, to keep the object (and every spawn's allocation) small.
  bool parked_ = false;     // waiting for Hub::Unpark
  bool scheduled_ = false;  // in the hub's ready queue
  bool cancelled_ = false;  // killed: the status calls (nothrow.h) return CANCELLED from now
  int owner_tid_ = 0;       // the Linux thread id of the thread that created it

  // The C++ runtime's per-thread exception-handling state (libsupc++'s __cxa_eh_globals: the
  // stack of exceptions being handled, and the count of those in flight), saved here while this
  // greenlet is switched out. Without it, a greenlet switched to from inside a catch handler
  // would see that handler's exception as its own (std::current_exception, `throw;`), and
  // handlers left in non-LIFO order across greenlets would pop each other's exceptions.
  // Kept as the 16 raw bytes of that record, beside the other fields a switch touches, so that
  // a switch saves and restores it with one 16-byte load and store each way.
  alignas(16) unsigned char eh_state_[16] = {};

  // The Hub's too: raised at the next resume from the hub (Kill, Timeout).
  std::exception_ptr pending_;

  // This greenlet's stack bounds, for AddressSanitizer's fiber-switch annotations. For the
  // root they are learned at the first switch away from it.
  const void* stack_bottom_ = nullptr;
  size_t stack_bytes_ = 0;
};

}  // namespace corral::coro
