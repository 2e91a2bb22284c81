// One Monitor shared by several std::threads: heartbeats, reads and polls at once.
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using phifd::Clock;

TEST(Threads, SharedMonitor) {
  phifd::Monitor m;
  constexpr int writers = 4;
  constexpr phifd::NodeId per_writer = 500;
  constexpr int beats = 4;
  const Clock::time_point t0 = Clock::from_ns(1'000'000'000ULL);
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<phifd::Event> polled;  // only the polling thread touches it until join

  std::thread poller([&] {
    while (!done.load()) {
      for (const phifd::Event& e : m.poll(t0)) {
        polled.push_back(e);
      }
      std::this_thread::yield();
    }
  });
  std::thread reader([&] {
    while (!done.load()) {
      for (phifd::NodeId id = 0; id < writers * per_writer; id += 97) {
        const std::optional<double> phi = m.try_phi(id, t0 + 10s);
        if (phi && !(*phi >= 0.0)) {
          errors.fetch_add(1);
        }
      }
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      const phifd::NodeId first = static_cast<phifd::NodeId>(w) * per_writer;
      for (int b = 0; b < beats; ++b) {
        for (phifd::NodeId id = first; id < first + per_writer; ++id) {
          try {
            m.heartbeat(id, 1, t0 + b * 1s);
          } catch (const phifd::Error&) {
            errors.fetch_add(1);
          }
        }
      }
      // A stale heartbeat on another thread gets its own message (per-thread error state).
      try {
        m.heartbeat(first, 0, t0);
        errors.fetch_add(1);
      } catch (const phifd::StaleGeneration& e) {
        if (e.message().empty()) {
          errors.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  done.store(true);
  poller.join();
  reader.join();
  for (const phifd::Event& e : m.poll(t0)) {
    polled.push_back(e);
  }

  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(m.node_count(), writers * per_writer);
  EXPECT_EQ(m.stats().stale_heartbeats, static_cast<std::uint64_t>(writers));
  // Every node became ALIVE exactly once, and no event was lost or duplicated.
  ASSERT_EQ(polled.size(), writers * per_writer);
  std::set<phifd::NodeId> seen;
  for (const phifd::Event& e : polled) {
    EXPECT_EQ(e.to, phifd::State::Alive);
    seen.insert(e.node);
  }
  EXPECT_EQ(seen.size(), writers * per_writer);
  for (phifd::NodeId id = 0; id < writers * per_writer; ++id) {
    EXPECT_EQ(m.info(id, t0 + 3s).samples, 2u + beats - 1) << id;  // seed + 3 intervals
  }
}

}  // namespace
