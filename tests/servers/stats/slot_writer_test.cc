// SlotWriter as the accounting hook a model hands to each stream (base::IoAccounting): what a
// stream reports becomes the slot's state, byte counts and timeout/reset errors; and SlotOf
// finds the slot behind a stream's hook for a protocol's own counts.
#include "servers/stats/slot_writer.h"

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace corral::stats {
namespace {

class SlotWriterAccountingTest : public ::testing::Test {
 protected:
  uint64_t errors(ErrorKind kind) const {
    return layout_.counters.errors[static_cast<uint32_t>(kind)].load();
  }
  WorkerState state() const { return static_cast<WorkerState>(layout_.state.load()); }

  SlotLayout layout_{};
  SlotWriter writer_{&layout_, 0};
  base::IoAccounting& hook_ = writer_;
};

TEST_F(SlotWriterAccountingTest, ReadingAndWritingSetTheState) {
  hook_.OnReading();
  EXPECT_EQ(state(), WorkerState::kReading);
  hook_.OnWriting();
  EXPECT_EQ(state(), WorkerState::kWriting);
}

TEST_F(SlotWriterAccountingTest, BytesReadAndWrittenAreCounted) {
  hook_.OnRead(size_t{5});
  hook_.OnRead(size_t{0});  // the peer closed: no bytes, no error
  hook_.OnWritten(absl::OkStatus(), 7);
  EXPECT_EQ(layout_.counters.bytes_in.load(), 5u);
  EXPECT_EQ(layout_.counters.bytes_out.load(), 7u);
  for (size_t kind = 0; kind < kErrorKindCount; ++kind) {
    EXPECT_EQ(layout_.counters.errors[kind].load(), 0u) << ErrorKindName(ErrorKind(kind));
  }
}

TEST_F(SlotWriterAccountingTest, ATimeoutAndABrokenConnectionCountAsTheirErrors) {
  hook_.OnRead(absl::DeadlineExceededError("read: timed out"));
  hook_.OnWritten(absl::DeadlineExceededError("write: timed out"), 100);
  hook_.OnRead(absl::UnavailableError("read: connection reset"));
  hook_.OnWritten(absl::UnavailableError("write: broken pipe"), 100);
  // Neither: counted by whoever knows what it was (a cut, a file that shrank).
  hook_.OnRead(absl::CancelledError("cancelled"));
  hook_.OnWritten(absl::DataLossError("sendfile: the file ended early"), 100);
  EXPECT_EQ(errors(ErrorKind::kTimeout), 2u);
  EXPECT_EQ(errors(ErrorKind::kReset), 2u);
  EXPECT_EQ(errors(ErrorKind::kProtocol), 0u);
  EXPECT_EQ(layout_.counters.bytes_in.load(), 0u);
  EXPECT_EQ(layout_.counters.bytes_out.load(), 0u);
}

class OtherHook final : public base::IoAccounting {
 public:
  void OnReading() override {}
  void OnRead(const absl::StatusOr<size_t>&) override {}
  void OnWriting() override {}
  void OnWritten(const absl::Status&, size_t) override {}
};

TEST_F(SlotWriterAccountingTest, SlotOfFindsTheSlotBehindAHookAndOnlyASlot) {
  EXPECT_EQ(SlotOf(&hook_), &writer_);
  OtherHook other;
  EXPECT_EQ(SlotOf(&other), nullptr);
  EXPECT_EQ(SlotOf(nullptr), nullptr);
}

}  // namespace
}  // namespace corral::stats
