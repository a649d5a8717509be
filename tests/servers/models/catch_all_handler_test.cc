// One error channel for handlers (issue 18): a handler that catches everything around its Stream
// calls, and goes on calling while it gets data, must not keep a drain waiting under any model.
// Under the coroutine model a kill used to be an exception (GreenletExit) thrown out of Read:
// the catch-all swallowed it, the handler read again, parked again, and the drain's cut never
// ended it. Now the cut is a returned status there, as it is a returned outcome (end of stream)
// under thread, and the worker process's end under fork.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "servers/models/model.h"
#include "servers/net/address.h"
#include "servers/net/socket.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"

namespace corral::models {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// What the handler saw, kept in memory shared with forked workers.
struct Seen {
  std::atomic<int> echoed{0};      // reads that returned data (echoed back)
  std::atomic<int> ends{0};        // reads that returned 0: end of stream
  std::atomic<int> cancelled{0};   // reads or writes that returned CANCELLED
  std::atomic<int> other{0};       // any other non-OK status
  std::atomic<int> exceptions{0};  // exceptions its catch-all caught
  std::atomic<int> returned{0};    // Serve() returned
};

// Echoes while reads give data, with a catch-all around every call. A failed or empty read is
// tried once more, as a handler that does not look at what it is told would: the cut must
// stick.
class CatchAllEcho : public protocols::StreamProtocol {
 public:
  explicit CatchAllEcho(Seen* seen) : seen_(seen) {}

  void Serve(net::Stream& stream) const override {
    char buf[256];
    int misses = 0;
    while (misses < 2) {
      try {
        absl::StatusOr<size_t> n = stream.Read(buf, sizeof buf, net::DeadlineAfter(seconds(60)));
        if (n.ok() && *n > 0) {
          Count(stream.WriteAll(buf, *n, net::DeadlineAfter(seconds(60))));
          ++seen_->echoed;
          continue;
        }
        if (n.ok()) ++seen_->ends;
        Count(n.status());
        ++misses;
      } catch (...) {
        ++seen_->exceptions;
      }
    }
    ++seen_->returned;
  }

 private:
  void Count(const absl::Status& status) const {
    if (absl::IsCancelled(status)) {
      ++seen_->cancelled;
    } else if (!status.ok()) {
      ++seen_->other;
    }
  }
  Seen* seen_;
};

// What a handler blocked in Read on an idle client sees when the drain runs out of time.
enum class Cut { kEndOfStream, kCancelled, kProcessKilled };

struct Case {
  const char* name;
  ModelKind model;
  uint32_t pool_size;
  Cut cut;
};

class CatchAllHandlerTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    void* shared =
        ::mmap(nullptr, sizeof(Seen), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(shared, MAP_FAILED);
    seen_ = new (shared) Seen();
  }
  void TearDown() override {
    if (seen_ != nullptr) ::munmap(seen_, sizeof(Seen));
  }
  Seen* seen_ = nullptr;
};

TEST_P(CatchAllHandlerTest, DrainsWithinItsDeadline) {
  const milliseconds drain_timeout(200);
  ModelOptions options;
  options.drain_timeout = drain_timeout;
  options.pool_size = GetParam().pool_size;
  if (GetParam().model == ModelKind::kCoroutine) options.hubs = 1;
  absl::StatusOr<std::unique_ptr<Model>> model = MakeModel(GetParam().model, options);
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<base::UniqueFd> listener = net::ListenTcp(*net::Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<net::Address> address = net::LocalAddress(listener->get());
  ASSERT_TRUE(address.ok()) << address.status();
  base::UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(stop);

  CatchAllEcho protocol(seen_);
  absl::Status served;
  std::thread server([&] {
    // As corral-server does (it takes SIGTERM through a signalfd): worker processes forked from
    // here inherit the mask, so a drain's SIGTERM leaves their connection to finish.
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, nullptr);
    served = (*model)->ServeStreams(*std::move(listener), stop.get(), protocol);
  });
  // Served once, then idle: the handler waits in Read when the drain starts.
  base::UniqueFd client = testing::ConnectTcp(address->ToString());
  ASSERT_TRUE(client);
  EXPECT_EQ(testing::EchoOn(client.get(), "ping"), "ping");

  const auto start = std::chrono::steady_clock::now();
  const uint64_t one = 1;
  EXPECT_EQ(::write(stop.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  server.join();
  const auto took = std::chrono::steady_clock::now() - start;

  EXPECT_TRUE(served.ok()) << served;
  // The cut comes at the drain deadline; each model then allows itself a grace of 1-2 s.
  EXPECT_LT(took, drain_timeout + seconds(4));
  EXPECT_EQ(seen_->exceptions.load(), 0);
  EXPECT_EQ(seen_->echoed.load(), 1);
  EXPECT_EQ(seen_->other.load(), 0);
  switch (GetParam().cut) {
    case Cut::kEndOfStream:  // shutdown(2) of the socket: reads end, as if the peer closed
      EXPECT_EQ(seen_->ends.load(), 2);
      EXPECT_EQ(seen_->returned.load(), 1);
      break;
    case Cut::kCancelled:  // the greenlet's kill, returned by every call from then on
      EXPECT_EQ(seen_->cancelled.load(), 2);
      EXPECT_EQ(seen_->returned.load(), 1);
      break;
    case Cut::kProcessKilled:  // SIGKILL: the handler sees nothing
      EXPECT_EQ(seen_->returned.load(), 0);
      break;
  }
  (void)stop.Release();  // a pool worker may still look at it (abandoned_workers_test.cc)
}

INSTANTIATE_TEST_SUITE_P(
    Models, CatchAllHandlerTest,
    ::testing::Values(Case{"Fork", ModelKind::kFork, 0, Cut::kProcessKilled},
                      Case{"ForkPool", ModelKind::kFork, 1, Cut::kProcessKilled},
                      Case{"Thread", ModelKind::kThread, 0, Cut::kEndOfStream},
                      Case{"ThreadPool", ModelKind::kThread, 1, Cut::kEndOfStream},
                      Case{"Coroutine", ModelKind::kCoroutine, 0, Cut::kCancelled}),
    [](const ::testing::TestParamInfo<Case>& c) { return std::string(c.param.name); });

}  // namespace
}  // namespace corral::models
