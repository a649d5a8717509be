#include "agent/event_bus.h"

#include <algorithm>
#include <vector>

namespace corral::agent {

EventBus::SubscriptionId EventBus::Subscribe(std::string name, Deliver deliver) {
  SubscriptionId id = next_id_++;
  subscribers_.emplace(id, Subscriber{std::move(name), std::move(deliver)});
  return id;
}

void EventBus::Unsubscribe(SubscriptionId id) { subscribers_.erase(id); }

void EventBus::Publish(const v1::Event& event) {
  if (history_.size() == kHistory) history_.pop_front();
  history_.push_back(event);
  for (auto& [id, subscriber] : subscribers_) {
    if (subscriber.name.empty() || subscriber.name == event.name()) subscriber.deliver(event);
  }
}

std::vector<v1::Event> EventBus::History(const std::string& name, size_t count) const {
  std::vector<v1::Event> events;
  for (auto it = history_.rbegin(); it != history_.rend() && events.size() < count; ++it) {
    if (name.empty() || it->name() == name) events.push_back(*it);
  }
  std::reverse(events.begin(), events.end());
  return events;
}

}  // namespace corral::agent
