// The chat room example (examples/handlers/chat) through the agent: three clients, each sees
// the other two's lines, under thread and coroutine with two hubs (cross-hub queues); under
// fork each client is served by its own process and is alone in its room.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/agent_fixture.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

using std::chrono::milliseconds;

// A line-reading client of the chat.
class Client {
 public:
  explicit Client(const std::string& address) : fd_(ConnectTcp(address)) {}
  bool ok() const { return static_cast<bool>(fd_); }

  bool Send(const std::string& line) {
    const std::string data = line + "\n";
    return ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(data.size());
  }
  // The next line (without "\n"), or "" when none came within `timeout`.
  std::string Line(milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char buf[4096];
      ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n <= 0) return "";
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }
  // Reads and drops lines until none comes for `quiet`.
  void Drain(milliseconds quiet) {
    while (!Line(quiet).empty()) {
    }
  }

 private:
  base::UniqueFd fd_;
  std::string buffer_;
};

class ChatTest : public AgentTest {
 protected:
  std::string Start(const std::vector<std::string>& model_flags) {
    std::vector<std::string> args = {"start",     "chat",      "--protocol", "tcp",
                                     "--handler", kChatPlugin, "--listen",   "127.0.0.1:0"};
    args.insert(args.end(), model_flags.begin(), model_flags.end());
    CommandResult start = Ctl(args);
    EXPECT_EQ(start.exit_code, 0) << start.out << start.err;
    std::smatch m;
    if (!std::regex_search(start.out, m, std::regex(R"(RUNNING on (127\.0\.0\.1:\d+))"))) {
      ADD_FAILURE() << start.out;
      return "";
    }
    return m[1];
  }
  static constexpr const char* kChatPlugin = CORRAL_HANDLER_DIR "/chat.so";
};

// Connects three clients and makes sure each is in the room: the first one's sync line reaches
// the newcomer (retried: it may have been accepted but not joined yet).
std::vector<std::unique_ptr<Client>> JoinThree(const std::string& address) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int k = 0; k < 3; ++k) {
    clients.push_back(std::make_unique<Client>(address));
    EXPECT_TRUE(clients.back()->ok());
    if (k == 0) continue;
    bool joined = false;
    for (int attempt = 0; attempt < 50 && !joined; ++attempt) {
      clients[0]->Send("sync " + std::to_string(k));
      joined = clients[k]->Line(milliseconds(200)).find("sync") != std::string::npos;
    }
    EXPECT_TRUE(joined) << "client " << k << " never heard the room";
  }
  for (auto& c : clients) c->Drain(milliseconds(200));
  return clients;
}

void ExpectEachHearsTheOthers(const std::string& address) {
  std::vector<std::unique_ptr<Client>> clients = JoinThree(address);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(clients[i]->Send("hello from " + std::to_string(i)));
  for (int i = 0; i < 3; ++i) {
    std::set<std::string> heard;
    for (int n = 0; n < 2; ++n) {
      std::string line = clients[i]->Line(milliseconds(10000));
      ASSERT_FALSE(line.empty()) << "client " << i << " heard " << n << " lines";
      // "127.0.0.1:PORT: hello from J"
      ASSERT_NE(line.find(": hello from "), std::string::npos) << line;
      heard.insert(line.substr(line.size() - 1));
    }
    std::set<std::string> others;
    for (int j = 0; j < 3; ++j) {
      if (j != i) others.insert(std::to_string(j));
    }
    EXPECT_EQ(heard, others) << "client " << i;
    EXPECT_EQ(clients[i]->Line(milliseconds(100)), "") << "client " << i << " heard itself";
  }
}

TEST_F(ChatTest, ThreadModelIsOneRoom) {
  const std::string address = Start({"--model", "thread"});
  ASSERT_FALSE(address.empty());
  ExpectEachHearsTheOthers(address);
}

TEST_F(ChatTest, CoroutineModelIsOneRoomAcrossTwoHubs) {
  const std::string address = Start({"--model", "coroutine", "--hubs", "2"});
  ASSERT_FALSE(address.empty());
  ExpectEachHearsTheOthers(address);
}

// Under fork per connection every client has a process, hence a room, of its own: nobody
// hears anybody (the example's header says to run a chat under thread or coroutine).
TEST_F(ChatTest, ForkModelLeavesEachClientAlone) {
  const std::string address = Start({"--model", "fork"});
  ASSERT_FALSE(address.empty());
  Client a(address), b(address);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a.Send("anyone?"));
  ASSERT_TRUE(b.Send("hello?"));
  EXPECT_EQ(b.Line(milliseconds(500)), "");
  EXPECT_EQ(a.Line(milliseconds(100)), "");
}

}  // namespace
}  // namespace corral::testing
