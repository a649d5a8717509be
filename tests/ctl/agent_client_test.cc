// AgentClient against a real gRPC C++ server in the same process (the agent's own stack), and
// against peers that misbehave at the socket level.
#include "ctl/agent_client.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "base/unique_fd.h"
#include "corral/v1/agent.grpc.pb.h"
#include "tests/support/wait_for.h"

namespace corral::ctl {
namespace {

using ::corral::testing::WaitFor;

class FakeAgent final : public v1::Agent::Service {
 public:
  grpc::Status List(grpc::ServerContext*, const v1::ListRequest*,
                    v1::ListResponse* response) override {
    ++calls;
    response->add_servers()->mutable_spec()->set_name("web");
    response->add_servers()->mutable_spec()->set_name("echo");
    return grpc::Status::OK;
  }

  grpc::Status Get(grpc::ServerContext* context, const v1::GetRequest* request,
                   v1::GetResponse* response) override {
    ++calls;
    if (request->name() == "slow") {
      saw_deadline = context->deadline() != std::chrono::system_clock::time_point::max();
      WaitFor([&] { return context->IsCancelled(); });
      return grpc::Status::CANCELLED;
    }
    if (request->name() != "web") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "no server \"" + request->name() + "\": 100% caf\xC3\xA9\nline 2");
    }
    response->mutable_server()->mutable_spec()->set_name("web");
    return grpc::Status::OK;
  }

  grpc::Status TailLogs(grpc::ServerContext* context, const v1::TailLogsRequest* request,
                        grpc::ServerWriter<v1::LogLines>* writer) override {
    ++calls;
    // `lines` messages of one line each; line i is i repeated to 1 KiB (and the last is 1 MiB).
    for (uint32_t i = 0; i < request->lines(); ++i) {
      v1::LogLines lines;
      const size_t width = i + 1 == request->lines() ? (1u << 20) : 1024u;
      lines.add_lines(std::string(width, static_cast<char>('a' + i % 26)));
      if (!writer->Write(lines)) {
        stream_cancelled = true;
        return grpc::Status::CANCELLED;
      }
    }
    if (request->follow()) {
      stream_cancelled = WaitFor([&] { return context->IsCancelled(); });
      return grpc::Status::CANCELLED;
    }
    return grpc::Status::OK;
  }

  std::atomic<int> calls{0};
  std::atomic<bool> saw_deadline{false};
  std::atomic<bool> stream_cancelled{false};
};

class AgentClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/corral-rpc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    unix_target_ = "unix:" + dir_ + "/agent.sock";
    StartServer();
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    std::system(("rm -rf " + dir_).c_str());
  }

  void StartServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(unix_target_, grpc::InsecureServerCredentials());
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &tcp_port_);
    builder.RegisterService(&agent_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  static absl::Time In(absl::Duration d) { return absl::Now() + d; }

  std::string dir_, unix_target_;
  int tcp_port_ = 0;
  FakeAgent agent_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(AgentClientTest, UnaryCallOverUnixAndTcp) {
  for (const std::string& target :
       {unix_target_, "unix://" + dir_ + "/agent.sock", "127.0.0.1:" + std::to_string(tcp_port_),
        "localhost:" + std::to_string(tcp_port_)}) {
    AgentClient client(target);
    v1::ListResponse response;
    absl::Status status =
        client.Call(&v1::Agent::Stub::List, v1::ListRequest(), &response, In(absl::Seconds(10)));
    ASSERT_TRUE(status.ok()) << target << ": " << status;
    ASSERT_EQ(response.servers_size(), 2) << target;
    EXPECT_EQ(response.servers(1).spec().name(), "echo");
  }
}

TEST_F(AgentClientTest, ManyCallsShareOneConnection) {
  AgentClient client(unix_target_);
  for (int i = 0; i < 50; ++i) {
    v1::GetRequest request;
    request.set_name("web");
    v1::GetResponse response;
    ASSERT_TRUE(client.Call(&v1::Agent::Stub::Get, request, &response, In(absl::Seconds(10))).ok());
    EXPECT_EQ(response.server().spec().name(), "web");
  }
  EXPECT_EQ(agent_.calls.load(), 50);
}

TEST_F(AgentClientTest, ServerErrorKeepsCodeAndExactMessage) {
  AgentClient client(unix_target_);
  v1::GetRequest request;
  request.set_name("db");
  v1::GetResponse response;
  absl::Status status =
      client.Call(&v1::Agent::Stub::Get, request, &response, In(absl::Seconds(10)));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no server \"db\": 100% caf\xC3\xA9\nline 2");
  // The connection still serves the next call.
  request.set_name("web");
  EXPECT_TRUE(client.Call(&v1::Agent::Stub::Get, request, &response, In(absl::Seconds(10))).ok());
}

TEST_F(AgentClientTest, StreamDeliversEveryMessageIncludingOneOfAMebibyte) {
  AgentClient client(unix_target_);
  v1::TailLogsRequest request;
  request.set_lines(300);
  v1::LogLines message;
  int received = 0;
  bool all_right = true;
  absl::Status status = client.Stream(&v1::Agent::Stub::TailLogs, request, &message, [&] {
    const size_t width = received + 1 == 300 ? (1u << 20) : 1024u;
    all_right = all_right && message.lines_size() == 1 && message.lines(0).size() == width &&
                message.lines(0)[0] == static_cast<char>('a' + received % 26);
    ++received;
    return true;
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(received, 300);
  EXPECT_TRUE(all_right);
}

TEST_F(AgentClientTest, ReturningFalseCancelsTheStreamOnTheServer) {
  AgentClient client(unix_target_);
  v1::TailLogsRequest request;
  request.set_lines(3);
  request.set_follow(true);
  v1::LogLines message;
  int received = 0;
  absl::Status status =
      client.Stream(&v1::Agent::Stub::TailLogs, request, &message, [&] { return ++received < 2; });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(received, 2);
  EXPECT_TRUE(WaitFor([&] { return agent_.stream_cancelled.load(); }))
      << "the server never saw the cancellation";
  // And the connection is still good for another call.
  v1::ListResponse list;
  EXPECT_TRUE(
      client.Call(&v1::Agent::Stub::List, v1::ListRequest(), &list, In(absl::Seconds(10))).ok());
}

TEST_F(AgentClientTest, DeadlineIsSentAndEnforced) {
  AgentClient client(unix_target_);
  v1::GetRequest request;
  request.set_name("slow");
  v1::GetResponse response;
  const absl::Time start = absl::Now();
  absl::Status status =
      client.Call(&v1::Agent::Stub::Get, request, &response, In(absl::Milliseconds(300)));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_TRUE(agent_.saw_deadline);
}

// corralctl makes one client per command: a stopped agent is Unavailable, and the next command
// after it is back gets through.
TEST_F(AgentClientTest, AStoppedAgentIsUnavailableAndTheNextClientReachesItsSuccessor) {
  v1::ListResponse response;
  ASSERT_TRUE(AgentClient(unix_target_)
                  .Call(&v1::Agent::Stub::List, v1::ListRequest(), &response, In(absl::Seconds(10)))
                  .ok());
  server_->Shutdown(std::chrono::system_clock::now());
  server_.reset();
  ::unlink(unix_target_.substr(5).c_str());
  absl::Status down =
      AgentClient(unix_target_)
          .Call(&v1::Agent::Stub::List, v1::ListRequest(), &response, In(absl::Seconds(10)));
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  StartServer();
  absl::Status up =
      AgentClient(unix_target_)
          .Call(&v1::Agent::Stub::List, v1::ListRequest(), &response, In(absl::Seconds(10)));
  EXPECT_TRUE(up.ok()) << up;
}

TEST(AgentClientUnreachable, NamesTheTargetAndTheReason) {
  AgentClient missing("unix:/nonexistent/corral/agent.sock");
  v1::ListResponse response;
  absl::Status status = missing.Call(&v1::Agent::Stub::List, v1::ListRequest(), &response,
                                     absl::Now() + absl::Seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(),
            "connect to unix:/nonexistent/corral/agent.sock: no such file or directory");

  AgentClient too_long("unix:/" + std::string(200, 'x'));
  EXPECT_EQ(too_long
                .Call(&v1::Agent::Stub::List, v1::ListRequest(), &response,
                      absl::Now() + absl::Seconds(5))
                .code(),
            absl::StatusCode::kInvalidArgument);
  AgentClient no_port("agent-host");
  EXPECT_EQ(no_port
                .Call(&v1::Agent::Stub::List, v1::ListRequest(), &response,
                      absl::Now() + absl::Seconds(5))
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// A unix socket served by `serve(client_fd)` on a thread, for peers that are not gRPC servers.
class RawPeer {
 public:
  template <typename Serve>
  explicit RawPeer(Serve serve) {
    char dir[] = "/tmp/corral-rpc-raw-XXXXXX";
    EXPECT_NE(::mkdtemp(dir), nullptr);
    path_ = std::string(dir) + "/peer.sock";
    listener_.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof address.sun_path - 1);
    EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listener_.get(), 4), 0);
    thread_ = std::thread([this, serve] {
      base::UniqueFd client(::accept(listener_.get(), nullptr, nullptr));
      if (client) serve(client.get());
    });
  }
  ~RawPeer() {
    ::shutdown(listener_.get(), SHUT_RDWR);
    thread_.join();
    ::unlink(path_.c_str());
    ::rmdir(path_.substr(0, path_.rfind('/')).c_str());
  }
  std::string target() const { return "unix:" + path_; }

 private:
  std::string path_;
  base::UniqueFd listener_;
  std::thread thread_;
};

TEST(AgentClientRawPeer, APeerThatHangsUpIsUnavailable) {
  RawPeer peer([](int) {});
  AgentClient client(peer.target());
  v1::ListResponse response;
  absl::Status status = client.Call(&v1::Agent::Stub::List, v1::ListRequest(), &response,
                                    absl::Now() + absl::Seconds(10));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

TEST(AgentClientRawPeer, APeerThatNeverAnswersHitsTheDeadline) {
  std::atomic<bool> done{false};
  RawPeer peer([&](int fd) {
    char buffer[4096];
    while (!done && ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) != 0) {
      // Swallows what arrives, and looks at `done` between reads: a paced loop, not a wait.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  AgentClient client(peer.target());
  v1::ListResponse response;
  absl::Status status = client.Call(&v1::Agent::Stub::List, v1::ListRequest(), &response,
                                    absl::Now() + absl::Milliseconds(200));
  done = true;
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
}

TEST(AgentClientRawPeer, APeerSpeakingHttp1IsAnErrorNotAHang) {
  RawPeer peer([](int fd) {
    const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    char buffer[4096];
    while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
    }
  });
  AgentClient client(peer.target());
  v1::ListResponse response;
  absl::Status status = client.Call(&v1::Agent::Stub::List, v1::ListRequest(), &response,
                                    absl::Now() + absl::Seconds(10));
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
}

}  // namespace
}  // namespace corral::ctl
