#include <phifd.hpp>
#include <iostream>

using namespace std::chrono_literals;

int main() {
    phifd::Config cfg;
    cfg.set_heartbeat_interval(100ms); // peers beat every 100 ms
    phifd::Monitor monitor(cfg);       // throws phifd::Error on bad settings

    const auto start = phifd::Clock::now(), last = start + 900ms;
    for (auto t = start; t <= last; t += 100ms) // node 7 (generation 1) beats
        monitor.heartbeat(7, 1, t);
    std::cout << "phi after 150 ms of silence: " << monitor.phi(7, last + 150ms) << "\n";

    for (const phifd::Event& e : monitor.poll(last + 2s)) // transitions, oldest first
        std::cout << "node " << e.node << ": " << phifd::to_string(e.from) << " -> " << phifd::to_string(e.to)
                  << " at +" << (e.time - start) / 1ms << " ms\n";

    try {
        monitor.heartbeat(7, 0, last + 2s); // an older incarnation
    } catch (const phifd::StaleGeneration& e) {
        std::cout << e.what() << "\n";
    }
}
