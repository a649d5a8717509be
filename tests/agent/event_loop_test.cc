#include "agent/event_loop.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace corral::agent {
namespace {

TEST(EventLoopTest, RunsTasksFromOtherThreadsInOrder) {
  EventLoop loop;
  ASSERT_TRUE(loop.status().ok());
  std::vector<int> seen;
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) loop.RunInLoop([&seen, i] { seen.push_back(i); });
    loop.RunInLoop([&loop] { loop.Quit(); });
  });
  loop.Run();
  producer.join();
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}

TEST(EventLoopTest, TimersFireInDueOrderAndCancelledOnesNever) {
  EventLoop loop;
  std::vector<int> fired;
  loop.RunAfter(std::chrono::milliseconds(30), [&] { fired.push_back(2); });
  loop.RunAfter(std::chrono::milliseconds(10), [&] { fired.push_back(1); });
  EventLoop::TimerId cancelled = loop.RunAfter(std::chrono::milliseconds(20), [&] {
    fired.push_back(99);
  });
  loop.Cancel(cancelled);
  loop.RunAfter(std::chrono::milliseconds(50), [&] { loop.Quit(); });
  loop.Run();
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
}

TEST(EventLoopTest, WatchedDescriptorCallsBack) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string got;
  loop.Watch(fds[0], EPOLLIN, [&](uint32_t) {
    char buf[16];
    ssize_t n = read(fds[0], buf, sizeof buf);
    got.append(buf, n > 0 ? n : 0);
    loop.Unwatch(fds[0]);
    loop.Quit();
  });
  ASSERT_EQ(write(fds[1], "hi", 2), 2);
  loop.Run();
  EXPECT_EQ(got, "hi");
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace corral::agent
