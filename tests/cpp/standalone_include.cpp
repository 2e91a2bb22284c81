// The only include: phifd.hpp must bring everything it needs.
#include "phifd.hpp"

int main() {
  phifd::Monitor monitor;
  monitor.heartbeat(1, 1, phifd::Clock::from_ns(1000));
  const std::vector<phifd::Event> events = monitor.poll(phifd::Clock::from_ns(2000));
  const bool ok = monitor.node_count() == 1 && events.size() == 1 && events[0].to == phifd::State::Alive;
  return ok ? 0 : 1;
}
