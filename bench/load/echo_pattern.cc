#include "bench/load/echo_pattern.h"

#include <cstring>
#include <vector>

namespace corral::load {
namespace {

// splitmix64: cheap, and every output bit depends on every input bit.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void FillPattern(uint32_t connection, uint64_t sequence, std::span<uint8_t> out) {
  uint64_t seed = Mix((uint64_t{connection} << 40) ^ sequence);
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t word = Mix(seed + i);
    size_t n = std::min<size_t>(8, out.size() - i);
    std::memcpy(out.data() + i, &word, n);
  }
}

bool EchoMatches(std::span<const uint8_t> sent, std::span<const uint8_t> echo) {
  return sent.size() == echo.size() && std::memcmp(sent.data(), echo.data(), sent.size()) == 0;
}

bool MatchesPattern(uint32_t connection, uint64_t sequence, std::span<const uint8_t> echo) {
  std::vector<uint8_t> expected(echo.size());
  FillPattern(connection, sequence, expected);
  return EchoMatches(expected, echo);
}

}  // namespace corral::load
