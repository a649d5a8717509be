// corral::coro: coroutines as Python's greenlet and gevent provide them, in C++.
//
// Include this header for the whole runtime; each piece also has its own header.
//
// Glossary
//   greenlet   A function running on its own stack that can pause. Control moves between
//              greenlets only by explicit switches (greenlet.h), never preemptively.
//   root       The greenlet of a thread's ordinary stack; it exists implicitly.
//   hub        The per-thread scheduler, itself a greenlet running the event loop: epoll,
//              timers, a ready queue (hub.h). Parent of every spawned greenlet.
//   task       A greenlet spawned on the hub, with a handle to join, get or kill it (task.h).
//   blocking point  A call that may switch to the hub: Sleep, Join/Get, Kill(block), a
//              socket call, Event/Queue/Semaphore/Pool waits. Only there does another greenlet
//              run, so code between two blocking points needs no locks.
//   park / unpark  A greenlet parks (waits in the hub) at a blocking point until something
//              unparks it: a descriptor became ready, a timer fired, a notify, a kill.
//   deadline   An absolute time on the monotonic clock bounding a blocking call (deadline.h);
//              converts from a duration. Expiry is a DeadlineExceeded status or `false`.
//   Timeout    A scoped object that makes the next blocking point after its deadline throw
//              TimeoutExpired (timeout.h).
//   GreenletExit  The exception that ends a greenlet quietly; Kill() raises it.
//   status calls  nothrow::Sleep, nothrow::Accept, nothrow::Call (nothrow.h): the forms handler
//              code uses, which return a kill as CANCELLED (sticky) and a Timeout as
//              DEADLINE_EXCEEDED instead of throwing.
//
// Stacks: each greenlet runs on a pooled 64 KiB stack (StackPool::SetDefaultStackSize changes
// it) with a guard page below. Keep large buffers off it (a `char buf[65536]` local overflows
// into the guard page, which kills the process with SIGSEGV rather than corrupting memory).
//
// Descriptors: a hub keeps each descriptor it waited on registered with epoll until told to
// forget it, so close those with coro::Close, not close(2) (socket_calls.h).
//
// Thread model: one hub per OS thread; greenlets, tasks and sync primitives belong to the thread
// that made them. Other threads talk to a hub only through Hub::Stop and Hub::RunInLoop; a
// switch into a greenlet from another thread aborts with a message (greenlet.h).
//
// Switches and the hub: a greenlet parked at a blocking point is resumed by the hub only. A
// direct Switch into it raises InvalidSwitch there (hub.h), and a Kill or Timeout reaches a
// greenlet suspended in a direct Switch that nobody answers.
//
//   int main() {
//     auto a = Spawn([] { Sleep(10ms); return 1; });
//     auto b = Spawn([] { return 2; });
//     JoinAll({a, b});                    // runs the hub until both finish
//     return a.Get() + b.Get();
//   }
#pragma once

#include "servers/coro/deadline.h"      // IWYU pragma: export
#include "servers/coro/event.h"         // IWYU pragma: export
#include "servers/coro/greenlet.h"      // IWYU pragma: export
#include "servers/coro/hub.h"           // IWYU pragma: export
#include "servers/coro/nothrow.h"       // IWYU pragma: export
#include "servers/coro/pool.h"          // IWYU pragma: export
#include "servers/coro/queue.h"         // IWYU pragma: export
#include "servers/coro/semaphore.h"     // IWYU pragma: export
#include "servers/coro/socket_calls.h"  // IWYU pragma: export
#include "servers/coro/stack_pool.h"    // IWYU pragma: export
#include "servers/coro/task.h"          // IWYU pragma: export
#include "servers/coro/timeout.h"       // IWYU pragma: export
