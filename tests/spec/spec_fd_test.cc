// ReadSpecFd: corral-server's end of --spec-fd, fed the way the agent feeds it (a memfd holding
// the binary spec, rewound) and the ways it must refuse.
#include "servers/spec_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace corral {
namespace {

// A memfd holding `bytes`, at offset 0.
int MemfdWith(const std::string& bytes) {
  int fd = ::memfd_create("spec-test", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  EXPECT_EQ(::lseek(fd, 0, SEEK_SET), 0);
  return fd;
}

TEST(SpecFdTest, ReadsTheWholeSpecAndClosesTheDescriptor) {
  v1::ServerSpec sent;
  sent.set_name("web");
  sent.set_protocol(v1::PROTOCOL_HTTP);
  sent.set_root(std::string(100'000, 'r'));  // longer than any one read
  sent.set_file_cache_valid_ms(0);
  int fd = MemfdWith(sent.SerializeAsString());
  absl::StatusOr<v1::ServerSpec> got = ReadSpecFd(fd);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), sent.SerializeAsString());
  EXPECT_TRUE(got->has_file_cache_valid_ms());
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "the descriptor was left open";
}

TEST(SpecFdTest, RefusesWhatIsNotASpec) {
  absl::StatusOr<v1::ServerSpec> got = ReadSpecFd(MemfdWith("\xff\xff\xff"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(got.status().message()).find("is not a ServerSpec (3 bytes)"),
            std::string::npos)
      << got.status();
}

TEST(SpecFdTest, RefusesAnUnboundedStreamBeforeHoldingIt) {
  int fd = MemfdWith(std::string((size_t{4} << 20) + 1, 'x'));
  absl::StatusOr<v1::ServerSpec> got = ReadSpecFd(fd);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            "spec on descriptor " + std::to_string(fd) + " exceeds 4 MiB");
}

TEST(SpecFdTest, NamesTheDescriptorItCannotRead) {
  absl::StatusOr<v1::ServerSpec> got = ReadSpecFd(1000);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(std::string(got.status().message()),
            "read spec from descriptor 1000: bad file descriptor");
}

}  // namespace
}  // namespace corral
