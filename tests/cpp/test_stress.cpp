// Delay awareness and gossip through the C++ API, with explicit timestamps: a pause of the monitor
// itself, relayed heartbeat versions, suspicion confirmations (Lifeguard's formula), local health,
// and the new settings. Every expected number is derived by hand in the comments.
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kS = 1'000'000'000;

phifd::Clock::time_point at(std::uint64_t ns) { return phifd::Clock::from_ns(ns); }

// Exponential estimator, mean interval 1 s, threshold 8: phi = t / mean / ln 10 reaches 8 after
// 8 ln 10 s = 18.420680743952367 s, rounded up to whole nanoseconds.
constexpr std::uint64_t kBaseFailAfter = 18'420'680'744;

// Lifeguard: ceil(max * max(r, 1 - (1 - r) ln(n + 1) / ln(k + 1))), computed here independently.
std::uint64_t lifeguard(std::uint64_t max, double n, double k, double r) {
  const double factor = std::max(r, 1.0 - (1.0 - r) * std::log(n + 1.0) / std::log(k + 1.0));
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(max) * factor));
}

// (node, time) of every transition to Failed.
std::vector<std::pair<phifd::NodeId, std::uint64_t>> failures(const std::vector<phifd::Event>& events) {
  std::vector<std::pair<phifd::NodeId, std::uint64_t>> out;
  for (const auto& e : events) {
    if (e.kind == phifd::EventKind::StateChanged && e.to == phifd::State::Failed) {
      out.emplace_back(e.node, static_cast<std::uint64_t>(e.time.time_since_epoch().count()));
    }
  }
  return out;
}

// A monitor with the exponential estimator, 1 s interval, and node 1 heartbeating at 0..4 s.
phifd::Monitor exponential_with_node1(phifd::Config cfg = phifd::Config()) {
  cfg.set_estimator(phifd::Estimator::Exponential).set_heartbeat_interval(1s);
  phifd::Monitor m(cfg);
  for (std::uint64_t i = 0; i < 5; ++i) {
    m.heartbeat(1, 1, at(i * kS));
  }
  return m;
}

TEST(Stress, TenSecondMonitorPauseConvictsNoHealthyPeer) {
  // Peers 1..20 heartbeat every 100 ms; peer 21 crashes at 5 s; peer 22 at 12 s, during the
  // monitor's pause from 10 s to 20 s (no call at all). At 20 s the queued heartbeats are drained,
  // stamped with the processing time (the worst case), then everything runs normally again.
  phifd::Config cfg;
  cfg.set_estimator(phifd::Estimator::Normal).set_heartbeat_interval(100ms).set_local_pause_grace(2s);
  phifd::Monitor m(cfg);
  std::vector<phifd::Event> events;
  auto beat = [&m](std::uint64_t t) {
    for (phifd::NodeId node = 1; node <= 22; ++node) {
      const bool crashed = (node == 21 && t >= 5 * kS) || (node == 22 && t >= 12 * kS);
      if (!crashed) {
        m.heartbeat(node, 1, at(t));
      }
    }
  };
  auto poll = [&m, &events](std::uint64_t t) {
    auto got = m.poll(at(t));
    events.insert(events.end(), got.begin(), got.end());
  };
  for (std::uint64_t t = kS; t < 10 * kS; t += 100 * kMs) {
    beat(t);
    poll(t + 50 * kMs);
  }
  auto f = failures(events);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].first, 21u);
  EXPECT_GT(f[0].second, 4'900 * kMs);  // after its last heartbeat, before the pause
  EXPECT_LT(f[0].second, 10 * kS);
  EXPECT_EQ(m.stats().pauses_detected, 0u);

  const std::uint64_t resume = 20 * kS;
  for (std::uint64_t i = 0; i < 100; ++i) {
    for (phifd::NodeId node = 1; node <= 20; ++node) {
      m.heartbeat(node, 1, at(resume + i * 100'000));
    }
  }
  for (std::uint64_t t = resume + 10 * kMs; t < 30 * kS; t += 100 * kMs) {
    poll(t);
    beat(t + 50 * kMs);
  }
  const phifd::Stats st = m.stats();
  EXPECT_EQ(st.pauses_detected, 1u);
  ASSERT_TRUE(st.last_pause_start.has_value());
  ASSERT_TRUE(st.last_pause_end.has_value());
  ASSERT_TRUE(st.grace_until.has_value());
  EXPECT_EQ(*st.last_pause_start, at(9'950 * kMs));  // the last poll before the pause (9.9 s + 50 ms)
  EXPECT_EQ(*st.last_pause_end, at(resume));         // the first call after it
  EXPECT_EQ(*st.grace_until, at(resume + 2 * kS));   // + the 2 s grace
  f = failures(events);
  ASSERT_EQ(f.size(), 2u) << "a healthy peer was convicted";
  EXPECT_EQ(f[1].first, 22u);
  EXPECT_EQ(f[1].second, 22 * kS) << "peer 22 is convicted when the grace ends";
  for (phifd::NodeId node = 1; node <= 20; ++node) {
    const phifd::NodeInfo info = m.info(node, at(30 * kS));
    EXPECT_EQ(info.state, phifd::State::Alive) << node;
    // Neither the 10 s gap nor the 10 ms burst was learned: the mean is still 100 ms.
    EXPECT_NEAR(info.mean.count(), 1e8, 1e6) << node;
  }
}

TEST(Stress, FiftyRelaysOfOneVersionCountOnce) {
  phifd::Monitor m;
  EXPECT_TRUE(m.heartbeat_version(7, 1, 10, at(kS)));
  for (std::uint64_t relay = 0; relay < 49; ++relay) {
    EXPECT_FALSE(m.heartbeat_version(7, 1, 10, at(kS + relay * kMs)));
  }
  EXPECT_FALSE(m.heartbeat_version(7, 1, 9, at(kS + 60 * kMs))) << "an old version arriving late";
  phifd::NodeInfo info = m.info(7, at(2 * kS));
  EXPECT_EQ(info.version, 10u);
  ASSERT_TRUE(info.last_arrival.has_value());
  EXPECT_EQ(*info.last_arrival, at(kS)) << "duplicates do not refresh the arrival";
  EXPECT_EQ(m.stats().duplicate_heartbeats, 50u);  // 49 relays + 1 old version
  EXPECT_TRUE(m.heartbeat_version(7, 1, 11, at(2 * kS)));
  EXPECT_EQ(m.info(7, at(2 * kS)).version, 11u);
  // A higher generation with a lower version is a restart: counted.
  EXPECT_TRUE(m.heartbeat_version(7, 2, 1, at(3 * kS)));
  EXPECT_EQ(m.info(7, at(3 * kS)).version, 1u);
  EXPECT_THROW(m.heartbeat_version(7, 1, 100, at(4 * kS)), phifd::StaleGeneration);
  EXPECT_EQ(m.stats().duplicate_heartbeats, 50u);
  EXPECT_EQ(m.stats().stale_heartbeats, 1u);
}

TEST(Stress, VersionJumpsKeepThePerHeartbeatInterval) {
  // The sender beats every 100 ms; gossip brings it every 300..700 ms (versions jump 3..7).
  phifd::Config cfg;
  cfg.set_heartbeat_interval(500ms);
  phifd::Monitor m(cfg);
  std::uint64_t rng = 12345, version = 1, t = kS;
  ASSERT_TRUE(m.heartbeat_version(3, 1, version, at(t)));
  for (int i = 0; i < 400; ++i) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    const std::uint64_t jump = 3 + rng % 5;
    version += jump;
    t += jump * 100 * kMs + (rng >> 20) % (5 * kMs);
    ASSERT_TRUE(m.heartbeat_version(3, 1, version, at(t)));
  }
  const phifd::NodeInfo info = m.info(3, at(t));
  EXPECT_NEAR(info.heartbeat_interval.count(), 1e8, 5e6);  // per heartbeat: 100 ms
  EXPECT_NEAR(info.mean.count(), 5e8, 5e7);                // between observations: mean jump 5 x 100 ms
  EXPECT_EQ(info.version, version);
  EXPECT_EQ(info.state, phifd::State::Alive);
}

TEST(Stress, ConfirmationsFollowLifeguardsFormula) {
  phifd::Monitor m = exponential_with_node1();
  // By hand (k = 3, r = 0.5): n = 1: 1 - 0.5 ln2/ln4 = 0.75 -> 13,815,510,558 ns;
  // n = 2: 1 - 0.5 ln3/ln4 = 0.60375937... -> 11,121,658,690 ns; n = 3: 0.5 -> 9,210,340,372 ns.
  EXPECT_EQ(m.info(1, at(4 * kS)).fail_after, std::chrono::nanoseconds(kBaseFailAfter));
  EXPECT_EQ(m.info(1, at(4 * kS)).confirmations, 0u);
  m.report_suspect(1, 100);
  m.report_suspect(1, 100);  // the same reporter counts once
  EXPECT_EQ(m.info(1, at(4 * kS)).confirmations, 1u);
  EXPECT_EQ(m.info(1, at(4 * kS)).fail_after.count(), 13'815'510'558);
  EXPECT_EQ(lifeguard(kBaseFailAfter, 1, 3, 0.5), 13'815'510'558u);
  m.report_suspect(1, 101);
  EXPECT_EQ(m.info(1, at(4 * kS)).confirmations, 2u);
  EXPECT_EQ(m.info(1, at(4 * kS)).fail_after.count(), 11'121'658'690);
  EXPECT_EQ(lifeguard(kBaseFailAfter, 2, 3, 0.5), 11'121'658'690u);
  for (phifd::NodeId reporter = 102; reporter < 2'000; ++reporter) {
    m.report_suspect(1, reporter);
  }
  const phifd::NodeInfo flooded = m.info(1, at(4 * kS));
  EXPECT_EQ(flooded.confirmations, 3u) << "bounded: k reporters kept";
  EXPECT_EQ(flooded.fail_after.count(), 9'210'340'372);
  // Conviction happens exactly at the shortened deadline.
  const std::uint64_t deadline = 4 * kS + 9'210'340'372;
  EXPECT_TRUE(failures(m.poll(at(deadline - 1))).empty());
  const auto f = failures(m.poll(at(deadline)));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].first, 1u);
  EXPECT_EQ(f[0].second, deadline);
  // A counted heartbeat refutes the suspicion: no confirmations, the full deadline again (the
  // 16 s gap exceeds the exponential model's 2 s max interval, so the mean stays 1 s).
  m.heartbeat(1, 1, at(20 * kS));
  EXPECT_EQ(m.info(1, at(20 * kS)).confirmations, 0u);
  EXPECT_EQ(m.info(1, at(20 * kS)).fail_after, std::chrono::nanoseconds(kBaseFailAfter));
  // A duplicate versioned heartbeat does not refute; a newer one does.
  m.report_suspect(1, 100);
  EXPECT_FALSE(m.heartbeat_version(1, 1, 0, at(20 * kS + 1)));
  EXPECT_EQ(m.info(1, at(20 * kS)).confirmations, 1u);
  EXPECT_THROW(m.report_suspect(1, 1), phifd::InvalidArgument) << "a node cannot report itself";
  EXPECT_THROW(m.report_suspect(99, 1), phifd::UnknownNode);
}

TEST(Stress, ConfirmationSettingsChangeTheFormula) {
  // k = 1, r = 0.25: one reporter is already all of them: factor max(0.25, 1 - 0.75 ln2/ln2) = 0.25.
  phifd::Config cfg;
  cfg.set_confirmations_expected(1).set_confirmation_min_ratio(0.25);
  phifd::Monitor m = exponential_with_node1(std::move(cfg));
  m.report_suspect(1, 50);
  m.report_suspect(1, 51);
  const phifd::NodeInfo info = m.info(1, at(4 * kS));
  EXPECT_EQ(info.confirmations, 1u);
  EXPECT_EQ(info.fail_after.count(), 4'605'170'186);  // ceil(18,420,680,744 / 4)
  EXPECT_EQ(lifeguard(kBaseFailAfter, 1, 1, 0.25), 4'605'170'186u);
}

TEST(Stress, LocalHealthStretchesConviction) {
  phifd::Monitor m = exponential_with_node1();
  EXPECT_EQ(m.local_health(), 0u);
  m.set_local_health(3);
  EXPECT_EQ(m.local_health(), 3u);
  EXPECT_EQ(m.stats().local_health, 3u);
  EXPECT_EQ(m.info(1, at(4 * kS)).fail_after.count(), 73'682'722'976);  // (1 + 3) x base
  EXPECT_THROW(m.set_local_health(8), phifd::InvalidArgument) << "the default max is 7";
  m.set_local_health(7);
  EXPECT_EQ(m.info(1, at(4 * kS)).fail_after.count(), 147'365'445'952);  // 8 x base
  m.set_local_health(0);

  // The monitor's own score: 20 polls 100 ms apart, then one 300 ms late (over twice the usual
  // gap, under a pause), then a timely one.
  std::uint64_t t = 5 * kS;
  for (int i = 0; i < 20; ++i) {
    m.poll(at(t));
    t += 100 * kMs;
  }
  EXPECT_EQ(m.local_health(), 0u);
  t += 200 * kMs;
  m.poll(at(t));
  EXPECT_EQ(m.local_health(), 1u) << "a late poll raises the score";
  EXPECT_EQ(m.info(1, at(t)).fail_after.count(), 36'841'361'488);  // 2 x base
  m.poll(at(t + 100 * kMs));
  EXPECT_EQ(m.local_health(), 0u) << "a timely poll lowers it";
  EXPECT_EQ(m.stats().pauses_detected, 0u);
  EXPECT_FALSE(m.stats().grace_until.has_value());
}

TEST(Stress, MaxLocalHealthCapsTheScore) {
  phifd::Config cfg;
  cfg.set_max_local_health(2);
  phifd::Monitor m = exponential_with_node1(std::move(cfg));
  EXPECT_THROW(m.set_local_health(3), phifd::InvalidArgument);
  m.set_local_health(2);
  EXPECT_EQ(m.info(1, at(4 * kS)).fail_after.count(), 55'262'042'232);  // 3 x base
}

TEST(Stress, BurstAfterASenderStallIsNotLearned) {
  phifd::Config cfg;
  cfg.set_estimator(phifd::Estimator::Normal).set_heartbeat_interval(100ms);
  phifd::Monitor m(cfg);
  std::uint64_t t = kS;
  for (int i = 0; i < 200; ++i) {
    m.heartbeat(1, 1, at(t));
    t += 100 * kMs;
  }
  m.heartbeat(1, 1, at(t));
  t += kMs;
  const phifd::NodeInfo before = m.info(1, at(t));
  for (int i = 0; i < 9; ++i) {  // 1 ms apart: below 0.25 x 100 ms
    m.heartbeat(1, 1, at(t));
    t += kMs;
  }
  const phifd::NodeInfo after = m.info(1, at(t));
  EXPECT_EQ(after.samples, before.samples);
  EXPECT_EQ(after.mean.count(), before.mean.count());

  // With burst fraction 0 every interval is learned: the 1 ms intervals pull the mean down.
  phifd::Config learn_all;
  learn_all.set_estimator(phifd::Estimator::Normal).set_heartbeat_interval(100ms).set_burst_fraction(0.0);
  phifd::Monitor m0(learn_all);
  t = kS;
  for (int i = 0; i < 10; ++i) {
    m0.heartbeat(1, 1, at(t));
    t += 100 * kMs;
  }
  const double mean_before = m0.info(1, at(t)).mean.count();
  for (int i = 0; i < 5; ++i) {
    m0.heartbeat(1, 1, at(t));
    t += kMs;
  }
  EXPECT_LT(m0.info(1, at(t)).mean.count(), mean_before * 0.9);
}

TEST(Stress, NewSettersRejectOutOfRangeValuesNamingTheSetting) {
  auto expect_invalid = [](auto&& call, const char* name) {
    try {
      call();
      ADD_FAILURE() << name << ": accepted";
    } catch (const phifd::InvalidArgument& e) {
      EXPECT_NE(e.message().find(name), std::string::npos) << e.message();
    }
  };
  phifd::Config cfg;
  expect_invalid([&] { cfg.set_local_pause_threshold(0ns); }, "local_pause_threshold_ns");
  expect_invalid([&] { cfg.set_local_pause_threshold(std::chrono::hours(24 * 365)); }, "local_pause_threshold_ns");
  expect_invalid([&] { cfg.set_local_pause_grace(std::chrono::hours(24 * 365)); }, "local_pause_grace_ns");
  expect_invalid([&] { cfg.set_local_pause_threshold(-1ns); }, "local pause threshold");
  expect_invalid([&] { cfg.set_local_pause_grace(-1s); }, "local pause grace");
  expect_invalid([&] { cfg.set_burst_fraction(1.0); }, "burst_fraction");
  expect_invalid([&] { cfg.set_burst_fraction(-0.01); }, "burst_fraction");
  expect_invalid([&] { cfg.set_burst_fraction(std::nan("")); }, "burst_fraction");
  expect_invalid([&] { cfg.set_max_local_health(65); }, "max_local_health");
  expect_invalid([&] { cfg.set_confirmations_expected(0); }, "confirmations_expected");
  expect_invalid([&] { cfg.set_confirmations_expected(65); }, "confirmations_expected");
  expect_invalid([&] { cfg.set_confirmation_min_ratio(0.0); }, "confirmation_min_ratio");
  expect_invalid([&] { cfg.set_confirmation_min_ratio(1.5); }, "confirmation_min_ratio");
  expect_invalid([&] { cfg.set_confirmation_min_ratio(INFINITY); }, "confirmation_min_ratio");
  // The boundaries are accepted.
  EXPECT_NO_THROW(cfg.set_local_pause_grace(0ns)
                      .set_local_pause_threshold(1ns)
                      .set_burst_fraction(0.0)
                      .set_max_local_health(0)
                      .set_max_local_health(64)
                      .set_confirmations_expected(1)
                      .set_confirmations_expected(64)
                      .set_confirmation_min_ratio(1.0));
  EXPECT_NO_THROW(phifd::Monitor{cfg});
}

TEST(Stress, MovedFromMonitorThrowsNullArgForNewMethods) {
  phifd::Monitor m;
  phifd::Monitor other(std::move(m));
  auto expect_null = [](auto&& call) {
    try {
      call();
      ADD_FAILURE() << "a moved-from monitor was used";
    } catch (const phifd::Error& e) {
      EXPECT_EQ(e.status(), phifd::Status::NullArg);
    }
  };
  expect_null([&] { m.heartbeat_version(1, 1, 1, at(kS)); });  // NOLINT(bugprone-use-after-move)
  expect_null([&] { m.report_suspect(1, 2); });
  expect_null([&] { m.set_local_health(1); });
  expect_null([&] { (void)m.local_health(); });
  EXPECT_TRUE(other.heartbeat_version(1, 1, 1, at(kS)));
}

}  // namespace
