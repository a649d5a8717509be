// chat: a chat room (gevent's chat example). Every line a client sends goes to every other
// client, prefixed with the sender's address: "127.0.0.1:5000: hello".
//
// How it works: each connection has an outbox (a queue of lines) and a writer task that sends
// what arrives in it, while the connection's own worker reads lines and puts a copy into every
// other member's outbox. So the connection has exactly one reader (Serve) and one writer (the
// task), as a socket allows. A slow reader cannot hold the room up: when its outbox is full the
// line is dropped for it alone (counted as an error of the sender's connection).
//
// What a room is, under each model: the members of one process.
//   - thread, coroutine: the whole server is one process, so every client is in one room
//     (under coroutine across all hubs: the queues wake greenlets of other hubs).
//   - fork (per connection or pool): each connection is served by a process of its own, so
//     each client is alone in its room and hears nobody. Run a chat under thread or coroutine.
//
//   c++ -std=c++17 -shared -fPIC -I<sdk>/include chat.cc -o chat.so
//   corralctl start chat --protocol tcp --handler build/handlers/chat.so --model coroutine
#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "corral/cooperative.hpp"
#include "corral/handler.hpp"

class Chat {
 public:
  static constexpr const char* kName = "chat";

  explicit Chat(const corral::Args&) {}

  void Serve(corral::Stream& stream) {
    Member me(stream);
    Join(&me);
    corral::Task writer([&me] { me.WriteOutbox(); });
    const std::string from = stream.Peer() + ": ";
    std::string line;
    for (;;) {
      corral_status s = stream.ReadLine(line, kMaxLine);
      if (s == CORRAL_TOO_LONG) continue;  // that line is skipped
      if (s != CORRAL_OK) break;           // closed, broken, cancelled
      Broadcast(&me, from + line + "\n");
    }
    Leave(&me);  // before the close: no Broadcast reaches `me` after this
    me.outbox.Close();
    (void)writer.Join();
  }

 private:
  static constexpr size_t kOutboxLines = 256;
  static constexpr size_t kMaxLine = 4096;
  static constexpr std::chrono::seconds kWriteTimeout{10};

  struct Member {
    explicit Member(corral::Stream& s) : stream(s) {}

    // Sends what arrives until the outbox is closed and drained; after a failed write it only
    // drains, so that nothing queued leaks.
    void WriteOutbox() {
      std::string* line = nullptr;
      bool peer_gone = false;
      while (outbox.Get(&line) == CORRAL_OK) {
        if (!peer_gone && stream.Write(*line, corral::After(kWriteTimeout)) != CORRAL_OK) {
          peer_gone = true;
        }
        delete line;
      }
    }

    corral::Stream& stream;
    corral::Queue<std::string> outbox{kOutboxLines};
  };

  void Join(Member* m) {
    std::lock_guard<std::mutex> lock(mutex_);
    members_.push_back(m);
  }

  void Leave(Member* m) {
    std::lock_guard<std::mutex> lock(mutex_);
    members_.erase(std::remove(members_.begin(), members_.end(), m), members_.end());
  }

  void Broadcast(Member* from, const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Member* m : members_) {
      if (m == from) continue;
      auto* line = new std::string(text);
      // Deadline "now": a full outbox drops the line for that member instead of stalling all.
      if (m->outbox.Put(line, corral::Deadline(corral::Now())) != CORRAL_OK) {
        delete line;
        from->stream.CountError();
      }
    }
  }

  // A plain mutex, not corral::Mutex: no section under it ever waits (a Put with the deadline
  // "now" does not), so it never holds a hub, and Leave must succeed even for a connection the
  // server has cancelled (whose cooperative calls all return CORRAL_CANCELLED from then on).
  std::mutex mutex_;
  std::vector<Member*> members_;  // the room; guarded by mutex_
};

CORRAL_HANDLER(Chat)
