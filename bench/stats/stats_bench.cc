// Costs of recording and reading stats. The figure that matters is BM_RecordRequest: the work a
// server adds to every request (budget: under 50 ns).

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "agent/procfs/proc_fs.h"
#include "agent/procfs/process_tree.h"
#include "benchmark/benchmark.h"
#include "servers/stats/histogram.h"
#include "servers/stats/interval.h"
#include "servers/stats/scoreboard.h"
#include "servers/stats/scoreboard_reader.h"

namespace corral::stats {
namespace {

// A scoreboard file in a private temp dir, deleted afterwards.
class BenchScoreboard {
 public:
  explicit BenchScoreboard(uint32_t slots) {
    std::string templ = "/tmp/corral-stats-bench.XXXXXX";
    dir_ = mkdtemp(templ.data());
    ScoreboardOptions o;
    o.path = dir_ + "/sb";
    o.slot_count = slots;
    o.protocol = "http";
    o.model = "thread";
    absl::StatusOr<Scoreboard> sb = Scoreboard::Create(o);
    if (!sb.ok()) std::abort();
    sb_ = std::make_unique<Scoreboard>(*std::move(sb));
  }
  ~BenchScoreboard() {
    unlink((dir_ + "/sb").c_str());
    rmdir(dir_.c_str());
  }
  Scoreboard& get() { return *sb_; }
  std::string path() const { return dir_ + "/sb"; }

 private:
  std::string dir_;
  std::unique_ptr<Scoreboard> sb_;
};

// Latencies spread over many buckets, as real traffic would be (not one hot bucket).
uint64_t LatencyFor(uint64_t i) { return 20'000 + (i * 2654435761u) % 5'000'000; }

void BM_RecordRequest(benchmark::State& state) {
  BenchScoreboard board(4);
  absl::StatusOr<SlotWriter> w = board.get().ClaimSlot();
  uint64_t i = 0;
  for (auto _ : state) {
    w->AddBytesIn(512);
    w->OnRequest(LatencyFor(i++));
    w->AddBytesOut(4096);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordRequest);

// The full life of a keep-alive request as a model would record it, states included.
void BM_RecordRequestWithStates(benchmark::State& state) {
  BenchScoreboard board(4);
  absl::StatusOr<SlotWriter> w = board.get().ClaimSlot();
  uint64_t i = 0;
  for (auto _ : state) {
    w->SetState(WorkerState::kReading);
    w->AddBytesIn(512);
    w->SetState(WorkerState::kWriting);
    w->OnRequest(LatencyFor(i++));
    w->AddBytesOut(4096);
    w->SetState(WorkerState::kKeepAlive);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordRequestWithStates);

// Several threads, each on its own slot, as the thread and coroutine models run: slots sit on
// separate cache lines, so per-thread cost should not grow with the thread count.
void BM_RecordRequestOwnSlotPerThread(benchmark::State& state) {
  static BenchScoreboard board(16);  // shared by the benchmark threads, removed at exit
  absl::StatusOr<SlotWriter> w = board.get().ClaimSlot();
  uint64_t i = 0;
  for (auto _ : state) {
    w->AddBytesIn(512);
    w->OnRequest(LatencyFor(i++));
    w->AddBytesOut(4096);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordRequestOwnSlotPerThread)->Threads(1)->Threads(2);

// For comparison: the same updates with locked read-modify-write instructions (what we avoid by
// having one writer per slot).
void BM_RecordRequestFetchAdd(benchmark::State& state) {
  BenchScoreboard board(4);
  absl::StatusOr<SlotWriter> w = board.get().ClaimSlot();
  struct Counters {
    std::atomic<uint64_t> requests{0}, bytes_in{0}, bytes_out{0}, sum{0};
    std::array<std::atomic<uint64_t>, HistogramBuckets::kCount> buckets{};
  };
  auto c = std::make_unique<Counters>();
  uint64_t i = 0;
  for (auto _ : state) {
    const uint64_t ns = LatencyFor(i++);
    c->bytes_in.fetch_add(512, std::memory_order_relaxed);
    c->requests.fetch_add(1, std::memory_order_relaxed);
    c->buckets[HistogramBuckets::Index(ns)].fetch_add(1, std::memory_order_relaxed);
    c->sum.fetch_add(ns, std::memory_order_relaxed);
    c->bytes_out.fetch_add(4096, std::memory_order_relaxed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordRequestFetchAdd);

void BM_BucketIndex(benchmark::State& state) {
  uint64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(HistogramBuckets::Index(LatencyFor(i++)));
}
BENCHMARK(BM_BucketIndex);

void BM_ClaimAndRelease(benchmark::State& state) {
  BenchScoreboard board(static_cast<uint32_t>(state.range(0)));
  std::vector<SlotWriter> held;
  for (int64_t k = 0; k + 1 < state.range(0); ++k) held.push_back(*board.get().ClaimSlot());
  for (auto _ : state) {
    absl::StatusOr<SlotWriter> w = board.get().ClaimSlot();  // scans to the last slot
    benchmark::DoNotOptimize(w);
  }
}
BENCHMARK(BM_ClaimAndRelease)->Arg(1)->Arg(64);

// The agent's side: one Read() of a scoreboard whose slots have all been used.
void BM_ReadSnapshot(benchmark::State& state) {
  const auto slots = static_cast<uint32_t>(state.range(0));
  BenchScoreboard board(slots);
  std::vector<SlotWriter> writers;  // all held at once, so every slot gets used
  for (uint32_t s = 0; s < slots; ++s) {
    writers.push_back(*board.get().ClaimSlot());
    for (uint64_t r = 0; r < 1000; ++r) writers.back().OnRequest(LatencyFor(r));
  }
  absl::StatusOr<ScoreboardReader> reader = ScoreboardReader::Open(board.path());
  for (auto _ : state) {
    absl::StatusOr<Snapshot> snap = reader->Read();
    benchmark::DoNotOptimize(snap);
  }
}
BENCHMARK(BM_ReadSnapshot)->Arg(8)->Arg(64)->Arg(512)->Unit(benchmark::kMicrosecond);

void BM_ComputeInterval(benchmark::State& state) {
  BenchScoreboard board(64);
  absl::StatusOr<SlotWriter> w = board.get().ClaimSlot();
  absl::StatusOr<ScoreboardReader> reader = ScoreboardReader::Open(board.path());
  const Snapshot prev = *reader->Read();
  for (uint64_t r = 0; r < 100'000; ++r) w->OnRequest(LatencyFor(r));
  const Snapshot cur = *reader->Read();
  for (auto _ : state) benchmark::DoNotOptimize(ComputeInterval(prev, cur));
}
BENCHMARK(BM_ComputeInterval)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace corral::stats

namespace corral::procfs {
namespace {

void BM_ParseProcStat(benchmark::State& state) {
  const std::string text =
      "4365 ((a) b)) S 4364 4361 3105 0 -1 4194304 132 0 0 0 0 0 0 0 20 0 1 0 27884 2990080 420 "
      "18446744073709551615 94519356289024 94519356306953 140727332515120 0 0 0 0 6 0 1 0 0 17 0 "
      "0 0 0 0 0 94519356321040 94519356322304 94519533051904 140727332518345 140727332518360 "
      "140727332518360 140727332519916 0\n";
  for (auto _ : state) benchmark::DoNotOptimize(ParseProcStat(text));
}
BENCHMARK(BM_ParseProcStat);

void BM_MeasureOwnProcessTree(benchmark::State& state) {
  const ProcFs fs;
  for (auto _ : state) benchmark::DoNotOptimize(MeasureProcessTree(fs, getpid()));
}
BENCHMARK(BM_MeasureOwnProcessTree)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace corral::procfs

BENCHMARK_MAIN();
