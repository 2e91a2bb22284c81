// One generation bound everywhere, bounded state (max_nodes, fixed membership) and the rejection
// counters, through the C++ wrapper. Expected values are worked out here, not read from the library.
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

using phifd::Clock;
using phifd::Config;
using phifd::Datagram;
using phifd::Membership;
using phifd::Monitor;
using phifd::Status;

constexpr std::uint64_t kBound = 281474976710656ULL;  // 2^48, written out
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

Clock::time_point at_s(std::uint64_t s) { return Clock::from_ns(s * 1000000000ULL); }

std::uint64_t rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream in(line.substr(6));
      std::uint64_t kb = 0;
      in >> kb;
      return kb;
    }
  }
  return 0;
}

TEST(Limits, Codes) {
  EXPECT_EQ(PHIFD_MAX_GENERATION, kBound);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::Capacity), 12u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::Auth), 13u);
  EXPECT_EQ(static_cast<std::uint32_t>(Status::UnknownKey), 14u);
  EXPECT_STREQ(phifd::status_name(Status::Capacity), "PHIFD_ERR_CAPACITY");
}

TEST(Limits, ForgedGenerationRefusedThenRealRestartAccepted) {
  Monitor m;
  m.heartbeat(7, 3, at_s(1));
  try {
    m.heartbeat(7, kMax, at_s(2));
    FAIL() << "the forged generation was accepted";
  } catch (const phifd::InvalidArgument& e) {
    EXPECT_NE(std::string(e.message()).find("281474976710656"), std::string::npos) << e.what();
  }
  EXPECT_THROW(m.heartbeat_version(7, kBound + 1, 1, at_s(2)), phifd::InvalidArgument);
  EXPECT_THROW(m.add_node(8, kMax, at_s(2)), phifd::InvalidArgument);
  EXPECT_EQ(m.info(7, at_s(2)).generation, 3u);
  m.heartbeat(7, 4, at_s(3));  // the real restart
  EXPECT_EQ(m.info(7, at_s(3)).generation, 4u);
  const auto s = m.stats();
  EXPECT_EQ(s.rejected_bad_generation, 3u);
  EXPECT_EQ(s.stale_heartbeats, 0u);
  EXPECT_EQ(s.nodes, 1u);
}

TEST(Limits, DatagramBounds) {
  Datagram d;
  d.node = 1;
  d.generation = kMax;
  EXPECT_THROW(d.encode(), phifd::InvalidArgument);
  d.generation = kBound;
  d.term = kBound + 1;
  EXPECT_THROW(d.encode(), phifd::InvalidArgument);
  d.term = kBound;
  auto b = d.encode();
  b[22] = 2;  // generation 2^49, resealed with FNV-1a 64 computed here
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < 48; ++i) h = (h ^ b[i]) * 0x100000001b3ULL;
  for (int i = 0; i < 8; ++i) b[48 + i] = static_cast<std::uint8_t>(h >> (8 * i));
  EXPECT_THROW(Datagram::decode(b), phifd::MalformedError);
}

TEST(Limits, FloodOfAMillionIdsStaysAtTheBound) {
  constexpr std::uint64_t limit = 10000, flood = 1000000, chunk = 10000;
  Config cfg;
  EXPECT_THROW(cfg.set_max_nodes(0), phifd::InvalidArgument);
  cfg.set_max_nodes(limit);
  Monitor m(cfg);
  std::vector<phifd::Heartbeat> batch(chunk);
  auto fill = [&](std::uint64_t from, std::uint64_t s) {
    for (std::uint64_t i = 0; i < chunk; ++i) {
      batch[i] = phifd::Heartbeat{(from + i) * 0x9E3779B97F4A7C15ULL, 1, at_s(s)};  // distinct ids
    }
  };
  const std::uint64_t before = rss_kb();
  fill(0, 1);
  for (Status s : m.heartbeat_batch(batch)) ASSERT_EQ(s, Status::Ok);
  const std::uint64_t at_bound = rss_kb();
  std::uint64_t refused = 0;
  for (std::uint64_t from = limit; from < flood; from += chunk) {
    fill(from, 2);
    for (Status s : m.heartbeat_batch(batch)) refused += s == Status::Capacity ? 1 : 0;
  }
  const std::uint64_t after = rss_kb();
  std::printf("flood: RSS %llu kB, %llu kB at %llu nodes, %llu kB after %llu refused ids\n",
              static_cast<unsigned long long>(before), static_cast<unsigned long long>(at_bound),
              static_cast<unsigned long long>(limit), static_cast<unsigned long long>(after),
              static_cast<unsigned long long>(refused));
  EXPECT_EQ(refused, flood - limit);
  const auto st = m.stats();
  EXPECT_EQ(st.nodes, limit);
  EXPECT_EQ(st.rejected_over_capacity, flood - limit);
  if (!kSanitized) {                    // AddressSanitizer's quarantine holds freed temporaries: RSS says nothing there
    EXPECT_GT(at_bound, before);        // the measurement sees the admitted nodes
    EXPECT_LE(after, at_bound + 2048);  // 990,000 refused ids cost nothing (2 MiB slack)
  }
  EXPECT_THROW(m.add_node(12345, 0, at_s(3)), phifd::CapacityError);
}

TEST(Limits, FixedMembership) {
  Config cfg;
  EXPECT_THROW(cfg.set_membership(static_cast<Membership>(2)), phifd::InvalidArgument);
  cfg.set_membership(Membership::Fixed);
  Monitor m(cfg);
  m.add_node(1, 0, at_s(0));
  m.heartbeat(1, 0, at_s(1));
  EXPECT_THROW(m.heartbeat(2, 0, at_s(1)), phifd::UnknownNode);
  EXPECT_THROW(m.heartbeat_version(3, 0, 1, at_s(1)), phifd::UnknownNode);
  const auto st = m.stats();
  EXPECT_EQ(st.nodes, 1u);
  EXPECT_EQ(st.rejected_unknown_node, 2u);
  EXPECT_EQ(st.rejected_over_capacity, 0u);
  EXPECT_NE(m.prometheus(at_s(2)).find("\nphifd_monitor_rejected_unknown_node_total 2\n"), std::string::npos);
}

}  // namespace
