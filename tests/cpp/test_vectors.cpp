// Replays every tests/vectors/*.json scenario through the C++ API (format: the top of
// tests/vectors.rs), checks the independently derived expected values, and compares the bits
// of every phi with tests/vectors/phi_bits.txt.
#include "phifd.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using phifd::Clock;

const fs::path kDir = PHIFD_VECTORS_DIR;

// The status names of the vector format, mapped by hand to the C++ enum.
phifd::Status status_from_name(const std::string& name) {
  static const std::map<std::string, phifd::Status> names = {
      {"PHIFD_OK", phifd::Status::Ok},
      {"PHIFD_ERR_NULL_ARG", phifd::Status::NullArg},
      {"PHIFD_ERR_INVALID_ARG", phifd::Status::InvalidArg},
      {"PHIFD_ERR_UNKNOWN_NODE", phifd::Status::UnknownNode},
      {"PHIFD_ERR_STALE_GENERATION", phifd::Status::StaleGeneration},
      {"PHIFD_ERR_INVALID_HANDLE", phifd::Status::InvalidHandle},
      {"PHIFD_ERR_INTERNAL", phifd::Status::Internal},
      {"PHIFD_ERR_BUFFER_TOO_SMALL", phifd::Status::BufferTooSmall},
  };
  const auto it = names.find(name);
  if (it == names.end()) {
    throw std::runtime_error("unknown status name " + name);
  }
  return it->second;
}

phifd::State state_from_name(const std::string& name) {
  if (name == "UNKNOWN") return phifd::State::Unknown;
  if (name == "ALIVE") return phifd::State::Alive;
  if (name == "SUSPECT") return phifd::State::Suspect;
  if (name == "FAILED") return phifd::State::Failed;
  throw std::runtime_error("unknown state name " + name);
}

phifd::EventKind kind_from_name(const std::string& name) {
  if (name == "STATE_CHANGED") return phifd::EventKind::StateChanged;
  if (name == "RESTARTED") return phifd::EventKind::Restarted;
  throw std::runtime_error("unknown event kind " + name);
}

// The comparison rule of the vector format: absolute tolerance, or a relative one when the
// tolerance is small (below 1e-3) and the expected value is not zero.
bool close(double got, double want, double tol) {
  return std::fabs(got - want) <= tol ||
         (want != 0.0 && tol > 0.0 && tol < 1e-3 && std::fabs((got - want) / want) <= tol);
}

// Runs `f` and gives the status it ended with.
template <class F>
phifd::Status status_of(F&& f) {
  try {
    f();
    return phifd::Status::Ok;
  } catch (const phifd::Error& e) {
    return e.status();
  }
}

phifd::Config make_config(const json& c) {
  phifd::Config cfg;
  if (!c.is_object()) {
    return cfg;
  }
  for (const auto& [key, v] : c.items()) {
    const auto ns = [&v] { return std::chrono::nanoseconds(v.get<std::int64_t>()); };
    if (key == "estimator") {
      const std::string e = v.get<std::string>();
      if (e == "akka")
        cfg.set_estimator(phifd::Estimator::Akka);
      else if (e == "normal")
        cfg.set_estimator(phifd::Estimator::Normal);
      else if (e == "exponential")
        cfg.set_estimator(phifd::Estimator::Exponential);
      else
        throw std::runtime_error("unknown estimator " + e);
    } else if (key == "threshold") {
      cfg.set_threshold(v.get<double>());
    } else if (key == "suspect_threshold") {
      cfg.set_suspect_threshold(v.get<double>());
    } else if (key == "window") {
      cfg.set_window(v.get<std::uint64_t>());
    } else if (key == "heartbeat_interval_ns") {
      cfg.set_heartbeat_interval(ns());
    } else if (key == "min_std_deviation_ns") {
      cfg.set_min_std_deviation(ns());
    } else if (key == "acceptable_pause_ns") {
      cfg.set_acceptable_pause(ns());
    } else if (key == "max_interval_ns") {
      cfg.set_max_interval(ns());
    } else if (key == "round_trip_ns") {
      cfg.set_round_trip(ns());
    } else if (key == "first_heartbeat_timeout_ns") {
      cfg.set_first_heartbeat_timeout(ns());
    } else if (key == "recovery_heartbeats") {
      cfg.set_recovery_heartbeats(v.get<std::uint32_t>());
    } else {
      throw std::runtime_error("unknown config key " + key);
    }
  }
  return cfg;
}

std::vector<fs::path> vector_files() {
  std::vector<fs::path> paths;
  for (const fs::directory_entry& e : fs::directory_iterator(kDir)) {
    if (e.path().extension() == ".json") {
      paths.push_back(e.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string hex_bits(double d) {
  std::uint64_t b = 0;
  std::memcpy(&b, &d, sizeof b);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(b));
  return buf;
}

// Replays one file; appends "<name> <step> <bits>" for every successful phi step to `bits`.
void replay(const fs::path& path, std::vector<std::string>& bits) {
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const json v = json::parse(in);
  const std::string name = v.value("name", std::string("?"));
  phifd::Monitor m(make_config(v.contains("config") ? v["config"] : json()));
  const json& steps = v.at("steps");
  ASSERT_FALSE(steps.empty()) << name;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const json& step = steps[i];
    const std::string ctx = name + " step " + std::to_string(i) + " " + step.dump();
    const phifd::NodeId node = step.value("node", std::uint64_t{0});
    const Clock::time_point t = Clock::from_ns(step.value("time_ns", std::uint64_t{0}));
    const phifd::Status want = status_from_name(step.value("expect_status", std::string("PHIFD_OK")));
    const std::string op = step.at("op").get<std::string>();
    if (op == "heartbeat") {
      EXPECT_EQ(status_of([&] { m.heartbeat(node, step.at("generation").get<std::uint64_t>(), t); }), want) << ctx;
    } else if (op == "add_node") {
      EXPECT_EQ(status_of([&] { m.add_node(node, step.at("generation").get<std::uint64_t>(), t); }), want) << ctx;
    } else if (op == "remove") {
      EXPECT_EQ(status_of([&] { m.remove(node); }), want) << ctx;
    } else if (op == "phi") {
      double phi = 0.0;
      const phifd::Status got = status_of([&] { phi = m.phi(node, t); });
      EXPECT_EQ(got, want) << ctx;
      if (got == phifd::Status::Ok) {
        bits.push_back(name + " " + std::to_string(i) + " " + hex_bits(phi));
        if (step.contains("expect_phi")) {
          const double expect = step["expect_phi"].get<double>();
          const double tol = step.value("tolerance", 1e-9);
          EXPECT_TRUE(close(phi, expect, tol)) << ctx << ": phi " << phi << ", want " << expect << " ± " << tol;
        }
      }
    } else if (op == "time_until_phi") {
      std::chrono::nanoseconds d{0};
      const phifd::Status got = status_of([&] { d = m.time_until_phi(node, step.at("phi").get<double>()); });
      EXPECT_EQ(got, want) << ctx;
      if (got == phifd::Status::Ok && step.contains("expect_ns")) {
        const double expect = step["expect_ns"].get<double>();
        const double tol = step.value("tolerance_ns", 1.0);
        EXPECT_LE(std::fabs(static_cast<double>(d.count()) - expect), tol) << ctx << ": " << d.count() << " ns";
      }
    } else if (op == "info") {
      phifd::NodeInfo info;
      const phifd::Status got = status_of([&] { info = m.info(node, t); });
      EXPECT_EQ(got, want) << ctx;
      if (got != phifd::Status::Ok) {
        continue;
      }
      const double tol = step.value("tolerance", 1e-9);
      for (const auto& [key, w] : step.at("expect").items()) {
        if (key == "state") {
          EXPECT_EQ(info.state, state_from_name(w.get<std::string>())) << ctx;
        } else if (key == "generation") {
          EXPECT_EQ(info.generation, w.get<std::uint64_t>()) << ctx;
        } else if (key == "samples") {
          EXPECT_EQ(info.samples, w.get<std::uint64_t>()) << ctx;
        } else if (key == "mean_ns") {
          EXPECT_TRUE(close(info.mean.count(), w.get<double>(), tol)) << ctx << ": mean " << info.mean.count();
        } else if (key == "sd_ns") {
          EXPECT_TRUE(close(info.sd.count(), w.get<double>(), tol)) << ctx << ": sd " << info.sd.count();
        } else {
          ADD_FAILURE() << ctx << ": unknown info field " << key;
        }
      }
    } else if (op == "poll") {
      const std::vector<phifd::Event> got = m.poll(t);
      const json& expect = step.at("expect_events");
      ASSERT_EQ(got.size(), expect.size()) << ctx;
      for (std::size_t k = 0; k < got.size(); ++k) {
        const phifd::Event& g = got[k];
        const json& w = expect[k];
        EXPECT_EQ(g.node, w.at("node").get<std::uint64_t>()) << ctx << " event " << k;
        EXPECT_EQ(g.kind, kind_from_name(w.at("kind").get<std::string>())) << ctx << " event " << k;
        EXPECT_EQ(g.from, state_from_name(w.at("from").get<std::string>())) << ctx << " event " << k;
        EXPECT_EQ(g.to, state_from_name(w.at("to").get<std::string>())) << ctx << " event " << k;
        if (w.contains("time_ns")) {
          EXPECT_EQ(Clock::to_ns(g.time), w["time_ns"].get<std::uint64_t>()) << ctx << " event " << k;
        }
        if (w.contains("generation")) {
          EXPECT_EQ(g.generation, w["generation"].get<std::uint64_t>()) << ctx << " event " << k;
        }
        if (w.contains("phi")) {
          EXPECT_TRUE(close(g.phi, w["phi"].get<double>(), 1e-6)) << ctx << " event " << k << ": phi " << g.phi;
        }
      }
    } else {
      ADD_FAILURE() << ctx << ": unknown op " << op;
    }
  }
}

TEST(Vectors, EveryScenarioAndTheExactPhiBits) {
  const std::vector<fs::path> paths = vector_files();
  ASSERT_GE(paths.size(), 6u) << "scenario vectors missing in " << kDir;
  std::vector<std::string> bits;
  for (const fs::path& p : paths) {
    SCOPED_TRACE(p.filename().string());
    replay(p, bits);
  }
  std::ifstream golden(kDir / "phi_bits.txt");
  ASSERT_TRUE(golden) << "tests/vectors/phi_bits.txt missing";
  std::vector<std::string> want;
  for (std::string line; std::getline(golden, line);) {
    if (!line.empty()) {
      want.push_back(line);
    }
  }
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(bits, want);
}

}  // namespace
