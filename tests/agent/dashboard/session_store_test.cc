#include "agent/dashboard/session_store.h"

#include <gtest/gtest.h>

namespace corral::agent::dashboard {
namespace {

TEST(SessionStoreTest, FindsWhatItCreated) {
  SessionStore store;
  Session s = store.Create({"alice", Role::kOperator});
  EXPECT_EQ(s.id.size(), 64u);
  EXPECT_EQ(s.csrf.size(), 64u);
  EXPECT_NE(s.id, s.csrf);
  std::optional<Session> found = store.Find(s.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->holder.name, "alice");
  EXPECT_EQ(found->holder.role, Role::kOperator);
  EXPECT_EQ(found->csrf, s.csrf);
  EXPECT_FALSE(store.Find("not-a-session"));
  store.Remove(s.id);
  EXPECT_FALSE(store.Find(s.id));
}

TEST(SessionStoreTest, EvictsTheLeastRecentlyUsedAtTheBound) {
  SessionStore store;
  Session first = store.Create({"first", Role::kMonitor});
  Session second = store.Create({"second", Role::kMonitor});
  for (size_t i = 2; i < SessionStore::kMaxSessions; ++i) store.Create({"x", Role::kMonitor});
  ASSERT_TRUE(store.Find(first.id));  // now the most recently used
  store.Create({"one more", Role::kMonitor});
  EXPECT_EQ(store.size(), SessionStore::kMaxSessions);
  EXPECT_TRUE(store.Find(first.id));
  EXPECT_FALSE(store.Find(second.id));
}

}  // namespace
}  // namespace corral::agent::dashboard
