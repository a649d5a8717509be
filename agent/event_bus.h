// EventBus: fans supervision events (v1::Event) out to WatchEvents streams. Publish and the
// subscription calls are loop thread only; each subscriber's Deliver may hand the event to
// another thread (a gRPC stream) but must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "corral/v1/agent.pb.h"

namespace corral::agent {

class EventBus {
 public:
  using Deliver = std::function<void(const v1::Event&)>;
  using SubscriptionId = uint64_t;

  // Events of server `name` only, or of every server when `name` is empty.
  SubscriptionId Subscribe(std::string name, Deliver deliver);
  // A no-op for an id already gone.
  void Unsubscribe(SubscriptionId id);
  void Publish(const v1::Event& event);

  size_t subscribers() const { return subscribers_.size(); }

 private:
  struct Subscriber {
    std::string name;
    Deliver deliver;
  };
  SubscriptionId next_id_ = 1;
  std::map<SubscriptionId, Subscriber> subscribers_;
};

}  // namespace corral::agent
