// QoS targets and live retuning (docs/qos.md): Config::set_qos / qos, Monitor::set_thresholds,
// set_qos, the per-node calls and qos_report. Expected values are derived here from the closed
// forms of docs/qos.md, never read back from the library. With the exponential estimator
// phi = silence / mean / ln 10, so threshold T puts the Failed deadline of a window of 1 s
// intervals at T ln 10 s, and the model's tail is P(X > d) = exp(-d / mean).
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using phifd::Clock;
using phifd::Qos;
using phifd::State;

constexpr std::uint64_t kSec = 1'000'000'000;
constexpr std::uint64_t kMs = 1'000'000;
const double kLn10 = std::log(10.0);

Clock::time_point at(std::uint64_t ns) { return Clock::from_ns(ns); }

// The deadline of phi level `l` on 1 s intervals, exponential estimator: the first whole ns at
// which silence / 1 s / ln 10 reaches `l`.
std::chrono::nanoseconds exp_deadline(double l) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(l * kLn10 * 1e9)));
}

double ns(std::chrono::nanoseconds d) { return static_cast<double>(d.count()); }

// Exponential estimator, threshold 8 (suspect 4), the given window, no QoS warm-up (these tests
// check the derivation from the history; the warm-up has a test of its own); `more` adds settings.
phifd::Monitor exp_monitor(std::uint64_t window, const std::function<void(phifd::Config&)>& more = {}) {
  phifd::Config cfg;
  cfg.set_estimator(phifd::Estimator::Exponential).set_window(window).set_threshold(8.0).set_qos_warmup(0ns);
  if (more) more(cfg);
  return phifd::Monitor(cfg);
}

// Heartbeats of `nodes` every second from 1 s, `count` of each; returns the last time (ns).
std::uint64_t beat(phifd::Monitor& m, const std::vector<phifd::NodeId>& nodes, int count) {
  std::uint64_t t = 0;
  for (int i = 1; i <= count; ++i) {
    t = static_cast<std::uint64_t>(i) * kSec;
    for (phifd::NodeId n : nodes) m.heartbeat(n, 1, at(t));
  }
  return t;
}

Qos targets(std::chrono::nanoseconds td, std::chrono::nanoseconds tmr, std::chrono::nanoseconds tm = 0ns) {
  return Qos{td, tmr, tm};
}

using EventKey = std::tuple<phifd::NodeId, State, State, std::int64_t, double>;

std::vector<EventKey> keys(const std::vector<phifd::Event>& events) {
  std::vector<EventKey> out;
  for (const auto& e : events) out.emplace_back(e.node, e.from, e.to, e.time.time_since_epoch().count(), e.phi);
  return out;
}

bool same_report(const phifd::QosReport& a, const phifd::QosReport& b) {
  return a.qos == b.qos && a.feasible == b.feasible && a.threshold == b.threshold &&
         a.suspect_threshold == b.suspect_threshold && a.deadline == b.deadline &&
         a.predicted_detection == b.predicted_detection &&
         a.predicted_mistake_recurrence == b.predicted_mistake_recurrence &&
         a.predicted_mistake_duration == b.predicted_mistake_duration && a.best_detection == b.best_detection &&
         a.loss_rate == b.loss_rate && a.samples == b.samples && a.established == b.established;
}

TEST(QosConfig, RoundTripAndRefusals) {
  phifd::Config cfg;
  EXPECT_FALSE(cfg.qos().has_value());  // the default: judged by the thresholds
  const Qos want = targets(5s, 1h, 2s);
  cfg.set_qos(want);
  ASSERT_TRUE(cfg.qos().has_value());
  EXPECT_EQ(*cfg.qos(), want);
  // A refused value names the field and keeps the previous targets.
  struct Bad {
    Qos q;
    const char* field;
  };
  const Bad bad[] = {
      {targets(0ns, 1h), "max_detection_ns"},
      {targets(1s, 0ns), "min_mistake_recurrence_ns"},
      {targets(std::chrono::nanoseconds(1'000'000'000'000'001), 1s), "max_detection_ns"},
      {targets(1s, 1s, std::chrono::nanoseconds(1'000'000'000'000'001)), "max_mistake_duration_ns"},
      {targets(-1s, 1s), "max_detection"},
      {targets(1s, 1s, -1ns), "max_mistake_duration"},
  };
  for (const Bad& b : bad) {
    try {
      cfg.set_qos(b.q);
      ADD_FAILURE() << b.field << ": accepted";
    } catch (const phifd::InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(b.field), std::string::npos) << e.what();
    }
    EXPECT_EQ(cfg.qos(), std::optional<Qos>(want));
  }
  cfg.set_qos(std::nullopt);
  EXPECT_FALSE(cfg.qos().has_value());
  phifd::Config moved = std::move(cfg);
  EXPECT_THROW(cfg.set_qos(want), phifd::Error);  // NOLINT(bugprone-use-after-move): the moved-from Config throws
  EXPECT_THROW((void)cfg.qos(), phifd::Error);    // NOLINT(bugprone-use-after-move)
}

TEST(QosConfig, WarmUpRoundTripAndRefusals) {
  phifd::Config cfg;
  EXPECT_FALSE(cfg.qos_warmup().has_value());  // the default: min(T_MR, 1 h)
  std::uint64_t raw = 0;
  ASSERT_EQ(phifd_config_get_qos_warmup_ns(cfg.native_handle(), &raw), PHIFD_OK);
  EXPECT_EQ(raw, std::numeric_limits<std::uint64_t>::max());  // PHIFD_QOS_WARMUP_DEFAULT
  cfg.set_qos_warmup(0ns);
  ASSERT_TRUE(cfg.qos_warmup().has_value());
  EXPECT_EQ(*cfg.qos_warmup(), 0ns);  // zero is "no warm-up", not the default
  cfg.set_qos_warmup(10min);
  EXPECT_EQ(cfg.qos_warmup(), std::optional<std::chrono::nanoseconds>(600s));
  // The largest accepted is 10^15 ns; above it and negative durations are refused, naming the
  // setting, and the previous value is kept.
  cfg.set_qos_warmup(std::chrono::nanoseconds(1'000'000'000'000'000));
  EXPECT_EQ(cfg.qos_warmup(), std::optional<std::chrono::nanoseconds>(1'000'000'000'000'000));
  cfg.set_qos_warmup(10min);
  const std::pair<std::chrono::nanoseconds, const char*> bad[] = {
      {std::chrono::nanoseconds(1'000'000'000'000'001), "qos_warmup_ns"},
      {-1ns, "Config::set_qos_warmup"},
  };
  for (const auto& b : bad) {
    try {
      cfg.set_qos_warmup(b.first);
      ADD_FAILURE() << b.second << ": accepted";
    } catch (const phifd::InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(b.second), std::string::npos) << e.what();
    }
    EXPECT_EQ(cfg.qos_warmup(), std::optional<std::chrono::nanoseconds>(600s));
  }
  cfg.set_qos_warmup(std::nullopt);  // back to the default
  EXPECT_FALSE(cfg.qos_warmup().has_value());
  phifd::Config moved = std::move(cfg);
  EXPECT_THROW(cfg.set_qos_warmup(0ns), phifd::Error);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)cfg.qos_warmup(), phifd::Error);   // NOLINT(bugprone-use-after-move)
}

// Exponential, window 100, max interval 1000 s, no burst rule; node 1 sends 101 heartbeats 1 s
// apart (100 intervals of 1 s, the last at 101 s); `warmup` as Config::set_qos_warmup takes it.
phifd::Monitor warmup_monitor(std::optional<std::chrono::nanoseconds> warmup) {
  phifd::Config cfg;
  cfg.set_estimator(phifd::Estimator::Exponential)
      .set_window(100)
      .set_max_interval(1000s)
      .set_burst_fraction(0.0)
      .set_qos_warmup(warmup);
  phifd::Monitor m(cfg);
  beat(m, {1}, 101);
  return m;
}

TEST(QosReport, WarmUpHoldsTheDeadlineTowardsTheDetectionBound) {
  // Switched to QoS with T_D = 20 s, T_MR = 1000 s and the default warm-up
  // W = min(T_MR, 1 h) = 1000 s. The window spans 100 s, so watched = 100 s and the deadline is
  // held at T_D (1 - watched / W) = 18 s; the history alone supports the exponential model's
  // mu ln(T_MR / mu) = ln(1000) s = 6.908 s (mu = 1 s), which stays the best T_D.
  const double td = 20e9, tmr = 1000e9, mu = 1e9, watched = 100e9;
  const double w = std::min(tmr, 3600e9);
  const double held = td * (1.0 - watched / w);
  const double best = mu * std::log(tmr / mu);
  const std::uint64_t t = 101 * kSec;
  auto m = warmup_monitor(std::nullopt);
  m.set_node_qos(1, targets(20s, 1000s));
  const auto r = m.qos_report(1, at(t));
  EXPECT_TRUE(r.qos);
  EXPECT_TRUE(r.feasible);  // judged on the best deadline: 6.9 s <= 20 s
  EXPECT_FALSE(r.established);
  EXPECT_NEAR(ns(r.deadline), held, 2.0);
  EXPECT_NEAR(ns(r.deadline), 18e9, 2.0);
  EXPECT_EQ(r.predicted_detection, r.deadline);  // no round trip declared
  EXPECT_NEAR(ns(r.best_detection), best, 2.0);
  EXPECT_NEAR(ns(r.best_detection), 6.907755279e9, 2.0);
  // The node is judged by the held deadline: not Failed after 17 s of silence, Failed after 18 s.
  EXPECT_NE(m.info(1, at(t + 17 * kSec)).state, State::Failed);
  EXPECT_EQ(m.info(1, at(t + 18 * kSec + 1)).state, State::Failed);

  // Warm-up 0: established at once, the deadline the history supports.
  auto none = warmup_monitor(0ns);
  none.set_node_qos(1, targets(20s, 1000s));
  const auto r0 = none.qos_report(1, at(t));
  EXPECT_TRUE(r0.qos);
  EXPECT_TRUE(r0.feasible);
  EXPECT_TRUE(r0.established);
  EXPECT_NEAR(ns(r0.deadline), best, 2.0);
  EXPECT_EQ(r0.best_detection, r0.predicted_detection);
}

TEST(QosReport, ThresholdNodeIsTheExponentialModels) {
  auto m = exp_monitor(10);
  const std::uint64_t t = beat(m, {1}, 20);
  const auto r = m.qos_report(1, at(t));
  EXPECT_FALSE(r.qos);
  EXPECT_TRUE(r.feasible);
  EXPECT_EQ(r.threshold, 8.0);
  EXPECT_EQ(r.suspect_threshold, 4.0);
  EXPECT_EQ(r.deadline, exp_deadline(8.0));
  EXPECT_EQ(r.predicted_detection, r.deadline);  // no round trip declared
  EXPECT_EQ(r.best_detection, r.predicted_detection);
  // Tail at 8 ln 10 s: exp(-8 ln 10) = 1e-8, so T_MR = 1 s / 1e-8 = 1e8 s; T_M = the mean.
  ASSERT_TRUE(r.predicted_mistake_recurrence.has_value());
  EXPECT_NEAR(ns(*r.predicted_mistake_recurrence), 1e17, 1e11);
  EXPECT_NEAR(ns(r.predicted_mistake_duration), 1e9, 2.0);
  EXPECT_EQ(r.loss_rate, 0.0);
  EXPECT_EQ(r.samples, 10u);
  EXPECT_TRUE(r.established);  // no QoS: nothing to warm up
}

TEST(QosReport, QosNodeMeetsTheClosedForm) {
  // Window 10 (< 32: the model alone). exp(-d/mu) = mu/T_MR  =>  d = mu ln(T_MR/mu); with
  // mu = 1 s and T_MR = 1000 s: d = 3 ln 10 s = 6.91 s, threshold log10(1000) = 3.
  const auto rtt = 200ms;
  auto m = exp_monitor(10, [&](phifd::Config& c) { c.set_round_trip(rtt).set_qos(targets(10s, 1000s)); });
  const std::uint64_t t = beat(m, {1}, 20);
  const auto r = m.qos_report(1, at(t));
  const double d = 1e9 * std::log(1000.0);
  EXPECT_TRUE(r.qos);
  EXPECT_TRUE(r.feasible);
  EXPECT_NEAR(r.threshold, 3.0, 3e-9);
  EXPECT_NEAR(r.suspect_threshold, 1.5, 1.5e-9);  // the configured ratio 4/8
  EXPECT_NEAR(ns(r.deadline), d, 2.0);
  EXPECT_NEAR(ns(r.predicted_detection), d + ns(rtt) / 2, 2.0);  // + the one-way delay
  EXPECT_EQ(r.best_detection, r.predicted_detection);
  ASSERT_TRUE(r.predicted_mistake_recurrence.has_value());
  EXPECT_NEAR(ns(*r.predicted_mistake_recurrence), 1e12, 1e6);
  EXPECT_NEAR(ns(r.predicted_mistake_duration), 1e9, 2.0);  // exponential: the mean
  EXPECT_EQ(r.samples, 10u);
  // The node is judged by that deadline: silence past it is one Failed event at t + d.
  (void)m.poll(at(t));
  int failed = 0;
  for (const auto& e : m.poll(at(t + 7 * kSec))) {
    if (e.to != State::Failed) continue;
    ++failed;
    EXPECT_NEAR(static_cast<double>(e.time.time_since_epoch().count()), static_cast<double>(t) + d, 2.0);
  }
  EXPECT_EQ(failed, 1);
}

TEST(QosReport, DeadlineFromTheTailFitByHand) {
  // 100 intervals: a grid of 900..1098 ms with five long gaps (3, 4, 5, 6 and 8 s) in place of
  // five of them: the tail the fit must carry.
  std::vector<std::uint64_t> xs(100);
  for (std::uint64_t i = 0; i < 100; ++i) xs[i] = 900 * kMs + (i * 37 % 100) * 2 * kMs;
  const std::pair<int, std::uint64_t> gaps[] = {{10, 3}, {30, 4}, {50, 5}, {70, 6}, {90, 8}};
  for (const auto& g : gaps) xs[static_cast<std::size_t>(g.first)] = g.second * kSec;
  auto m = exp_monitor(100, [](phifd::Config& c) { c.set_max_interval(1000s).set_burst_fraction(0.0); });
  std::uint64_t t = kSec;
  m.heartbeat(1, 1, at(t));
  for (std::uint64_t x : xs) {
    t += x;
    m.heartbeat(1, 1, at(t));
  }
  const auto tmr = 10'000s;
  // Retuned at the end, so the node derives its levels on exactly this window.
  m.set_node_qos(1, targets(60s, tmr));
  const auto r = m.qos_report(1, at(t));

  // docs/qos.md steps 3-4 by hand: the k = max(8, ceil(sqrt n)) largest intervals over u, the
  // next one; scale = mean excess x (1 + 1/sqrt k); d = u + scale ln(k / (n p)), p = mu / T_MR;
  // and at least the empirical quantile, here (p n < 1) the longest interval, 8 s.
  std::vector<double> v(xs.begin(), xs.end());
  std::sort(v.begin(), v.end(), std::greater<double>());
  const double n = static_cast<double>(v.size());
  const double k = std::max(8.0, std::ceil(std::sqrt(n)));
  const double u = v[static_cast<std::size_t>(k)];
  double beta = 0.0, sum = 0.0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(k); ++i) beta += v[i] - u;
  beta /= k;
  for (double x : v) sum += x;
  const double scale = beta * (1 + 1 / std::sqrt(k));
  const double mu = sum / n;
  const double p = mu / ns(tmr);
  const double d_model = mu * std::log(1 / p);
  const double d_pot = u + scale * std::log(k / (n * p));
  ASSERT_GT(d_pot, d_model) << "this window's tail is the fit's";
  ASSERT_LT(p * n, 1.0);
  ASSERT_EQ(v[0], 8e9);
  ASSERT_GT(d_pot, v[0]) << "the empirical floor, the longest interval, is below the fit's deadline";
  EXPECT_TRUE(r.qos);
  EXPECT_TRUE(r.feasible);
  EXPECT_EQ(r.samples, 100u);
  EXPECT_NEAR(ns(r.deadline), d_pot, 2.0);
  EXPECT_NEAR(r.threshold, d_pot / mu / kLn10, 1e-9);
  // At d_pot the fit's tail is exactly mu/T_MR: the predicted T_MR is the target.
  ASSERT_TRUE(r.predicted_mistake_recurrence.has_value());
  EXPECT_NEAR(ns(*r.predicted_mistake_recurrence), ns(tmr), ns(tmr) * 1e-6);
  EXPECT_NEAR(ns(r.predicted_mistake_duration), std::max(scale, mu), 1.0);
}

TEST(QosReport, InfeasibleTargetsKeepTheMistakeRateDeadline) {
  auto m = exp_monitor(10);
  const std::uint64_t t = beat(m, {1}, 20);
  const double d = 3 * kLn10 * 1e9;  // T_MR = 1000 s on 1 s intervals
  m.set_node_qos(1, targets(5s, 1000s));
  auto r = m.qos_report(1, at(t));
  EXPECT_TRUE(r.qos);
  EXPECT_FALSE(r.feasible);
  EXPECT_NEAR(ns(r.deadline), d, 2.0);
  EXPECT_NEAR(ns(r.best_detection), d, 2.0);
  m.set_node_qos(1, targets(10s, 1000s, 500ms));  // T_M bound below the 1 s mean
  EXPECT_FALSE(m.qos_report(1, at(t)).feasible);
  m.set_node_qos(1, targets(10s, 1000s, 2s));
  EXPECT_TRUE(m.qos_report(1, at(t)).feasible);
}

TEST(QosReport, LossRateFromVersionGaps) {
  auto m = exp_monitor(100, [](phifd::Config& c) { c.set_max_interval(100s).set_qos(targets(20s, 1h)); });
  std::uint64_t t = kSec;
  for (std::uint64_t v = 1; v <= 200; ++v) {  // every 4th version lost: 50 of 200
    t += kSec;
    if (v % 4 != 0) m.heartbeat_version(1, 1, v, at(t));
  }
  // 150 arrivals, the first shows no gap: 149 counted after it; 50 versions skipped, the last
  // (200) never followed by an arrival: 49 seen. Loss = 49 / (149 + 49).
  EXPECT_NEAR(m.qos_report(1, at(t)).loss_rate, 49.0 / 198.0, 1e-12);
}

// Heartbeats of nodes 1..3 to every monitor every 1 s +/- 20 ms (seeded xorshift), `count` of
// them from `t`; returns the last time.
std::uint64_t jitter(const std::vector<phifd::Monitor*>& ms, std::uint64_t t, int count, std::uint64_t x) {
  for (int i = 0; i < count; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t += kSec - 20 * kMs + x % (40 * kMs);
    for (auto* m : ms)
      for (phifd::NodeId node = 1; node <= 3; ++node) m->heartbeat(node, 1, at(t));
  }
  return t;
}

// Polls both monitors every 500 ms for `steps` steps after `t`; the events must be equal.
std::size_t same_events(phifd::Monitor& a, phifd::Monitor& b, std::uint64_t t, int steps) {
  std::size_t seen = 0;
  for (int k = 1; k <= steps; ++k) {
    const auto now = at(t + static_cast<std::uint64_t>(k) * 500 * kMs);
    const auto ea = keys(a.poll(now));
    EXPECT_EQ(ea, keys(b.poll(now))) << "at +" << k << " x 500 ms";
    seen += ea.size();
  }
  return seen;
}

TEST(Retune, ThresholdsMatchAMonitorConfiguredSoFromTheStart) {
  for (auto est : {phifd::Estimator::Akka, phifd::Estimator::Normal, phifd::Estimator::Exponential}) {
    auto make = [est](double th, double su) {
      phifd::Config c;
      c.set_estimator(est).set_threshold(th).set_suspect_threshold(su).set_max_interval(10s);
      return phifd::Monitor(c);
    };
    auto retuned = make(8.0, 4.0);
    auto fresh = make(12.0, 3.0);
    const auto seed = static_cast<std::uint64_t>(est) + 0x5EED;
    std::uint64_t t = jitter({&retuned, &fresh}, kSec, 300, seed);
    EXPECT_EQ(keys(retuned.poll(at(t))), keys(fresh.poll(at(t))));
    const auto before = retuned.info(1, at(t));
    retuned.set_thresholds(12.0, 3.0);
    for (phifd::NodeId node = 1; node <= 3; ++node) {
      const auto a = retuned.info(node, at(t));
      const auto b = fresh.info(node, at(t));
      EXPECT_EQ(a.samples, before.samples) << "history kept";
      EXPECT_EQ(a.mean.count(), b.mean.count());
      EXPECT_EQ(a.fail_after, b.fail_after);
      EXPECT_EQ(a.suspect_after, b.suspect_after);
      EXPECT_EQ(a.state, b.state);
    }
    EXPECT_NE(retuned.info(1, at(t)).fail_after, before.fail_after);
    t = jitter({&retuned, &fresh}, t, 50, seed ^ 0xBEEF);
    EXPECT_GE(same_events(retuned, fresh, t, 80), 6u) << "Suspect and Failed of 3 nodes";
  }
}

TEST(Retune, DeclaredAtTheNextPollAtTheDeadlineInstant) {
  auto m = exp_monitor(10);
  const std::uint64_t t = beat(m, {1}, 20);
  (void)m.poll(at(t));
  const auto now = at(t + 12 * kSec);  // past the suspect level's 4 ln10 s, before 8 ln10 s
  auto ev = m.poll(now);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].to, State::Suspect);
  EXPECT_EQ(ev[0].time, at(t) + exp_deadline(4.0));
  m.set_thresholds(5.0, 2.5);  // Failed from 5 ln10 s = 11.5 s
  EXPECT_EQ(m.info(1, now).fail_after, exp_deadline(5.0));
  ev = m.poll(now);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].from, State::Suspect);
  EXPECT_EQ(ev[0].to, State::Failed);
  EXPECT_EQ(ev[0].time, at(t) + exp_deadline(5.0)) << "the instant the new deadline passed, not the poll's";
}

TEST(Retune, QosMatchesAMonitorConfiguredSoFromTheStart) {
  // Steady 1 s intervals: every derivation sees the same window, so targets given now and targets
  // given from the start judge by the same deadline.
  const Qos q = targets(10s, 1000s);
  auto retuned = exp_monitor(10);
  auto fresh = exp_monitor(10, [&](phifd::Config& c) { c.set_qos(q); });
  const std::uint64_t t = beat(retuned, {1, 2, 3}, 40);
  beat(fresh, {1, 2, 3}, 40);
  EXPECT_EQ(keys(retuned.poll(at(t))), keys(fresh.poll(at(t))));
  retuned.set_qos(q);
  for (phifd::NodeId node = 1; node <= 3; ++node) {
    const auto a = retuned.qos_report(node, at(t));
    EXPECT_TRUE(a.qos);
    EXPECT_TRUE(same_report(a, fresh.qos_report(node, at(t)))) << "node " << node;
    EXPECT_EQ(retuned.info(node, at(t)).samples, 10u) << "history kept";
  }
  EXPECT_EQ(same_events(retuned, fresh, t, 40), 6u);
  retuned.set_qos(std::nullopt);
  const auto r = retuned.qos_report(1, at(t));
  EXPECT_FALSE(r.qos);
  EXPECT_EQ(r.threshold, 8.0);
  EXPECT_EQ(r.deadline, exp_deadline(8.0));
}

TEST(Retune, NodeOverrideThenClear) {
  auto m = exp_monitor(10);
  const auto t = at(beat(m, {1, 2}, 20));
  m.set_node_thresholds(2, 6.0, 3.0);
  m.set_thresholds(4.0, 2.0);  // node 2 keeps its own
  EXPECT_EQ(m.info(1, t).fail_after, exp_deadline(4.0));
  EXPECT_EQ(m.info(1, t).suspect_after, exp_deadline(2.0));
  EXPECT_EQ(m.info(2, t).fail_after, exp_deadline(6.0));
  EXPECT_EQ(m.info(2, t).suspect_after, exp_deadline(3.0));
  EXPECT_EQ(m.info(2, t).samples, 10u);
  m.set_qos(targets(10s, 1000s));  // passes node 2 by too
  EXPECT_TRUE(m.qos_report(1, t).qos);
  EXPECT_FALSE(m.qos_report(2, t).qos);
  EXPECT_EQ(m.qos_report(2, t).threshold, 6.0);
  m.clear_node_tuning(2);  // follows the monitor's targets: threshold log10(1000) = 3
  const auto r2 = m.qos_report(2, t);
  EXPECT_TRUE(r2.qos);
  EXPECT_NEAR(r2.threshold, 3.0, 3e-9);
  m.clear_node_tuning(2);  // nothing of its own: left as it is
  EXPECT_TRUE(same_report(m.qos_report(2, t), r2));
  m.set_node_qos(1, std::nullopt);  // the monitor's thresholds as they are now, as its own
  auto r1 = m.qos_report(1, t);
  EXPECT_FALSE(r1.qos);
  EXPECT_EQ(r1.threshold, 4.0);
  EXPECT_EQ(r1.suspect_threshold, 2.0);
  m.set_node_qos(1, targets(10s, 100s));  // threshold log10(100) = 2
  m.set_thresholds(7.0, 3.5);             // replaces the monitor's QoS; node 1 keeps its targets
  r1 = m.qos_report(1, t);
  EXPECT_TRUE(r1.qos);
  EXPECT_NEAR(r1.threshold, 2.0, 2e-9);
  EXPECT_FALSE(m.qos_report(2, t).qos);
  EXPECT_EQ(m.qos_report(2, t).threshold, 7.0);
  m.clear_node_tuning(1);
  EXPECT_EQ(m.info(1, t).fail_after, exp_deadline(7.0));
}

TEST(Retune, BadInputsThrowAndChangeNothing) {
  auto m = exp_monitor(10);
  const auto t = at(beat(m, {1}, 20));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::pair<double, double> bad[] = {{4, 5}, {4, 4}, {nan, 2}, {inf, 2}, {0, 0}, {-1, -2}, {2e6, 1}, {0.2, 0.1}};
  for (const auto& b : bad) {
    EXPECT_THROW(m.set_thresholds(b.first, b.second), phifd::InvalidArgument) << b.first << ", " << b.second;
    EXPECT_THROW(m.set_node_thresholds(1, b.first, b.second), phifd::InvalidArgument);
  }
  for (const Qos& q : {targets(0ns, 1s), targets(1s, 0ns), targets(-1ns, 1s)}) {
    EXPECT_THROW(m.set_qos(q), phifd::InvalidArgument);
    EXPECT_THROW(m.set_node_qos(1, q), phifd::InvalidArgument);
  }
  EXPECT_THROW(m.set_node_thresholds(99, 4, 2), phifd::UnknownNode);
  EXPECT_THROW(m.set_node_qos(99, targets(10s, 1000s)), phifd::UnknownNode);
  EXPECT_THROW(m.set_node_qos(99, std::nullopt), phifd::UnknownNode);
  EXPECT_THROW(m.clear_node_tuning(99), phifd::UnknownNode);
  EXPECT_THROW((void)m.qos_report(99, t), phifd::UnknownNode);
  const auto r = m.qos_report(1, t);  // nothing changed
  EXPECT_FALSE(r.qos);
  EXPECT_EQ(r.threshold, 8.0);
  EXPECT_EQ(r.suspect_threshold, 4.0);
  EXPECT_EQ(r.deadline, exp_deadline(8.0));
  phifd::Monitor moved = std::move(m);
  EXPECT_THROW(m.set_thresholds(4, 2), phifd::Error);    // NOLINT(bugprone-use-after-move): a moved-from monitor throws
  EXPECT_THROW(m.set_qos(std::nullopt), phifd::Error);   // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)m.qos_report(1, t), phifd::Error);  // NOLINT(bugprone-use-after-move)
}

TEST(Retune, ConcurrentWithHeartbeatsAndReports) {
  auto m = exp_monitor(100);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (phifd::NodeId node = 1; node <= 4; ++node) {
    threads.emplace_back([&m, &failed, node] {
      try {
        for (std::uint64_t i = 1; i <= 2000; ++i) {
          m.heartbeat(node, 1, at(i * kSec));
          (void)m.qos_report(node, at(i * kSec));
        }
      } catch (...) {
        failed = true;
      }
    });
  }
  const Qos q = targets(10s, 1000s);
  for (int i = 0; i < 200; ++i) {
    if (i % 3 == 0) m.set_qos(q);
    if (i % 3 == 1) m.set_thresholds(6.0, 3.0);
    if (i % 3 == 2) m.set_qos(std::nullopt);
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed.load());
  // The last change was set_thresholds(6, 3) (i = 199): every node follows it.
  for (phifd::NodeId node = 1; node <= 4; ++node) {
    const auto r = m.qos_report(node, at(2000 * kSec));
    EXPECT_FALSE(r.qos);
    EXPECT_EQ(r.threshold, 6.0);
    EXPECT_EQ(r.suspect_threshold, 3.0);
  }
}

}  // namespace
