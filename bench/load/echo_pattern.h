// The bytes of each echo message. Every (connection, sequence) pair gets its own pseudo-random
// contents, so an echo that is stale (an earlier message), misplaced (another connection's) or
// shifted (bytes lost or duplicated) differs from what was sent and is caught by Matches.
#pragma once

#include <cstdint>
#include <span>

namespace corral::load {

// Fills `out` with the message for (connection, sequence).
void FillPattern(uint32_t connection, uint64_t sequence, std::span<uint8_t> out);

// True when `echo` is exactly the message `sent` (same length, every byte equal).
bool EchoMatches(std::span<const uint8_t> sent, std::span<const uint8_t> echo);

// True when `echo` is exactly the message FillPattern gives for (connection, sequence); used for
// UDP, where a late reply to an earlier datagram must be told apart from a corrupt one.
bool MatchesPattern(uint32_t connection, uint64_t sequence, std::span<const uint8_t> echo);

}  // namespace corral::load
