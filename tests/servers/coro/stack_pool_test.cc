#include "servers/coro/stack_pool.h"

#include <fcntl.h>
#include <unistd.h>

#include <any>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/greenlet.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using testing::InFreshThread;

TEST(StackPoolTest, ReusesReleasedStacks) {
  StackPool pool(4);
  Stack a = pool.Allocate(64 * 1024);
  EXPECT_GE(a.size, 64u * 1024);
  std::memset(a.bottom, 0xab, a.size);  // the whole usable range is writable
  pool.Release(a);
  EXPECT_EQ(pool.cached(), 1u);
  Stack b = pool.Allocate(64 * 1024);
  EXPECT_EQ(b.bottom, a.bottom);
  EXPECT_EQ(pool.cached(), 0u);
  Stack c = pool.Allocate(128 * 1024);  // another size: a new mapping
  EXPECT_NE(c.bottom, b.bottom);
  pool.Release(b);
  pool.Release(c);
}

TEST(StackPoolTest, CacheIsBounded) {
  StackPool pool(2);
  std::vector<Stack> stacks;
  for (int i = 0; i < 5; ++i) stacks.push_back(pool.Allocate());
  for (const Stack& s : stacks) pool.Release(s);
  EXPECT_EQ(pool.cached(), 2u);
}

TEST(StackPoolTest, SizesRoundUpToPages) {
  StackPool pool;
  Stack s = pool.Allocate(20000);
  EXPECT_EQ(s.size % static_cast<size_t>(sysconf(_SC_PAGESIZE)), 0u);
  EXPECT_GE(s.size, 20000u);
  pool.Release(s);
}

// Recurses with a 512-byte frame until something stops it.
int Recurse(int depth) {
  if (depth > (1 << 30)) return 0;  // never: only keeps -Winfinite-recursion quiet
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  frame[511] = frame[0];
  return Recurse(depth + 1) + frame[511];
}

TEST(StackPoolDeathTest, OverflowHitsTheGuardPage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto g = Greenlet::Create([](std::any) -> std::any { return Recurse(0); });
        g->Switch();
      },
      "");
}

long ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

TEST(StackPoolTest, TenThousandSuspendedGreenletsFitWellUnderAGibibyte) {
  InFreshThread([] {
    const long before = ResidentBytes();
    Greenlet* root = Greenlet::Current();
    std::vector<std::shared_ptr<Greenlet>> all;
    all.reserve(10000);
    for (int i = 0; i < 10000; ++i) {
      all.push_back(Greenlet::Create([root](std::any) -> std::any {
        volatile char some_stack[2048];
        some_stack[0] = 1;
        root->Switch();
        return some_stack[0] + 0;
      }));
      all.back()->Switch();  // now suspended, holding its stack
    }
    const long grown = ResidentBytes() - before;
    EXPECT_LT(grown, 512L << 20) << "resident growth for 10,000 greenlets: " << grown;
    for (auto& g : all) EXPECT_TRUE(g->active());
    all.clear();  // unwinds all of them
  });
}

}  // namespace
}  // namespace corral::coro
