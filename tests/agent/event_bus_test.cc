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

TEST(EventBusTest, KeepsTheLastThousandEventsForHistory) {
  EventBus bus;
  for (int i = 0; i < 1500; ++i) {
    v1::Event event = Named(i % 2 == 0 ? "web" : "db");
    event.set_pid(i);
    bus.Publish(event);
  }
  std::vector<v1::Event> all = bus.History("", 5000);
  ASSERT_EQ(all.size(), EventBus::kHistory);
  EXPECT_EQ(all.front().pid(), 500);  // the oldest kept
  EXPECT_EQ(all.back().pid(), 1499);
  std::vector<v1::Event> web = bus.History("web", 3);  // the last three of web, oldest first
  ASSERT_EQ(web.size(), 3u);
  EXPECT_EQ(web[0].pid(), 1494);
  EXPECT_EQ(web[2].pid(), 1498);
  EXPECT_TRUE(bus.History("nosuch", 10).empty());
  EXPECT_TRUE(bus.History("", 0).empty());
}

}  // namespace
}  // namespace corral::agent
