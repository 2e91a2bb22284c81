// The heartbeat datagram (round trips, the byte layout built here by hand from the format in
// src/wire.rs with an independent FNV-1a 64, every defect, random bytes), Monitor::snapshot and
// Monitor::prometheus, with values derived by hand from the exponential model.
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using Bytes = std::vector<std::uint8_t>;
using phifd::Clock;
using phifd::Datagram;
using phifd::DatagramKind;

static_assert(std::is_base_of_v<phifd::Error, phifd::MalformedError>, "MalformedError is an Error");
static_assert(static_cast<unsigned>(phifd::Status::Malformed) == 11, "status codes are frozen");
static_assert(phifd::datagram_size == 56, "the wire form is 56 bytes");
static_assert(static_cast<unsigned>(DatagramKind::Heartbeat) == 0 &&
                  static_cast<unsigned>(DatagramKind::StaleReply) == 1,
              "kinds are frozen");
static_assert(phifd::datagram_flag_leader == 1, "flag bit 0");
static_assert(std::is_same_v<decltype(Datagram{}.encode()), std::array<std::uint8_t, 56>>, "encode gives 56 bytes");

Clock::time_point at_ms(std::uint64_t ms) { return Clock::from_ns(ms * 1000000ULL); }

// FNV-1a 64 as published (offset basis 14695981039346656037, prime 1099511628211).
std::uint64_t fnv1a64(const std::uint8_t* p, std::size_t n) {
  std::uint64_t h = 14695981039346656037ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

void put_le(Bytes& b, std::size_t at, std::uint64_t v, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

// The layout of src/wire.rs: "PHHB", u8 format version, u8 kind, u16 flags, u64 node, generation,
// term, version, send_ns, then u64 FNV-1a 64 of bytes 0..48; all little-endian.
Bytes by_hand(std::uint8_t kind, std::uint16_t flags, std::uint64_t node, std::uint64_t generation, std::uint64_t term,
              std::uint64_t version, std::uint64_t send_ns, std::uint8_t format = 1) {
  Bytes b(56, 0);
  b[0] = 'P';
  b[1] = 'H';
  b[2] = 'H';
  b[3] = 'B';
  b[4] = format;
  b[5] = kind;
  put_le(b, 6, flags, 2);
  put_le(b, 8, node, 8);
  put_le(b, 16, generation, 8);
  put_le(b, 24, term, 8);
  put_le(b, 32, version, 8);
  put_le(b, 40, send_ns, 8);
  put_le(b, 48, fnv1a64(b.data(), 48), 8);
  return b;
}

// Recomputes the checksum after a field was changed by hand.
void reseal(Bytes& b) { put_le(b, 48, fnv1a64(b.data(), 48), 8); }

// The MalformedError message for `bytes` (fails the test if decoding does not throw it).
std::string defect(const Bytes& bytes) {
  try {
    Datagram::decode(bytes);
  } catch (const phifd::MalformedError& e) {
    EXPECT_EQ(e.status(), phifd::Status::Malformed);
    return e.message();
  }
  ADD_FAILURE() << "decoding did not throw MalformedError";
  return "";
}

TEST(Datagram, RoundTripKeepsEveryField) {
  const Datagram hb{DatagramKind::Heartbeat, phifd::datagram_flag_leader, 7, 3, 5, 99, 123456789};
  EXPECT_EQ(Datagram::decode(hb.encode()), hb);
  EXPECT_TRUE(Datagram::decode(hb.encode()).leader());
  const Datagram stale{DatagramKind::StaleReply, 0, ~0ULL, 0, phifd::max_generation, ~0ULL, 0};
  const Datagram back = Datagram::decode(stale.encode());
  EXPECT_EQ(back, stale);
  EXPECT_EQ(back.kind, DatagramKind::StaleReply);
  EXPECT_FALSE(back.leader());
  EXPECT_NE(back, hb);
}

TEST(Datagram, LayoutMatchesBytesBuiltByHand) {
  const Datagram d{DatagramKind::Heartbeat, phifd::datagram_flag_leader, 0x0102030405060708ULL, 4, 2, 1000,
                   0xA1B2C3D4E5F60718ULL};
  const auto bytes = d.encode();
  const Bytes want = by_hand(0, 1, 0x0102030405060708ULL, 4, 2, 1000, 0xA1B2C3D4E5F60718ULL);
  EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), want);
  // Spot checks written out: little-endian node id, the magic, the checksum over 48 bytes.
  EXPECT_EQ(bytes[0], 0x50);
  EXPECT_EQ(bytes[3], 0x42);
  EXPECT_EQ(bytes[8], 0x08);
  EXPECT_EQ(bytes[15], 0x01);
  // A stale reply built by hand decodes to its fields.
  const Datagram r = Datagram::decode(by_hand(1, 0, 9, 8, 7, 6, 5));
  EXPECT_EQ(r, (Datagram{DatagramKind::StaleReply, 0, 9, 8, 7, 6, 5}));
  // The published FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: the test's own checksum is right.
  const std::uint8_t a = 'a';
  EXPECT_EQ(fnv1a64(&a, 1), 0xaf63dc4c8601ec8cULL);
}

TEST(Datagram, EncodeRejectsUndefinedKindsAndFlags) {
  Datagram bad_kind{};
  bad_kind.kind = static_cast<DatagramKind>(2);
  EXPECT_THROW(bad_kind.encode(), phifd::InvalidArgument);
  Datagram bad_flags{};
  bad_flags.flags = 2;
  EXPECT_THROW(bad_flags.encode(), phifd::InvalidArgument);
  bad_flags.flags = 0x80000001u;
  EXPECT_THROW(bad_flags.encode(), phifd::InvalidArgument);
}

TEST(Datagram, EveryDefectIsNamed) {
  const Bytes good = by_hand(0, 0, 1, 2, 3, 4, 5);
  ASSERT_NO_THROW(Datagram::decode(good));

  EXPECT_NE(defect(Bytes(good.begin(), good.begin() + 55)).find("length"), std::string::npos);
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_NE(defect(longer).find("length"), std::string::npos);
  EXPECT_NE(defect(Bytes{}).find("length"), std::string::npos);
  EXPECT_THROW(Datagram::decode(nullptr, 0), phifd::MalformedError);

  Bytes b = good;
  b[0] = 'X';
  reseal(b);
  EXPECT_NE(defect(b).find("magic"), std::string::npos);

  EXPECT_NE(defect(by_hand(0, 0, 1, 2, 3, 4, 5, /*format=*/2)).find("version"), std::string::npos);
  EXPECT_NE(defect(by_hand(0, 0, 1, 2, 3, 4, 5, /*format=*/0)).find("version"), std::string::npos);
  EXPECT_NE(defect(by_hand(2, 0, 1, 2, 3, 4, 5)).find("kind"), std::string::npos);
  EXPECT_NE(defect(by_hand(255, 0, 1, 2, 3, 4, 5)).find("kind"), std::string::npos);
  EXPECT_NE(defect(by_hand(0, 2, 1, 2, 3, 4, 5)).find("flag"), std::string::npos);
  EXPECT_NE(defect(by_hand(0, 0x8001, 1, 2, 3, 4, 5)).find("flag"), std::string::npos);

  for (std::size_t i = 0; i < 56; ++i) {  // any single flipped bit outside the header fields
    b = good;
    b[i] ^= 0x10;
    const std::string m = defect(b);
    if (i >= 8) {
      EXPECT_NE(m.find("checksum"), std::string::npos) << "byte " << i << ": " << m;
    }
  }
  EXPECT_THROW(Datagram::decode(nullptr, 56), phifd::Error);
}

TEST(Datagram, RandomBytesNeverCrash) {
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  int decoded = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::size_t len = round % 3 == 0 ? 56 : static_cast<std::size_t>(next() % 120);
    Bytes b(len);
    for (auto& v : b) {
      v = static_cast<std::uint8_t>(next());
    }
    if (len == 56 && round % 2 == 0) {  // a valid header, random fields: about half get through
      b[0] = 'P';
      b[1] = 'H';
      b[2] = 'H';
      b[3] = 'B';
      b[4] = 1;
      b[5] = static_cast<std::uint8_t>(b[5] & 1);
      b[6] = static_cast<std::uint8_t>(b[6] & 1);
      b[7] = 0;
      b[22] = b[23] = 0;  // generation and term within 2^48, as valid ones are
      b[30] = b[31] = 0;
      if (round % 4 == 0) {
        reseal(b);
      }
    }
    const bool valid = len == 56 && round % 4 == 0;
    try {
      const Datagram d = Datagram::decode(b);
      ASSERT_TRUE(valid) << "round " << round;
      ++decoded;
      const auto again = d.encode();
      EXPECT_EQ(Bytes(again.begin(), again.end()), b);
    } catch (const phifd::MalformedError&) {
      ASSERT_FALSE(valid) << "round " << round;
    }
  }
  EXPECT_GT(decoded, 100);
}

// Exponential model: phi = silence / mean / ln 10, so with a 1 s mean it reaches 8 after
// 8 ln 10 s = 18.420680744 s of silence.
phifd::Monitor exponential_monitor() {
  phifd::Config cfg;
  cfg.set_estimator(phifd::Estimator::Exponential).set_heartbeat_interval(std::chrono::seconds(1));
  return phifd::Monitor(cfg);
}

TEST(Snapshot, EveryNodeSortedWithHandDerivedNumbers) {
  phifd::Monitor m = exponential_monitor();
  EXPECT_TRUE(m.snapshot(at_ms(0)).empty());
  for (std::uint64_t t = 0; t <= 4; ++t) {  // heartbeats every second at 0..4 s
    m.heartbeat_version(9, 2, t + 1, at_ms(t * 1000));
    m.heartbeat(3, 1, at_ms(t * 1000));
  }
  m.add_node(5, 0, at_ms(4000));
  const auto snap = m.snapshot(at_ms(6000));
  ASSERT_EQ(snap.size(), 3u);
  EXPECT_EQ(snap[0].node, 3u);
  EXPECT_EQ(snap[1].node, 5u);
  EXPECT_EQ(snap[2].node, 9u);

  const phifd::SnapshotEntry& n9 = snap[2];
  EXPECT_EQ(n9.generation, 2u);
  EXPECT_EQ(n9.version, 5u);
  EXPECT_EQ(n9.last_arrival, at_ms(4000));
  EXPECT_EQ(n9.state, phifd::State::Alive);  // phi 0.87 < suspect threshold 4
  EXPECT_NEAR(n9.phi, 2.0 / std::log(10.0), 1e-12);
  EXPECT_NEAR(n9.mean.count(), 1e9, 1e-3);
  const double until_ns = (8.0 * std::log(10.0) - 2.0) * 1e9;
  EXPECT_NEAR(static_cast<double>(n9.time_until_failure.count()), until_ns, 2.0);
  EXPECT_EQ(n9.confirmations, 0u);

  EXPECT_EQ(snap[0].generation, 1u);
  EXPECT_EQ(snap[1].state, phifd::State::Unknown);
  EXPECT_EQ(snap[1].last_arrival, Clock::from_ns(0));

  // Past the deadline: Failed, nothing left.
  const auto late = m.snapshot(at_ms(4000 + 19000));
  EXPECT_EQ(late[2].state, phifd::State::Failed);
  EXPECT_EQ(late[2].time_until_failure.count(), 0);
  EXPECT_NEAR(late[2].phi, 19.0 / std::log(10.0), 1e-12);
}

// The value of the sample `name{labels}` in Prometheus text, or NaN if absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nan("");
}

TEST(Prometheus, RendersEveryFamilyWithHandDerivedNumbers) {
  phifd::Monitor m = exponential_monitor();
  const std::string empty = m.prometheus(at_ms(0));
  EXPECT_EQ(sample(empty, "phifd_monitor_nodes"), 0.0);
  for (std::uint64_t t = 0; t <= 4; ++t) {
    m.heartbeat(1, 2, at_ms(t * 1000));
    m.heartbeat(20, 1, at_ms(t * 1000));
  }
  const std::string text = m.prometheus(at_ms(6000));
  EXPECT_EQ(text.find('\0'), std::string::npos);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NEAR(sample(text, "phifd_node_phi{node=\"1\"}"), 2.0 / std::log(10.0), 1e-12);
  EXPECT_EQ(sample(text, "phifd_node_generation{node=\"1\"}"), 2.0);
  EXPECT_NEAR(sample(text, "phifd_node_silence_seconds{node=\"20\"}"), 2.0, 1e-12);
  EXPECT_NEAR(sample(text, "phifd_node_mean_interval_seconds{node=\"20\"}"), 1.0, 1e-9);
  EXPECT_NEAR(sample(text, "phifd_node_time_until_conviction_seconds{node=\"1\"}"), 8.0 * std::log(10.0) - 2.0, 1e-8);
  EXPECT_EQ(sample(text, "phifd_node_state{node=\"1\",state=\"alive\"}"), 1.0);
  EXPECT_EQ(sample(text, "phifd_node_state{node=\"1\",state=\"failed\"}"), 0.0);
  EXPECT_EQ(sample(text, "phifd_monitor_nodes"), 2.0);
  EXPECT_EQ(sample(text, "phifd_monitor_stale_heartbeats_total"), 0.0);
  EXPECT_THROW(m.heartbeat(1, 1, at_ms(6000)), phifd::StaleGeneration);
  EXPECT_EQ(sample(m.prometheus(at_ms(6000)), "phifd_monitor_stale_heartbeats_total"), 1.0);
  EXPECT_NE(text.find("# TYPE phifd_node_phi gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE phifd_monitor_pauses_total counter\n"), std::string::npos);

  // Many nodes: the text is larger than any first guess, and still complete.
  for (std::uint64_t n = 100; n < 400; ++n) {
    m.heartbeat(n, 1, at_ms(5000));
  }
  const std::string big = m.prometheus(at_ms(6000));
  EXPECT_EQ(sample(big, "phifd_monitor_nodes"), 302.0);
  EXPECT_EQ(sample(big, "phifd_node_state{node=\"399\",state=\"alive\"}"), 1.0);
  EXPECT_GT(big.size(), 300u * 8u * 30u);
}

TEST(Prometheus, MovedFromMonitorThrows) {
  phifd::Monitor m = exponential_monitor();
  phifd::Monitor other = std::move(m);
  EXPECT_THROW(m.prometheus(at_ms(0)), phifd::Error);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(m.snapshot(at_ms(0)), phifd::Error);    // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(other.prometheus(at_ms(0)).empty(), false);
}

}  // namespace
