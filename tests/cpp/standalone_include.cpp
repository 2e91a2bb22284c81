// The only include: phifd.hpp must bring everything it needs.
#include "phifd.hpp"

int main() {
  phifd::Monitor monitor;
  monitor.heartbeat(1, 1, phifd::Clock::from_ns(1000));
  const std::vector<phifd::Event> events = monitor.poll(phifd::Clock::from_ns(2000));
  phifd::GenerationClock clock = phifd::GenerationClock::in_memory(4);
  const bool stepped_down = clock.observe(clock.advance() + 1);
  const std::vector<std::uint8_t> garbage(32, 0);
  bool corrupt = false;
  try {
    phifd::parse_generation_file(garbage);
  } catch (const phifd::CorruptError&) {
    corrupt = true;
  }
  const bool ok = monitor.node_count() == 1 && events.size() == 1 && events[0].to == phifd::State::Alive &&
                  stepped_down && clock.current() == 6 && corrupt;
  return ok ? 0 : 1;
}
