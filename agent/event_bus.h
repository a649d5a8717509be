// EventBus: fans supervision events (v1::Event) out to WatchEvents streams, and keeps the last
// kHistory of them (of every server) for streams that ask for the past. In memory only: the
// history of a new agent starts empty (the events themselves say what happened to processes it
// did not watch: ADOPTED, or STARTED after a crash found at restore). Publish, History and the
// subscription calls are loop thread only; each subscriber's Deliver may hand the event to
// another thread (a gRPC stream) but must not block.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "corral/v1/agent.pb.h"

namespace corral::agent {

class EventBus {
 public:
  using Deliver = std::function<void(const v1::Event&)>;
  using SubscriptionId = uint64_t;

  static constexpr size_t kHistory = 1000;

  // Events of server `name` only, or of every server when `name` is empty.
  SubscriptionId Subscribe(std::string name, Deliver deliver);
  // A no-op for an id already gone.
  void Unsubscribe(SubscriptionId id);
  void Publish(const v1::Event& event);

  // The last `count` events kept (of server `name`, or of all when empty), oldest first.
  std::vector<v1::Event> History(const std::string& name, size_t count) const;

  size_t subscribers() const { return subscribers_.size(); }

 private:
  struct Subscriber {
    std::string name;
    Deliver deliver;
  };
  SubscriptionId next_id_ = 1;
  std::map<SubscriptionId, Subscriber> subscribers_;
  std::deque<v1::Event> history_;  // at most kHistory, oldest first
};

}  // namespace corral::agent
