// std::chrono in the API: Clock, durations in settings and results, time points in node info.
// Expected numbers are derived by hand from the exponential model phi = t / (mean * ln 10).
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <type_traits>

namespace {

using namespace std::chrono_literals;
using phifd::Clock;

static_assert(Clock::is_steady, "the library clock is monotonic");
static_assert(std::is_same_v<Clock::duration, std::chrono::nanoseconds>, "nanosecond ticks");
static_assert(std::is_same_v<Clock::time_point::clock, Clock>, "time points of phifd::Clock");

// Exponential model, 1 s heartbeats at 0 s, 1 s, ..., 10 s: every learned interval is 1 s.
phifd::Monitor steady_monitor() {
  phifd::Config cfg;
  cfg.set_estimator(phifd::Estimator::Exponential).set_heartbeat_interval(1s).set_threshold(8.0);
  phifd::Monitor m(cfg);
  const Clock::time_point origin = Clock::from_ns(0);
  for (int i = 0; i <= 10; ++i) {
    m.heartbeat(1, 1, origin + i * 1s);
  }
  return m;
}

TEST(Clock, NowIsTheLibraryClock) {
  const std::uint64_t before = phifd_now_ns();
  const Clock::time_point now = Clock::now();
  const std::uint64_t after = phifd_now_ns();
  EXPECT_LE(before, Clock::to_ns(now));
  EXPECT_LE(Clock::to_ns(now), after);
  EXPECT_LE(now, Clock::now());  // never goes backwards
}

TEST(Clock, NanosecondConversions) {
  EXPECT_EQ(Clock::to_ns(Clock::from_ns(123'456'789'012ULL)), 123'456'789'012ULL);
  EXPECT_EQ(Clock::from_ns(5'000'000'000ULL).time_since_epoch(), 5s);
  EXPECT_EQ(Clock::from_ns(UINT64_MAX).time_since_epoch(), std::chrono::nanoseconds::max());  // saturates
  EXPECT_THROW(Clock::to_ns(Clock::time_point(-1ns)), phifd::InvalidArgument);
}

TEST(Chrono, PhiAfterSilence) {
  phifd::Monitor m = steady_monitor();
  const Clock::time_point last = Clock::from_ns(10'000'000'000ULL);
  EXPECT_NEAR(m.phi(1, last + 2s), 2.0 / std::log(10.0), 1e-12);
  EXPECT_NEAR(m.phi(1, last + 500ms), 0.5 / std::log(10.0), 1e-12);
  EXPECT_EQ(m.phi(1, last), 0.0);
  EXPECT_EQ(m.phi(1, last - 3s), 0.0);  // a time before the last arrival counts as no silence
}

TEST(Chrono, TimeUntilPhiIsADuration) {
  phifd::Monitor m = steady_monitor();
  const std::chrono::nanoseconds dead = m.time_until_phi(1, 8.0);
  const double want = 8.0 * std::log(10.0) * 1e9;  // 18.420680744 s
  EXPECT_NEAR(static_cast<double>(dead.count()), want, 1.0);
  EXPECT_EQ(m.time_until_phi(1, 0.0), 0ns);
  EXPECT_THROW((void)m.time_until_phi(1, -1.0), phifd::InvalidArgument);
  EXPECT_THROW((void)m.time_until_phi(1, std::nan("")), phifd::InvalidArgument);
}

TEST(Chrono, NodeInfoFields) {
  phifd::Monitor m = steady_monitor();
  const Clock::time_point last = Clock::from_ns(10'000'000'000ULL);
  const phifd::NodeInfo info = m.info(1, last + 2s);
  EXPECT_EQ(info.node, 1u);
  EXPECT_EQ(info.generation, 1u);
  EXPECT_EQ(info.state, phifd::State::Alive);
  EXPECT_NEAR(info.phi, 2.0 / std::log(10.0), 1e-12);
  ASSERT_TRUE(info.last_arrival.has_value());
  EXPECT_EQ(*info.last_arrival, last);
  EXPECT_EQ(info.silence_origin, last);
  // The exponential model's seed history is one interval of 1 s, then ten 1 s intervals.
  EXPECT_EQ(info.samples, 11u);
  EXPECT_NEAR(info.mean.count(), 1e9, 1e-3);
  EXPECT_NEAR(info.sd.count(), 0.0, 1e-3);
  EXPECT_NEAR(static_cast<double>(info.suspect_after.count()), 4.0 * std::log(10.0) * 1e9, 1.0);
  EXPECT_NEAR(static_cast<double>(info.fail_after.count()), 8.0 * std::log(10.0) * 1e9, 1.0);
  // The state follows the silence at the query time.
  EXPECT_EQ(m.info(1, last + 10s).state, phifd::State::Suspect);  // 10 s > 9.21 s
  EXPECT_EQ(m.info(1, last + 19s).state, phifd::State::Failed);   // 19 s > 18.42 s
}

TEST(Chrono, NoLastArrivalBeforeTheFirstHeartbeat) {
  phifd::Monitor m;
  const Clock::time_point registered = Clock::from_ns(7'000'000'000ULL);
  m.add_node(3, 1, registered);
  const phifd::NodeInfo info = m.info(3, registered + 100ms);
  EXPECT_EQ(info.state, phifd::State::Unknown);
  EXPECT_FALSE(info.last_arrival.has_value());
  EXPECT_EQ(info.silence_origin, registered);
  // Akka's seed history for the default 1 s interval: {750 ms, 1250 ms}: mean 1 s, sd 250 ms.
  EXPECT_EQ(info.samples, 2u);
  EXPECT_NEAR(info.mean.count(), 1e9, 1e-3);
  EXPECT_NEAR(info.sd.count(), 250e6, 1e-3);
  m.heartbeat(3, 1, registered + 200ms);
  const phifd::NodeInfo after = m.info(3, registered + 300ms);
  ASSERT_TRUE(after.last_arrival.has_value());
  EXPECT_EQ(*after.last_arrival, registered + 200ms);
}

TEST(Chrono, CoarseDurationsConvert) {
  phifd::Config cfg;
  cfg.set_estimator(phifd::Estimator::Exponential).set_heartbeat_interval(std::chrono::milliseconds(250));
  phifd::Monitor m(cfg);
  m.heartbeat(1, 1, Clock::from_ns(0));
  // Seed mean 250 ms: phi after 250 ms of silence is 1/ln 10.
  EXPECT_NEAR(m.phi(1, Clock::from_ns(0) + std::chrono::microseconds(250'000)), 1.0 / std::log(10.0), 1e-12);
}

TEST(Chrono, OverloadsWithoutATimeUseNow) {
  phifd::Monitor m;
  const Clock::time_point before = Clock::now();
  m.heartbeat(9, 1);
  const Clock::time_point after = Clock::now();
  const phifd::NodeInfo info = m.info(9);
  ASSERT_TRUE(info.last_arrival.has_value());
  EXPECT_LE(before, *info.last_arrival);
  EXPECT_LE(*info.last_arrival, after);
  EXPECT_GE(m.phi(9), 0.0);
  EXPECT_TRUE(m.try_phi(9).has_value());
  EXPECT_EQ(m.poll().size(), 1u);  // UNKNOWN -> ALIVE
}

}  // namespace
