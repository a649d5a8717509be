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
  std::optional<Transition> t = NextTransition(S::kRunning, E::kExitedRestart);
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
  std::optional<Transition> t = NextTransition(S::kFailed, E::kStoppedExit);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kFailed);
  EXPECT_EQ(t->action, Action::kNone);
  EXPECT_EQ(Replay(S::kFailed, {E::kStartRequested, E::kReady}), S::kRunning);
}

TEST(ServerStateTest, BadConfigurationExitIsNotRespawned) {
  for (S state : {S::kStarting, S::kRunning}) {
    std::optional<Transition> t = NextTransition(state, E::kExitedBadConfig);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->next, S::kFailed);
    EXPECT_EQ(t->action, Action::kNone);
  }
}

TEST(ServerStateTest, CrashBeforeReadyBacksOffToo) {
  std::optional<Transition> t = NextTransition(S::kStarting, E::kExitedRestart);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kBackoff);
  EXPECT_EQ(t->action, Action::kScheduleRestart);
}

TEST(ServerStateTest, GivingUpIsFatalUntilRestart) {
  for (S state : {S::kStarting, S::kRunning}) {
    std::optional<Transition> t = NextTransition(state, E::kExitedGiveUp);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->next, S::kFatal);
    EXPECT_EQ(t->action, Action::kNone);
  }
  // Nothing respawns a FATAL server but an explicit start.
  EXPECT_FALSE(NextTransition(S::kFatal, E::kBackoffElapsed));
  EXPECT_EQ(Replay(S::kFatal, {E::kStartRequested, E::kReady}), S::kRunning);
}

TEST(ServerStateTest, CleanExitUnderOnFailureStops) {
  std::optional<Transition> t = NextTransition(S::kRunning, E::kExitedDone);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kStopped);
  EXPECT_EQ(t->action, Action::kNone);
}

TEST(ServerStateTest, AdoptionRunsWithoutSpawning) {
  std::optional<Transition> t = NextTransition(S::kStopped, E::kAdopted);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->next, S::kRunning);
  EXPECT_EQ(t->action, Action::kNone);
  // An adopted server stops like any other.
  EXPECT_EQ(Replay(S::kStopped, {E::kAdopted, E::kStopRequested, E::kStoppedExit}), S::kStopped);
}

TEST(ServerStateTest, CrashLoopReachesFatal) {
  EXPECT_EQ(
      Replay(S::kStopped, {E::kStartRequested, E::kReady, E::kExitedRestart, E::kBackoffElapsed,
                           E::kExitedRestart, E::kBackoffElapsed, E::kReady, E::kExitedGiveUp}),
      S::kFatal);
}

TEST(ServerStateTest, EveryStateHasANameAndEveryRowIsReachable) {
  for (S state :
       {S::kStarting, S::kRunning, S::kBackoff, S::kStopping, S::kStopped, S::kFailed, S::kFatal}) {
    EXPECT_NE(StateName(state), "?");
    // Stop is accepted in every state: an operator can always stop.
    EXPECT_TRUE(NextTransition(state, E::kStopRequested)) << StateName(state);
  }
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
  for (S state : {S::kStopping, S::kStopped, S::kFailed, S::kFatal}) {
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
