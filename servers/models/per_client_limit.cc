#include "servers/models/per_client_limit.h"

#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::models {
namespace {

constexpr size_t kTableBytes = PerClientLimit::kBuckets * sizeof(std::atomic<uint32_t>);

// splitmix64's finaliser: every key bit moves every bucket bit.
uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The client key of an address: the IPv4 address (a mapped one included) or the IPv6 /64,
// tagged by family so the two spaces never meet. False for other families.
bool ClientKey(const sockaddr* peer, socklen_t length, uint64_t* key) {
  if (peer->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    *key = (uint64_t{1} << 32) | reinterpret_cast<const sockaddr_in*>(peer)->sin_addr.s_addr;
    return true;
  }
  if (peer->sa_family != AF_INET6 || length < sizeof(sockaddr_in6)) return false;
  const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    uint32_t v4;
    std::memcpy(&v4, a.s6_addr + 12, sizeof v4);
    *key = (uint64_t{1} << 32) | v4;
    return true;
  }
  uint64_t prefix;
  std::memcpy(&prefix, a.s6_addr, sizeof prefix);
  *key = Mix(prefix ^ 0x6666666666666666ull);  // unlike any IPv4 key but by chance
  return true;
}

}  // namespace

PerClientLimit::Hold& PerClientLimit::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    Release();
    count_ = std::exchange(other.count_, nullptr);
  }
  return *this;
}

void PerClientLimit::Hold::Release() {
  if (count_ != nullptr) std::exchange(count_, nullptr)->fetch_sub(1, std::memory_order_relaxed);
}

absl::StatusOr<std::unique_ptr<PerClientLimit>> PerClientLimit::Create(uint32_t max_per_client,
                                                                       stats::Scoreboard* board) {
  if (max_per_client == 0) {
    return absl::InvalidArgumentError("per-client connection limit: the cap must be positive");
  }
  void* table =
      ::mmap(nullptr, kTableBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (table == MAP_FAILED) {
    return absl::InternalError(absl::StrCat("per-client connection limit: map its table: ",
                                            base::SyscallError("mmap", errno).message()));
  }
  uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, GRND_NONBLOCK) != sizeof seed) {
    seed = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(table)) ^ Mix(::getpid());
  }
  // Zero-filled by mmap: an all-zero std::atomic<uint32_t> is a zero count.
  return std::unique_ptr<PerClientLimit>(
      new PerClientLimit(max_per_client, board, static_cast<std::atomic<uint32_t>*>(table), seed));
}

PerClientLimit::~PerClientLimit() { ::munmap(counts_, kTableBytes); }

std::atomic<uint32_t>* PerClientLimit::CounterFor(const sockaddr* peer, socklen_t length) const {
  uint64_t key;
  if (!ClientKey(peer, length, &key)) return nullptr;
  return &counts_[Mix(key ^ seed_) % kBuckets];
}

std::optional<PerClientLimit::Hold> PerClientLimit::Admit(const sockaddr* peer, socklen_t length) {
  std::atomic<uint32_t>* count = CounterFor(peer, length);
  if (count == nullptr) return Hold();
  // Taken first and given back if over: two racing admissions never both pass at max_ - 1.
  if (count->fetch_add(1, std::memory_order_relaxed) >= max_) {
    count->fetch_sub(1, std::memory_order_relaxed);
    if (board_ != nullptr) board_->OnRefusedPerClient();
    return std::nullopt;
  }
  Hold hold;
  hold.count_ = count;
  return hold;
}

std::optional<PerClientLimit::Hold> PerClientLimit::Admit(PerClientLimit* limit, int fd) {
  if (limit == nullptr) return Hold();
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  // A connection already reset has no peer: admitted uncounted; its first read fails.
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return Hold();
  return limit->Admit(reinterpret_cast<const sockaddr*>(&peer), length);
}

uint32_t PerClientLimit::CountOf(const sockaddr* peer, socklen_t length) const {
  std::atomic<uint32_t>* count = CounterFor(peer, length);
  return count == nullptr ? 0 : count->load(std::memory_order_relaxed);
}

}  // namespace corral::models
