#include "agent/server_state.h"

#include <gtest/gtest.h>

namespace corral::agent {
namespace {

using S = ServerState;
using E = ServerEvent;

// Feeds events to the table as the supervisor would and returns the final state, failing the
// test on an event the table refuses.
S Replay(S state, std::initializer_list<E> events) {
  for (E event : events) {
    std::optional<Transition> t = NextTransition(state, event);
    EXPECT_TRUE(t.has_value()) << EventName(event) << " in " << StateName(state);
    if (!t) return state;
    state = t->next;
  }
  return state;
}

TEST(ServerStateTest, StartThenReadyRuns) {
  std::optional<Transition> t = NextTransition(S::kStopped, E::kStartRequested);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kStarting);
  EXPECT_EQ(t->action, Action::kSpawn);
  EXPECT_EQ(Replay(S::kStopped, {E::kStartRequested, E::kReady}), S::kRunning);
}

TEST(ServerStateTest, CrashAfterReadyBacksOffThenRespawns) {
  std::optional<Transition> t = NextTransition(S::kRunning, E::kExited);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kBackoff);
  EXPECT_EQ(t->action, Action::kScheduleRestart);
  t = NextTransition(S::kBackoff, E::kBackoffElapsed);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kStarting);
  EXPECT_EQ(t->action, Action::kSpawn);
}

TEST(ServerStateTest, StartFailureIsFinalUntilRestart) {
  EXPECT_EQ(Replay(S::kStopped, {E::kStartRequested, E::kStartFailed}), S::kFailed);
  // The failed process exits afterwards; nothing is respawned.
  std::optional<Transition> t = NextTransition(S::kFailed, E::kExited);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kFailed);
  EXPECT_EQ(t->action, Action::kNone);
  EXPECT_EQ(Replay(S::kFailed, {E::kStartRequested, E::kReady}), S::kRunning);
}

TEST(ServerStateTest, BadConfigurationExitIsNotRespawned) {
  std::optional<Transition> t = NextTransition(S::kRunning, E::kExitedFatal);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kFailed);
  EXPECT_EQ(t->action, Action::kNone);
}

TEST(ServerStateTest, ReadyTimeoutKillsAndFails) {
  std::optional<Transition> t = NextTransition(S::kStarting, E::kReadyTimeout);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kFailed);
  EXPECT_EQ(t->action, Action::kKillAndFail);
}

TEST(ServerStateTest, StopTerminatesThenKillsAtDeadline) {
  std::optional<Transition> t = NextTransition(S::kRunning, E::kStopRequested);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kStopping);
  EXPECT_EQ(t->action, Action::kTerminate);
  t = NextTransition(S::kStopping, E::kStopDeadline);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->action, Action::kKill);
  EXPECT_EQ(Replay(S::kStopping, {E::kStoppedExit}), S::kStopped);
}

TEST(ServerStateTest, StoppingTwiceOrStoppingWhatDoesNotRunIsHarmless) {
  for (S state : {S::kStopping, S::kStopped, S::kFailed}) {
    std::optional<Transition> t = NextTransition(state, E::kStopRequested);
    ASSERT_TRUE(t) << StateName(state);
    EXPECT_EQ(t->next, state);
    EXPECT_EQ(t->action, Action::kNone);
  }
}

TEST(ServerStateTest, StopDuringBackoffCancelsTheRestart) {
  std::optional<Transition> t = NextTransition(S::kBackoff, E::kStopRequested);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kStopped);
  EXPECT_EQ(t->action, Action::kCancelRestart);
}

TEST(ServerStateTest, ImpossibleEventsAreRefused) {
  EXPECT_FALSE(NextTransition(S::kStopped, E::kReady));
  EXPECT_FALSE(NextTransition(S::kRunning, E::kStartRequested));
  EXPECT_FALSE(NextTransition(S::kStopped, E::kBackoffElapsed));
  EXPECT_FALSE(NextTransition(S::kRunning, E::kStoppedExit));
}

}  // namespace
}  // namespace corral::agent
