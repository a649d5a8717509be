// TailLogs (corralctl logs) against a big log through the real agent: every message fits a
// default gRPC client, a tail reads a bounded part of the log, and the rest of the API answers
// while tails read.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>

#include "absl/strings/match.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kLineBytes = 64 * 1024;  // with its newline
constexpr int kLogLines = 512;            // 32 MiB
constexpr size_t kMaxMessageBytes = 1024 * 1024;

// Line `i` of the big log, without its newline: "line I" padded with dots.
std::string BigLine(int i) {
  std::string line = "line " + std::to_string(i);
  line.resize(kLineBytes - 1, '.');
  return line;
}

// Bytes the process `pid` has read so far (rchar in /proc/PID/io).
uint64_t BytesReadBy(pid_t pid) {
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return 0;
}

struct TailResult {
  grpc::Status status;
  std::vector<std::string> lines;
  size_t largest_message = 0;  // serialized bytes
  Clock::time_point end;
};

class LogsTest : public AgentTest {
 protected:
  // Starts an echo server `name` and appends kLogLines lines of kLineBytes to its log, as a
  // chatty server would have written them.
  void StartWithBigLog(const std::string& name) {
    ASSERT_TRUE(StartEcho(name, "127.0.0.1:0", nullptr).ok());
    AppendBigLines(name, 0, kLogLines);
  }
  void AppendBigLines(const std::string& name, int first, int count) {
    std::ofstream log(home_ + "/servers/" + name + "/log", std::ios::app | std::ios::binary);
    for (int i = first; i < first + count; ++i) log << BigLine(i) << '\n';
    log.flush();
    ASSERT_TRUE(log.good());
  }

  // A TailLogs call over a channel of its own, with gRPC's default limits (a client takes
  // messages of at most 4 MiB). With `follow`, it stops reading once `stop_after` lines came.
  TailResult Tail(const std::string& name, uint32_t lines, bool follow = false,
                  size_t stop_after = SIZE_MAX,
                  const std::function<void()>& after_first_message = nullptr) {
    auto stub = v1::Agent::NewStub(
        grpc::CreateChannel(socket_address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::TailLogsRequest request;
    request.set_name(name);
    request.set_lines(lines);
    request.set_follow(follow);
    std::unique_ptr<grpc::ClientReader<v1::LogLines>> reader = stub->TailLogs(&context, request);
    TailResult result;
    v1::LogLines message;
    while (result.lines.size() < stop_after && reader->Read(&message)) {
      result.largest_message = std::max(result.largest_message, message.ByteSizeLong());
      bool first = result.lines.empty();
      result.lines.insert(result.lines.end(), message.lines().begin(), message.lines().end());
      if (first && after_first_message) after_first_message();
    }
    if (result.lines.size() >= stop_after) context.TryCancel();
    result.status = reader->Finish();
    result.end = Clock::now();
    return result;
  }
};

TEST_F(LogsTest, TailOfABigLogComesInMessagesOfAtMostOneMebibyte) {
  StartWithBigLog("big");
  TailResult tail = Tail("big", 1000);
  ASSERT_TRUE(tail.status.ok()) << tail.status.error_message();
  EXPECT_LE(tail.largest_message, kMaxMessageBytes);
  // Not all 512 lines: a tail reads only the newest part of a log, and says so first.
  ASSERT_GE(tail.lines.size(), 100u);
  EXPECT_LT(tail.lines.size(), static_cast<size_t>(kLogLines));
  EXPECT_TRUE(absl::StartsWith(tail.lines[0], "[corral-agent: older lines not shown"))
      << tail.lines[0].substr(0, 100);
  const int first = kLogLines - static_cast<int>(tail.lines.size() - 1);
  for (size_t i = 1; i < tail.lines.size(); ++i) {
    ASSERT_EQ(tail.lines[i], BigLine(first + static_cast<int>(i) - 1)) << "line " << i;
  }

  // Following: 64 new lines of 64 KiB (4 MiB) come in messages of at most 1 MiB too. The
  // history line proves the follower started before they were written.
  constexpr int kNew = 64;
  TailResult follow =
      Tail("big", 1, /*follow=*/true, 1 + kNew, [&] { AppendBigLines("big", kLogLines, kNew); });
  ASSERT_EQ(follow.lines.size(), 1u + kNew) << follow.status.error_message();
  EXPECT_LE(follow.largest_message, kMaxMessageBytes);
  for (int i = 0; i <= kNew; ++i) EXPECT_EQ(follow.lines[i], BigLine(kLogLines - 1 + i));
}

TEST_F(LogsTest, ListAnswersWhileBigTailsRead) {
  StartWithBigLog("big");
  const uint64_t read_before = BytesReadBy(agent_->pid());
  ASSERT_GT(read_before, 0u) << "cannot read /proc/" << agent_->pid() << "/io";
  // Four tails of 16 MiB each keep the agent reading and sending for a while.
  std::vector<std::future<TailResult>> tails;
  for (int i = 0; i < 4; ++i) {
    tails.push_back(std::async(std::launch::async, [this] { return Tail("big", 1000); }));
  }
  // Once the agent is reading the log (1 MiB of it read), ask for the list.
  WaitFor([&] { return BytesReadBy(agent_->pid()) - read_before >= (1u << 20); },
          std::chrono::seconds(30));
  const Clock::time_point asked = Clock::now();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ListResponse list;
  ASSERT_TRUE(stub().List(&context, v1::ListRequest(), &list).ok());
  const Clock::duration list_took = Clock::now() - asked;
  Clock::time_point tails_end = asked;
  for (std::future<TailResult>& tail : tails) {
    TailResult result = tail.get();
    EXPECT_TRUE(result.status.ok()) << result.status.error_message();
    tails_end = std::max(tails_end, result.end);
  }
  const Clock::duration tails_took = tails_end - asked;
  auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  std::cerr << "List took " << ms(list_took) << " ms; the tails ended " << ms(tails_took)
            << " ms after it was asked\n";
  EXPECT_EQ(list.servers_size(), 1);
  // The List does not wait for the tails: it is back long before they are done.
  EXPECT_LT(list_took * 4, tails_took);
}

}  // namespace
}  // namespace corral::testing
