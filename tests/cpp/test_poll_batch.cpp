// Monitor::poll (draining, a maximum, event fields) and the batch calls.
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace {

using namespace std::chrono_literals;
using phifd::Clock;

const Clock::time_point T0 = Clock::from_ns(1'000'000'000ULL);

phifd::Monitor exponential_monitor() {
  phifd::Config cfg;
  cfg.set_estimator(phifd::Estimator::Exponential)
      .set_heartbeat_interval(1s)
      .set_threshold(8.0)
      .set_suspect_threshold(4.0);
  return phifd::Monitor(cfg);
}

std::uint64_t bits(double d) {
  std::uint64_t b = 0;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

TEST(Poll, DrainsEverythingInOrder) {
  phifd::Monitor m;
  const std::size_t n = 600;  // more than one internal chunk
  for (phifd::NodeId id = 1; id <= n; ++id) {
    m.heartbeat(id, 1, T0 + std::chrono::nanoseconds(id));
  }
  const std::vector<phifd::Event> events = m.poll(T0 + 1ms);
  ASSERT_EQ(events.size(), n);
  phifd::NodeId expect = 1;
  for (const phifd::Event& e : events) {
    EXPECT_EQ(e.node, expect);
    EXPECT_EQ(e.kind, phifd::EventKind::StateChanged);
    EXPECT_EQ(e.from, phifd::State::Unknown);
    EXPECT_EQ(e.to, phifd::State::Alive);
    EXPECT_EQ(e.generation, 1u);
    EXPECT_EQ(e.time, T0 + std::chrono::nanoseconds(expect));
    ++expect;
  }
  EXPECT_EQ(m.stats().pending_events, 0u);
  EXPECT_TRUE(m.poll(T0 + 1ms).empty());
}

TEST(Poll, AtMostMaxEvents) {
  phifd::Monitor m;
  for (phifd::NodeId id = 1; id <= 300; ++id) {
    m.heartbeat(id, 1, T0);
  }
  EXPECT_TRUE(m.poll(T0, 0).empty());
  const std::vector<phifd::Event> first = m.poll(T0, 10);
  ASSERT_EQ(first.size(), 10u);
  EXPECT_EQ(first.front().node, 1u);
  EXPECT_EQ(first.back().node, 10u);
  EXPECT_EQ(m.stats().pending_events, 290u);
  const std::vector<phifd::Event> more = m.poll(T0, 257);  // crosses a chunk boundary
  ASSERT_EQ(more.size(), 257u);
  EXPECT_EQ(more.front().node, 11u);
  EXPECT_EQ(more.back().node, 267u);
  const std::vector<phifd::Event> rest = m.poll(T0);
  ASSERT_EQ(rest.size(), 33u);
  EXPECT_EQ(rest.back().node, 300u);
}

TEST(Poll, SilenceDrivenEventsCarryTheirInstantAndPhi) {
  phifd::Monitor m = exponential_monitor();
  for (int i = 0; i <= 10; ++i) {
    m.heartbeat(1, 1, T0 + i * 1s);
  }
  const Clock::time_point last = T0 + 10s;
  // Mean 1 s: phi = t / ln 10 reaches 4 at 4 ln 10 s and 8 at 8 ln 10 s of silence.
  const std::vector<phifd::Event> events = m.poll(last + 30s);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].to, phifd::State::Alive);
  EXPECT_EQ(events[0].time, T0);
  EXPECT_EQ(events[1].from, phifd::State::Alive);
  EXPECT_EQ(events[1].to, phifd::State::Suspect);
  EXPECT_NEAR(static_cast<double>((events[1].time - last).count()), 4.0 * std::log(10.0) * 1e9, 1.0);
  EXPECT_NEAR(events[1].phi, 4.0, 1e-6);
  EXPECT_EQ(events[2].from, phifd::State::Suspect);
  EXPECT_EQ(events[2].to, phifd::State::Failed);
  EXPECT_NEAR(static_cast<double>((events[2].time - last).count()), 8.0 * std::log(10.0) * 1e9, 1.0);
  EXPECT_NEAR(events[2].phi, 8.0, 1e-6);
}

TEST(Poll, RestartedEvent) {
  phifd::Monitor m;
  m.heartbeat(4, 1, T0);
  m.heartbeat(4, 2, T0 + 1s);
  const std::vector<phifd::Event> events = m.poll(T0 + 1s);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, phifd::EventKind::Restarted);
  EXPECT_EQ(events[1].from, phifd::State::Alive);
  EXPECT_EQ(events[1].to, phifd::State::Alive);
  EXPECT_EQ(events[1].generation, 2u);
  EXPECT_EQ(events[1].time, T0 + 1s);
}

TEST(Batch, HeartbeatBatchReportsEachRecord) {
  phifd::Monitor m;
  const std::vector<phifd::Heartbeat> records = {
      {1, 5, T0},
      {1, 4, T0 + 1s},  // stale: rejected, but the batch goes on
      {2, 1, T0 + 2s},
      {1, 5, T0 + 3s},
  };
  const std::vector<phifd::Status> statuses = m.heartbeat_batch(records);
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_EQ(statuses[0], phifd::Status::Ok);
  EXPECT_EQ(statuses[1], phifd::Status::StaleGeneration);
  EXPECT_EQ(statuses[2], phifd::Status::Ok);
  EXPECT_EQ(statuses[3], phifd::Status::Ok);
  EXPECT_EQ(m.node_count(), 2u);
  EXPECT_EQ(m.stats().stale_heartbeats, 1u);
  EXPECT_EQ(*m.info(1, T0 + 3s).last_arrival, T0 + 3s);
  EXPECT_TRUE(m.heartbeat_batch(std::vector<phifd::Heartbeat>{}).empty());
  EXPECT_TRUE(m.heartbeat_batch(nullptr, 0).empty());
}

TEST(Batch, PhiBatchMarksUnknownNodes) {
  phifd::Monitor m = exponential_monitor();
  m.heartbeat(1, 1, T0);
  m.heartbeat(2, 1, T0 + 1s);
  const Clock::time_point at = T0 + 3s;
  const std::vector<std::optional<double>> phis = m.phi_batch({1, 99, 2}, at);
  ASSERT_EQ(phis.size(), 3u);
  ASSERT_TRUE(phis[0].has_value());
  EXPECT_FALSE(phis[1].has_value());
  ASSERT_TRUE(phis[2].has_value());
  // Seed mean 1 s: 3 s and 2 s of silence.
  EXPECT_NEAR(*phis[0], 3.0 / std::log(10.0), 1e-12);
  EXPECT_NEAR(*phis[2], 2.0 / std::log(10.0), 1e-12);
  // The batch gives the very same numbers as single calls.
  EXPECT_EQ(bits(*phis[0]), bits(m.phi(1, at)));
  EXPECT_EQ(bits(*phis[2]), bits(m.phi(2, at)));
  EXPECT_TRUE(m.phi_batch(std::vector<phifd::NodeId>{}, at).empty());
  const phifd::NodeId one = 1;
  EXPECT_EQ(m.phi_batch(&one, 1, at).size(), 1u);
}

}  // namespace
