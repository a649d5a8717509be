#include "servers/models/hub_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "servers/coro/event.h"
#include "servers/coro/semaphore.h"
#include "servers/coro/socket_calls.h"
#include "servers/coro/task.h"
#include "servers/models/bounded_waiting.h"
#include "servers/models/coroutine_stream.h"
#include "servers/models/drain_policy.h"
#include "servers/models/model_timings.h"
#include "servers/models/receive_batch.h"
#include "servers/models/serve_connection.h"
#include "servers/models/worker_slot.h"
#include "servers/net/socket.h"
#include "spdlog/spdlog.h"

namespace corral::models {

struct HubServer::State {
  State(uint32_t max_active, stats::Scoreboard* board)
      : slots(max_active), stats(ClaimWorkerSlot(board)) {}

  stats::SlotWriter* slot() { return stats ? &*stats : nullptr; }

  coro::Semaphore slots;  // one permit per greenlet that may serve at once
  coro::Event idle;       // set when the last worker greenlet ends during a drain
  bool draining = false;
  // An idle connection's greenlet is ending for a waiting client, which the acceptor takes with
  // the permit it gives back; no other greenlet yields for that client meanwhile.
  bool yield_reserved = false;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, coro::Handle<void>> workers;
  coro::Handle<void> taker;                // the acceptor or receiver
  std::optional<stats::SlotWriter> stats;  // this hub's slot, shared by its greenlets

  // Spawns `work` as a worker greenlet that holds one slot until it ends.
  void SpawnWorker(std::function<void()> work) {
    uint64_t id = next_id++;
    workers.emplace(id, coro::Spawn([this, id, work = std::move(work)] {
                      struct Done {  // runs on normal return and on Kill alike
                        State* state;
                        uint64_t id;
                        ~Done() {
                          state->slots.Release();
                          state->workers.erase(id);
                          if (state->draining && state->workers.empty()) state->idle.Set();
                        }
                      } done{this, id};
                      work();
                    }));
  }
};

void HubServer::Run(const std::function<void(State&)>& take_work, std::latch& started) {
  coro::Hub& hub = coro::Hub::Current();
  auto owned = std::make_unique<State>(max_active_, board_);
  State& state = *owned;
  state_ = &state;
  state.taker = coro::Spawn([&] { take_work(state); });
  hub_.store(&hub);
  started.count_down();
  hub.Run();
  // Greenlets still alive here (killed at the drain deadline but not yet unwound) must finish
  // while `state` exists: their exit path releases slots and erases themselves from it.
  // All killed first, then one grace for all of them to unwind together, so that a hub's stop
  // stays within StopBound however many there are.
  std::vector<coro::Handle<void>> left;
  for (auto& [id, handle] : state.workers) left.push_back(handle);
  for (auto& handle : left) handle.Kill(/*block=*/false);
  const coro::Deadline unwound(coro::Clock::now() + kCutGrace);
  for (auto& handle : left) handle.Join(unwound);
  if (!state.workers.empty()) {
    // They unwind when the hub is destroyed at the latest, and still refer to `state` then.
    spdlog::error("{} connection greenlet(s) did not unwind; leaving them to the hub",
                  state.workers.size());
    (void)owned.release();
  }
  state_ = nullptr;
}

std::chrono::milliseconds HubServer::StopBound(std::chrono::milliseconds drain_timeout) {
  return drain_timeout + 2 * kCutGrace;
}

void HubServer::RequestDrain() {
  coro::Hub* hub = hub_.load();
  hub->RunInLoop([this] {
    // The drain blocks (joins, waits), so it runs in a greenlet of its own, not on the hub.
    coro::Spawn([this] {
      State& state = *state_;
      state.draining = true;
      state.taker.Kill();
      // A listener closes now, so new clients are refused rather than left in the backlog; a
      // datagram socket stays open until the last reply is sent.
      if (close_socket_early_) CloseSocket();
      DrainWithin(net::Clock::now() + drain_timeout_, "connection greenlet(s)",
                  {.wait_until_finished =
                       [&state](net::Deadline until) {
                         return state.workers.empty() || state.idle.Wait(coro::Deadline(until));
                       },
                   .cut =
                       [&state] {
                         std::vector<coro::Handle<void>> left;
                         for (auto& [id, handle] : state.workers) left.push_back(handle);
                         for (auto& handle : left) handle.Kill(/*block=*/false);
                         return left.size();
                       },
                   .running = [&state] { return state.workers.size(); }});
      CloseSocket();
      coro::Hub::Current().Stop();
    });
  });
}

void HubServer::CloseSocket() { (void)coro::Close(socket_.Release()); }

void HubServer::ServeStreams(const protocols::StreamProtocol& protocol, std::latch& started) {
  const int listener = socket_.get();
  close_socket_early_ = true;
  Run(
      [listener, &protocol, limit = limit_](State& state) {
        for (;;) {
          state.slots.Acquire();  // at the cap, wait here: clients stay in the backlog
          state.yield_reserved = false;
          absl::StatusOr<int> fd = coro::Accept(listener);
          if (!fd.ok()) {
            state.slots.Release();
            if (absl::IsResourceExhausted(fd.status())) {
              spdlog::warn("accept: {}; pausing accepts", std::string(fd.status().message()));
              coro::Sleep(kOutOfResourcesBackoff);
              continue;
            }
            spdlog::error("accept: {}", std::string(fd.status().message()));
            return;
          }
          // Over its client's cap: closed at once (counted), no greenlet started.
          auto hold = PerClientLimit::Admit(limit, *fd);
          if (!hold) {
            (void)coro::Close(*fd);
            state.slots.Release();
            continue;
          }
          state.SpawnWorker([conn = *fd, place = hold->Detach(), &protocol, slot = state.slot(),
                             listener, s = &state] {
            struct Owned {  // closed on return and on Kill alike
              int fd;
              ~Owned() { (void)coro::Close(fd); }
            } owned{conn};
            PerClientLimit::Hold held(place);  // the client's place, given back likewise
            // At the cap an idle connection yields to a client waiting to be accepted (design
            // decision 24): its permit, given back when this greenlet ends, is the acceptor's.
            BoundedWaiting waiting(
                listener, [s] { return s->slots.available() == 0 && !s->yield_reserved; },
                [s] { return !std::exchange(s->yield_reserved, true); });
            CoroutineStream stream(conn);
            stream.set_waiting_clients(&waiting);
            ServeConnection(stream, slot, protocol);
          });
        }
      },
      started);
}

void HubServer::ServeDatagrams(const protocols::DatagramProtocol& protocol, std::latch& started) {
  const int socket = socket_.get();
  Run(
      [socket, &protocol, board = board_](State& state) {
        ReceiveBatch batch(socket, board);
        for (;;) {
          // One permit per datagram that may be received: at the cap, wait here for one, then
          // take what else is free without waiting, and give back what the batch leaves unused.
          state.slots.Acquire();
          unsigned permits = 1;
          while (permits < ReceiveBatch::kSize && state.slots.TryAcquire()) ++permits;
          absl::StatusOr<size_t> received = batch.Receive(socket, permits);
          const size_t count = received.ok() ? *received : 0;
          for (size_t unused = count; unused < permits; ++unused) state.slots.Release();
          if (!received.ok()) {
            switch (net::ClassifyReceiveErrno(coro::ErrnoOf(received.status()))) {
              case net::ReceiveError::kRetry:
                continue;
              case net::ReceiveError::kOutOfResources:
                spdlog::warn("recvmmsg: {}; pausing receives",
                             std::string(received.status().message()));
                coro::Sleep(kOutOfResourcesBackoff);
                continue;
              case net::ReceiveError::kFatal:
                spdlog::error("recvmmsg: {}", std::string(received.status().message()));
                return;
            }
          }
          for (size_t i = 0; i < count; ++i) {
            // Copied out: the batch's buffers are refilled before the workers run.
            auto request = std::make_shared<const std::string>(batch.bytes(i));
            state.SpawnWorker(
                [socket, request, from = batch.sender(i), &protocol, slot = state.slot()] {
                  CoroutineDatagramSender sender(socket);
                  ServeDatagram(protocols::Datagram{request->data(), request->size(), from}, sender,
                                slot, protocol);
                });
          }
        }
      },
      started);
}

}  // namespace corral::models
