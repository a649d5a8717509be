#include "agent/event_bus.h"

#include <vector>

namespace corral::agent {

EventBus::SubscriptionId EventBus::Subscribe(std::string name, Deliver deliver) {
  SubscriptionId id = next_id_++;
  subscribers_.emplace(id, Subscriber{std::move(name), std::move(deliver)});
  return id;
}

void EventBus::Unsubscribe(SubscriptionId id) { subscribers_.erase(id); }

void EventBus::Publish(const v1::Event& event) {
  for (auto& [id, subscriber] : subscribers_) {
    if (subscriber.name.empty() || subscriber.name == event.name()) subscriber.deliver(event);
  }
}

}  // namespace corral::agent
