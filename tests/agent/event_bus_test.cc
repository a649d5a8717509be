#include "agent/event_bus.h"

#include <gtest/gtest.h>

namespace corral::agent {
namespace {

v1::Event Named(const std::string& name) {
  v1::Event event;
  event.set_name(name);
  event.set_kind(v1::Event::READY);
  return event;
}

TEST(EventBusTest, DeliversToAllOrToTheNamedServerOnly) {
  EventBus bus;
  std::vector<std::string> all, web;
  bus.Subscribe("", [&](const v1::Event& e) { all.push_back(e.name()); });
  EventBus::SubscriptionId id =
      bus.Subscribe("web", [&](const v1::Event& e) { web.push_back(e.name()); });
  bus.Publish(Named("web"));
  bus.Publish(Named("db"));
  EXPECT_EQ(all, (std::vector<std::string>{"web", "db"}));
  EXPECT_EQ(web, (std::vector<std::string>{"web"}));
  bus.Unsubscribe(id);
  bus.Unsubscribe(id);  // harmless
  bus.Publish(Named("web"));
  EXPECT_EQ(web.size(), 1u);
  EXPECT_EQ(bus.subscribers(), 1u);
}

}  // namespace
}  // namespace corral::agent
