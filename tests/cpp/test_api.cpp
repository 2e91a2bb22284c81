// Errors (status + message), ownership and moves, version, enums.
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace {

using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<phifd::Monitor>, "Monitor must not be copyable");
static_assert(!std::is_copy_assignable_v<phifd::Monitor>, "Monitor must not be copy-assignable");
static_assert(std::is_nothrow_move_constructible_v<phifd::Monitor>, "Monitor moves must not throw");
static_assert(std::is_nothrow_move_assignable_v<phifd::Monitor>, "Monitor moves must not throw");
static_assert(!std::is_copy_constructible_v<phifd::Config>, "Config must not be copyable");
static_assert(std::is_nothrow_move_constructible_v<phifd::Config>, "Config moves must not throw");
static_assert(std::is_base_of_v<std::runtime_error, phifd::Error>, "Error is a std::runtime_error");
static_assert(std::is_base_of_v<phifd::Error, phifd::UnknownNode>, "UnknownNode is an Error");
static_assert(std::is_base_of_v<phifd::Error, phifd::StaleGeneration>, "StaleGeneration is an Error");
static_assert(std::is_base_of_v<phifd::Error, phifd::InvalidArgument>, "InvalidArgument is an Error");
// The codes of phifd.h, written out: they are append-only and must never change.
static_assert(static_cast<unsigned>(phifd::Status::InvalidArg) == 2 &&
                  static_cast<unsigned>(phifd::Status::UnknownNode) == 3 &&
                  static_cast<unsigned>(phifd::Status::StaleGeneration) == 4,
              "status codes are frozen");
static_assert(static_cast<unsigned>(phifd::State::Failed) == 3 &&
                  static_cast<unsigned>(phifd::EventKind::Restarted) == 1,
              "state and event codes are frozen");

phifd::Clock::time_point at_ns(std::uint64_t ns) { return phifd::Clock::from_ns(ns); }

TEST(Version, MatchesHeader) {
  EXPECT_STREQ(phifd::version(), PHIFD_VERSION_STRING);
  EXPECT_STREQ(PHIFD_VERSION_STRING, "0.1.0");  // Cargo.toml's version
}

TEST(Errors, InvalidThresholdCarriesStatusAndMessage) {
  phifd::Config cfg;
  try {
    cfg.set_threshold(std::numeric_limits<double>::quiet_NaN());
    FAIL() << "a NaN threshold was accepted";
  } catch (const phifd::InvalidArgument& e) {
    EXPECT_EQ(e.status(), phifd::Status::InvalidArg);
    EXPECT_NE(e.message().find("threshold"), std::string::npos) << e.message();
    EXPECT_EQ(std::string(e.what()).rfind("PHIFD_ERR_INVALID_ARG: ", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find(e.message()), std::string::npos);
  }
  EXPECT_THROW(cfg.set_threshold(-1.0), phifd::InvalidArgument);
  EXPECT_THROW(cfg.set_window(0), phifd::InvalidArgument);
  EXPECT_THROW(cfg.set_recovery_heartbeats(0), phifd::InvalidArgument);
  EXPECT_THROW(cfg.set_heartbeat_interval(0ns), phifd::InvalidArgument);
  EXPECT_THROW(cfg.set_estimator(static_cast<phifd::Estimator>(99)), phifd::InvalidArgument);
}

TEST(Errors, NegativeDurationIsRejectedBeforeTheLibrary) {
  phifd::Config cfg;
  try {
    cfg.set_acceptable_pause(-1ms);
    FAIL() << "a negative pause was accepted";
  } catch (const phifd::Error& e) {
    EXPECT_EQ(e.status(), phifd::Status::InvalidArg);
  }
  phifd::Monitor m;
  EXPECT_THROW(m.heartbeat(1, 1, phifd::Clock::time_point(-1ns)), phifd::InvalidArgument);
  EXPECT_EQ(m.node_count(), 0u);
}

TEST(Errors, InconsistentConfigFailsAtMonitorConstruction) {
  phifd::Config cfg;
  cfg.set_threshold(4.0).set_suspect_threshold(5.0);  // each valid alone, not together
  try {
    phifd::Monitor m(cfg);
    FAIL() << "suspect threshold above the threshold was accepted";
  } catch (const phifd::InvalidArgument& e) {
    EXPECT_EQ(e.status(), phifd::Status::InvalidArg);
    EXPECT_NE(e.message().find("suspect"), std::string::npos) << e.message();
  }
}

TEST(Errors, UnknownNode) {
  phifd::Monitor m;
  try {
    (void)m.phi(42, at_ns(1000));
    FAIL() << "phi of an unknown node";
  } catch (const phifd::UnknownNode& e) {
    EXPECT_EQ(e.status(), phifd::Status::UnknownNode);
    EXPECT_FALSE(e.message().empty());
    EXPECT_STREQ(phifd::status_name(e.status()), "PHIFD_ERR_UNKNOWN_NODE");
  }
  EXPECT_THROW(m.remove(42), phifd::UnknownNode);
  EXPECT_THROW((void)m.info(42, at_ns(1000)), phifd::UnknownNode);
  EXPECT_THROW((void)m.time_until_phi(42, 8.0), phifd::UnknownNode);
  EXPECT_FALSE(m.try_phi(42, at_ns(1000)).has_value());
}

TEST(Errors, StaleGenerationChangesNothing) {
  phifd::Monitor m;
  m.heartbeat(7, 5, at_ns(1'000'000'000));
  try {
    m.heartbeat(7, 4, at_ns(2'000'000'000));
    FAIL() << "a stale generation was accepted";
  } catch (const phifd::StaleGeneration& e) {
    EXPECT_EQ(e.status(), phifd::Status::StaleGeneration);
    EXPECT_NE(e.message().find('4'), std::string::npos) << e.message();
  }
  const phifd::NodeInfo info = m.info(7, at_ns(2'000'000'000));
  EXPECT_EQ(info.generation, 5u);
  ASSERT_TRUE(info.last_arrival.has_value());
  EXPECT_EQ(*info.last_arrival, at_ns(1'000'000'000));  // the stale heartbeat was not recorded
  EXPECT_EQ(m.stats().stale_heartbeats, 1u);
}

TEST(Errors, CatchableAsBaseClasses) {
  phifd::Monitor m;
  EXPECT_THROW(m.remove(1), phifd::Error);
  EXPECT_THROW(m.remove(1), std::runtime_error);
}

TEST(Ownership, MovedFromObjectsThrowInsteadOfCrashing) {
  phifd::Config cfg;
  phifd::Config other(std::move(cfg));
  EXPECT_EQ(cfg.native_handle(), nullptr);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  try {
    phifd::Monitor m(cfg);  // NOLINT(bugprone-use-after-move)
    FAIL() << "a moved-from Config must not silently mean the defaults";
  } catch (const phifd::Error& e) {
    EXPECT_EQ(e.status(), phifd::Status::NullArg);
  }
  EXPECT_THROW(cfg.set_threshold(3.0), phifd::Error);  // NOLINT(bugprone-use-after-move)

  phifd::Monitor a(other);
  a.heartbeat(1, 1, at_ns(10));
  phifd::Monitor b(std::move(a));
  EXPECT_EQ(b.node_count(), 1u);
  try {
    a.heartbeat(1, 1, at_ns(20));  // NOLINT(bugprone-use-after-move)
    FAIL() << "a moved-from Monitor accepted a heartbeat";
  } catch (const phifd::Error& e) {
    EXPECT_EQ(e.status(), phifd::Status::NullArg);
  }
  a = std::move(b);
  EXPECT_EQ(a.node_count(), 1u);
  EXPECT_THROW((void)b.node_count(), phifd::Error);  // NOLINT(bugprone-use-after-move)
}

TEST(Ownership, ConfigIsCopiedIntoTheMonitor) {
  // Exponential model with a 1 s mean: phi = t / (1 s * ln 10), so 1 s of silence gives 1/ln 10.
  phifd::Monitor m = [] {
    phifd::Config cfg;
    cfg.set_estimator(phifd::Estimator::Exponential).set_heartbeat_interval(1s);
    return phifd::Monitor(cfg);
  }();  // the Config is gone here
  m.heartbeat(1, 1, at_ns(0));
  EXPECT_NEAR(m.phi(1, at_ns(1'000'000'000)), 1.0 / std::log(10.0), 1e-12);
}

TEST(Enums, Names) {
  EXPECT_STREQ(phifd::to_string(phifd::State::Unknown), "UNKNOWN");
  EXPECT_STREQ(phifd::to_string(phifd::State::Alive), "ALIVE");
  EXPECT_STREQ(phifd::to_string(phifd::State::Suspect), "SUSPECT");
  EXPECT_STREQ(phifd::to_string(phifd::State::Failed), "FAILED");
  EXPECT_STREQ(phifd::to_string(phifd::EventKind::StateChanged), "STATE_CHANGED");
  EXPECT_STREQ(phifd::to_string(phifd::EventKind::Restarted), "RESTARTED");
  EXPECT_STREQ(phifd::status_name(phifd::Status::StaleGeneration), "PHIFD_ERR_STALE_GENERATION");
  // A value outside the enums (e.g. from a newer library) has the library's fixed name.
  EXPECT_STREQ(phifd::to_string(static_cast<phifd::State>(9)), "INVALID");
  EXPECT_STREQ(phifd::to_string(static_cast<phifd::EventKind>(7)), "INVALID");
}

TEST(ConfigGetters, Defaults) {
  const phifd::Config cfg;
  EXPECT_EQ(cfg.estimator(), phifd::Estimator::Akka);
  EXPECT_EQ(cfg.threshold(), 8.0);
  EXPECT_EQ(cfg.suspect_threshold(), 4.0);
  EXPECT_EQ(cfg.window(), 1000u);
  EXPECT_EQ(cfg.heartbeat_interval(), 1s);
  EXPECT_EQ(cfg.min_std_deviation(), 250ms);
  EXPECT_EQ(cfg.acceptable_pause(), 0ns);
  EXPECT_EQ(cfg.max_interval(), std::nullopt);
  EXPECT_EQ(cfg.round_trip(), std::nullopt);
  EXPECT_EQ(cfg.recovery_heartbeats(), 2u);
  EXPECT_EQ(cfg.burst_fraction(), 0.25);
  EXPECT_EQ(cfg.max_local_health(), 7u);
  EXPECT_EQ(cfg.max_nodes(), 65536u);
  EXPECT_EQ(cfg.membership(), phifd::Membership::Open);
  EXPECT_EQ(cfg.confirmations_expected(), 3u);
  EXPECT_EQ(cfg.confirmation_min_ratio(), 0.5);
  // The steady timeout of the defaults, by hand: Akka's tail reaches phi 8 at y = 5.2259866, so
  // 1 s + 5.2259866 x 0.25 s = 2,306,496,661 ns.
  EXPECT_NEAR(static_cast<double>(cfg.first_heartbeat_timeout().count()), 2306496661.0, 1e3);
  EXPECT_NEAR(static_cast<double>(cfg.local_pause_threshold().count()), 2306496661.0 / 2, 1e3);
  EXPECT_NEAR(static_cast<double>(cfg.local_pause_grace().count()), 2306496661.0 * 2, 1e3);
}

TEST(ConfigGetters, ReturnWhatWasSetAndFollowDerivedDefaults) {
  phifd::Config cfg;
  cfg.set_threshold(10.0).set_heartbeat_interval(100ms).set_estimator(phifd::Estimator::Exponential);
  EXPECT_EQ(cfg.suspect_threshold(), 5.0);
  EXPECT_EQ(cfg.min_std_deviation(), 25ms);
  EXPECT_EQ(cfg.max_interval(), std::optional<std::chrono::nanoseconds>(200ms));
  cfg.set_suspect_threshold(3.0)
      .set_window(64)
      .set_max_interval(350ms)
      .set_round_trip(3ms)
      .set_acceptable_pause(40ms)
      .set_first_heartbeat_timeout(9s)
      .set_recovery_heartbeats(5)
      .set_local_pause_threshold(700ms)
      .set_local_pause_grace(0ns)
      .set_burst_fraction(0.1)
      .set_max_local_health(0)
      .set_max_nodes(12)
      .set_membership(phifd::Membership::Fixed)
      .set_confirmations_expected(4)
      .set_confirmation_min_ratio(0.75);
  EXPECT_EQ(cfg.estimator(), phifd::Estimator::Exponential);
  EXPECT_EQ(cfg.threshold(), 10.0);
  EXPECT_EQ(cfg.suspect_threshold(), 3.0);
  EXPECT_EQ(cfg.window(), 64u);
  EXPECT_EQ(cfg.heartbeat_interval(), 100ms);
  EXPECT_EQ(cfg.max_interval(), std::optional<std::chrono::nanoseconds>(350ms));
  EXPECT_EQ(cfg.round_trip(), std::optional<std::chrono::nanoseconds>(3ms));
  EXPECT_EQ(cfg.acceptable_pause(), 40ms);
  EXPECT_EQ(cfg.first_heartbeat_timeout(), 9s);
  EXPECT_EQ(cfg.recovery_heartbeats(), 5u);
  EXPECT_EQ(cfg.local_pause_threshold(), 700ms);
  EXPECT_EQ(cfg.local_pause_grace(), 0ns);
  EXPECT_EQ(cfg.burst_fraction(), 0.1);
  EXPECT_EQ(cfg.max_local_health(), 0u);
  EXPECT_EQ(cfg.max_nodes(), 12u);
  EXPECT_EQ(cfg.membership(), phifd::Membership::Fixed);
  EXPECT_EQ(cfg.confirmations_expected(), 4u);
  EXPECT_EQ(cfg.confirmation_min_ratio(), 0.75);
  // A refused value leaves the stored one.
  EXPECT_THROW(cfg.set_window(0), phifd::InvalidArgument);
  EXPECT_EQ(cfg.window(), 64u);
}

TEST(ConfigGetters, UnderivableDefaultAndMovedFromConfigThrow) {
  phifd::Config cfg;
  cfg.set_suspect_threshold(9.0);  // above the threshold 8: the settings do not combine
  try {
    (void)cfg.local_pause_threshold();
    ADD_FAILURE() << "no exception";
  } catch (const phifd::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("local_pause_threshold_ns"), std::string::npos) << e.what();
  }
  phifd::Config other(std::move(cfg));
  EXPECT_EQ(other.suspect_threshold(), 9.0);
  try {
    (void)cfg.threshold();  // NOLINT(bugprone-use-after-move): moved-from on purpose
    ADD_FAILURE() << "no exception";
  } catch (const phifd::Error& e) {
    EXPECT_EQ(e.status(), phifd::Status::NullArg);
  }
}

}  // namespace
