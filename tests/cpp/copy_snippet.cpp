// Compiled by compile_fail.cmake: without a macro it must compile (moves are allowed);
// with any PHIFD_TRY_* macro it must not (the types are move-only).
#include "phifd.hpp"

#include <utility>

int main() {
  phifd::Config cfg;
  phifd::Monitor a(cfg);
  phifd::Monitor b(std::move(a));
  a = std::move(b);
  phifd::Config moved(std::move(cfg));
  phifd::GenerationClock g = phifd::GenerationClock::in_memory(1);
  phifd::GenerationClock h(std::move(g));
  g = std::move(h);
#if defined(PHIFD_TRY_COPY_MONITOR)
  phifd::Monitor c(a);
#elif defined(PHIFD_TRY_ASSIGN_MONITOR)
  b = a;
#elif defined(PHIFD_TRY_COPY_CONFIG)
  phifd::Config c(moved);
#elif defined(PHIFD_TRY_ASSIGN_CONFIG)
  cfg = moved;
#elif defined(PHIFD_TRY_COPY_CLOCK)
  phifd::GenerationClock c(g);
#elif defined(PHIFD_TRY_ASSIGN_CLOCK)
  h = g;
#endif
  return 0;
}
