// chat: a chat room (gevent's chat example). Every line a client sends goes to every other
// client, prefixed with the sender's address: "127.0.0.1:5000: hello".
//
// How it works: each connection has an outbox (a queue of lines) and a writer task that sends
// what arrives in it, while the connection's own worker reads lines and puts a copy into every
// other member's outbox. A slow reader cannot hold the room up: when its outbox is full the
// line is dropped for it alone (counted as an error of the handler).
//
// What a room is, under each model: the members of one process.
//   - thread, coroutine: the whole server is one process, so every client is in one room
//     (under coroutine across all hubs: the queues wake greenlets of other hubs).
//   - fork per connection, fork pool: each connection is served by a process of its own, so
//     each client is alone in its room and hears nobody. Run a chat under thread or coroutine.
//
// Build: c++ -std=c++17 -shared -fPIC -I<sdk>/include chat.cc -o chat.so
// Run:   corralctl start chat --protocol tcp --handler ./chat.so --model coroutine --hubs 2
#include <corral/handler.h>

#include <algorithm>
#include <corral/cooperative.hpp>
#include <string>
#include <vector>

namespace {

const corral_host* host_table = nullptr;

constexpr size_t kOutboxLines = 256;
constexpr size_t kMaxLine = 4096;

struct Member {
  corral_conn* conn;
  corral::Queue<std::string> outbox{kOutboxLines};
};

// The room of this process.
struct Room {
  corral::Mutex mutex;
  std::vector<Member*> members;  // guarded by mutex
};

// Sends what arrives in the member's outbox until it is closed and drained or the peer left.
void WriteOutbox(Member* me) {
  std::string* line = nullptr;
  bool peer_gone = false;
  while (me->outbox.Get(&line) == CORRAL_OK) {
    if (!peer_gone && host_table->write(me->conn, line->data(), line->size(),
                                        corral::After(std::chrono::seconds(10))) != CORRAL_OK) {
      peer_gone = true;  // keep draining, so nothing queued leaks
    }
    delete line;
  }
}

void Broadcast(Room* room, Member* from, const std::string& text) {
  corral::LockGuard lock(room->mutex);
  if (!lock.locked()) return;
  for (Member* m : room->members) {
    if (m == from) continue;
    auto* line = new std::string(text);
    // Deadline "now": a full outbox drops the line for that member instead of stalling all.
    if (m->outbox.Put(line, host_table->now()) != CORRAL_OK) {
      delete line;
      host_table->count_error(from->conn);
    }
  }
}

void ServeStream(void* state, corral_conn* conn) {
  auto* room = static_cast<Room*>(state);
  Member me{conn};
  {
    corral::LockGuard lock(room->mutex);
    if (!lock.locked()) return;
    room->members.push_back(&me);
  }
  corral::Task writer([&me] { WriteOutbox(&me); });

  char peer[64];
  host_table->peer(conn, peer, sizeof peer);
  std::string buf(kMaxLine, '\0');
  for (;;) {
    size_t got = 0;
    corral_status s = host_table->read_line(conn, buf.data(), buf.size(), CORRAL_NO_DEADLINE, &got);
    if (s == CORRAL_TOO_LONG) continue;  // that line is skipped
    if (s != CORRAL_OK) break;           // closed, broken, cancelled
    Broadcast(room, &me, std::string(peer) + ": " + buf.substr(0, got) + "\n");
  }

  {
    // Leave before closing the outbox: no Broadcast can reach `me` after this.
    corral::LockGuard lock(room->mutex);
    room->members.erase(std::remove(room->members.begin(), room->members.end(), &me),
                        room->members.end());
  }
  me.outbox.Close();
  (void)writer.Join();
}

corral_status Init(const corral_host* host, const corral_arg*, size_t, void** state, char*,
                   size_t) {
  host_table = host;
  *state = new Room();
  return CORRAL_OK;
}

void Fini(void* state) { delete static_cast<Room*>(state); }

}  // namespace

// <corral/handler.hpp> will provide this from the table init() received.
const corral_host* corral::Host() { return host_table; }

extern "C" CORRAL_EXPORT const corral_handler* corral_handler_entry(void) {
  static const corral_handler handler = {
      CORRAL_HANDLER_ABI_VERSION,
      sizeof(corral_handler),
      "chat",
      nullptr,
      Init,
      Fini,
      ServeStream,
      nullptr,
      nullptr,
  };
  return &handler;
}
