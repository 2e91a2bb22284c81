// node.cpp — a cluster node speaking the phifd heartbeat protocol over UDP (C++17, phifd.hpp).
// A template for a real server: one thread sends heartbeats, one receives them, the main thread
// polls the failure detector, follows the leader and prints one JSON object per line.
//
//   node --id N --port P --peers ID:PORT,... --state-dir DIR [--interval-ms 100] [--key-file PATH]
//
// With --key-file (a file whose raw bytes, 16 to 64 of them, are the cluster's shared key, key id
// 1) every datagram sent is signed (the 68-byte authenticated format) and only datagrams that
// verify under the key are accepted; without it the 56-byte unauthenticated format is used, which
// is for a trusted, isolated network only. Every datagram goes through Monitor::receive, which
// counts each rejection in the monitor's stats; the view lines carry the counters ("rejected").
// Only the peers named in --peers are monitored (fixed membership): a heartbeat from any other id
// is refused and counted.
//
// Exits 0 on SIGTERM/SIGINT or when stdin reaches end of file (the orchestrator's pipe closed).
#include "phifd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> running{true};

constexpr std::uint32_t key_id = 1;  // the id of the --key-file key in every node's keyring

// A keyring holding the raw bytes of `path` as key `key_id` (which also signs); none for an empty
// path. Throws with a message naming the file when it cannot be read or has the wrong length.
std::optional<phifd::Keyring> load_keyring(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("--key-file " + path + ": " + std::strerror(errno));
  std::vector<std::uint8_t> key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::optional<phifd::Keyring> ring(std::in_place);
  try {
    ring->add_key(key_id, key);
  } catch (const phifd::Error& e) {
    std::fill(key.begin(), key.end(), std::uint8_t{0});
    throw std::runtime_error("--key-file " + path + ": " + e.what() + " (make one with: head -c 32 /dev/urandom > " +
                             path + ")");
  }
  std::fill(key.begin(), key.end(), std::uint8_t{0});  // the keyring holds its own copy
  return ring;
}

void on_signal(int) { running = false; }

// Prints one JSON object as a line and flushes stdout; safe from any thread.
void emit(const std::string& line) {
  static std::mutex out;
  std::lock_guard<std::mutex> lock(out);
  std::cout << line << std::endl;
}

std::string fixed3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

struct Options {
  std::uint64_t id = 0;
  std::uint16_t port = 0;
  std::map<std::uint64_t, sockaddr_in> peers;
  std::string state_dir;
  std::chrono::milliseconds interval{100};
  std::string key_file;  // empty: unauthenticated datagrams
};

[[noreturn]] void usage() {
  std::cerr
      << "usage: node --id N --port P --peers ID:PORT,... --state-dir DIR [--interval-ms 100] [--key-file PATH]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  std::string peers;
  if (argc % 2 == 0) usage();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--id")
      o.id = std::stoull(value);
    else if (flag == "--port")
      o.port = static_cast<std::uint16_t>(std::stoul(value));
    else if (flag == "--peers")
      peers = value;
    else if (flag == "--state-dir")
      o.state_dir = value;
    else if (flag == "--interval-ms")
      o.interval = std::chrono::milliseconds(std::stoul(value));
    else if (flag == "--key-file")
      o.key_file = value;
    else
      usage();
  }
  if (o.id == 0 || o.port == 0 || peers.empty() || o.state_dir.empty() || o.interval.count() <= 0) usage();
  std::istringstream in(peers);
  for (std::string item; std::getline(in, item, ',');) {
    const auto colon = item.find(':');
    if (colon == std::string::npos) usage();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(std::stoul(item.substr(colon + 1))));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    o.peers[std::stoull(item.substr(0, colon))] = addr;
  }
  return o;
}

class Node {
 public:
  explicit Node(Options opts)
      : o_(std::move(opts)), keyring_(load_keyring(o_.key_file)),
        incarnation_clock_(
            phifd::GenerationClock::open(o_.state_dir + "/node-" + std::to_string(o_.id) + ".incarnation")),
        incarnation_(incarnation_clock_.current()), term_(phifd::GenerationClock::in_memory(1)),
        monitor_(phifd::Config()
                     .set_estimator(phifd::Estimator::Normal)
                     .set_heartbeat_interval(o_.interval)
                     .set_threshold(8.0)
                     .set_suspect_threshold(3.0)
                     .set_membership(phifd::Membership::Fixed)) {  // only the peers added below
    const auto now = phifd::Clock::now();
    std::uint64_t lowest = o_.id;
    for (const auto& [peer, addr] : o_.peers) {
      monitor_.add_node(peer, 0, now);
      lowest = std::min(lowest, peer);
    }
    leading_ = lowest == o_.id;
    if (leading_) leader_ = o_.id;

    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(o_.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{0, 100000};  // receives time out so the receiver notices a stop
    if (fd_ < 0 || setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot bind 127.0.0.1:" + std::to_string(o_.port));
    }
  }

  ~Node() { close(fd_); }

  int run() {
    emit("{\"ev\":\"start\",\"node\":" + std::to_string(o_.id) +
         ",\"lang\":\"cpp\",\"pid\":" + std::to_string(getpid()) + ",\"generation\":" + std::to_string(incarnation_) +
         ",\"term\":" + std::to_string(term_.current()) + ",\"auth\":" + (keyring_ ? "true" : "false") +
         ",\"t\":" + now_ns() + "}");
    std::thread sender([this] { send_loop(); });
    std::thread receiver([this] { receive_loop(); });
    std::thread([] {  // exits the process's loops when stdin reaches end of file
      char buf[256];
      while (read(STDIN_FILENO, buf, sizeof buf) > 0) {}
      running = false;
    })
        .detach();

    constexpr auto never = phifd::Clock::time_point::max();
    auto election_at = never;  // when to consider taking over from a failed leader
    phifd::Generation failed_leader_term = 0;
    auto next = std::chrono::steady_clock::now();
    for (std::uint64_t tick = 1; running; ++tick) {
      next += o_.interval;
      std::this_thread::sleep_until(next);
      const auto now = phifd::Clock::now();
      for (const phifd::Event& e : monitor_.poll(now)) {
        emit("{\"ev\":\"state\",\"node\":" + std::to_string(o_.id) + ",\"peer\":" + std::to_string(e.node) +
             ",\"kind\":\"" + phifd::to_string(e.kind) + "\",\"from\":\"" + phifd::to_string(e.from) + "\",\"to\":\"" +
             phifd::to_string(e.to) + "\",\"phi\":" + fixed3(e.phi) + ",\"generation\":" +
             std::to_string(e.generation) + ",\"time_ns\":" + std::to_string(phifd::Clock::to_ns(e.time)) + "}");
        std::lock_guard<std::mutex> lock(mu_);
        if (e.to == phifd::State::Failed && leader_ == e.node) {
          leader_.reset();
          failed_leader_term = highest_leader_term_;
          election_at = now + 2 * o_.id * o_.interval;
        }
      }
      if (now >= election_at) {
        election_at = never;
        if (!newer_leader_since(failed_leader_term) && lowest_alive(now)) {
          const phifd::Generation term = term_.advance();
          std::lock_guard<std::mutex> lock(mu_);
          leading_ = true;
          leader_ = o_.id;
          emit("{\"ev\":\"leader\",\"node\":" + std::to_string(o_.id) + ",\"term\":" + std::to_string(term) +
               ",\"t\":" + now_ns() + "}");
        }
      }
      if (tick % 5 == 0) print_view(now);
    }
    sender.join();
    receiver.join();
    return 0;
  }

 private:
  static std::string now_ns() { return std::to_string(phifd_now_ns()); }

  // Sends a datagram, signed when there is a keyring; a failed send is like a lost datagram.
  void send(const sockaddr_in& to, const phifd::Datagram& d) {
    try {
      if (keyring_) {
        const auto bytes = d.encode_auth(*keyring_);
        (void)sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                     sizeof to);  // never waits
      } else {
        const auto bytes = d.encode();
        (void)sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      }
    } catch (const phifd::Error& e) {  // a field out of range: a bug here, not a network event
      std::cerr << "node " << o_.id << ": encode: " << e.what() << "\n";
    }
  }

  // Verifies (with a key), decodes and records untrusted bytes in one call; every refusal is
  // counted in the monitor's stats and gives nothing. Nothing of a datagram that does not verify
  // is parsed.
  std::optional<phifd::Received> receive(const std::uint8_t* buf, std::size_t n, phifd::Clock::time_point arrival) {
    try {
      return keyring_ ? monitor_.receive(buf, n, arrival, *keyring_) : monitor_.receive(buf, n, arrival);
    } catch (const phifd::Error&) {
      // malformed, bad MAC, unknown key, unknown node, bad generation, over capacity, or an older
      // incarnation's heartbeat arriving late (StaleDatagram): counted by the monitor, ignored here
      return std::nullopt;
    }
  }

  // Every interval: a heartbeat to every peer.
  void send_loop() {
    auto next = std::chrono::steady_clock::now();
    for (std::uint64_t seq = 1; running; ++seq) {
      bool leading;
      {
        std::lock_guard<std::mutex> lock(mu_);
        leading = leading_;
      }
      const phifd::Datagram d{phifd::DatagramKind::Heartbeat,
                              leading ? phifd::datagram_flag_leader : 0u,
                              o_.id,
                              incarnation_,
                              term_.current(),
                              seq,
                              phifd_now_ns()};
      for (const auto& [peer, addr] : o_.peers) send(addr, d);
      next += o_.interval;
      std::this_thread::sleep_until(next);
    }
  }

  // Receives datagrams until stopped; the arrival time is taken as soon as one arrives.
  void receive_loop() {
    std::uint8_t buf[512];
    while (running) {
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      const auto arrival = phifd::Clock::now();
      if (n < 0) continue;  // timeout (to check `running`) or interrupted
      // Only a heartbeat that counted as an arrival goes on to the leader logic: a replay, a
      // duplicate, an older incarnation or an unknown id changes nothing.
      const std::optional<phifd::Received> r = receive(buf, static_cast<std::size_t>(n), arrival);
      if (!r) continue;
      const phifd::Datagram& d = r->datagram;
      if (d.kind == phifd::DatagramKind::Heartbeat && r->counted) {
        on_heartbeat(d, from);
      } else if (d.kind == phifd::DatagramKind::StaleReply && d.node != o_.id) {
        observe_term(d.term, d.node);
      }
    }
  }

  // A heartbeat that Monitor::receive has verified (with a key) and counted as an arrival.
  void on_heartbeat(const phifd::Datagram& d, const sockaddr_in& from) {
    const phifd::Generation ours = term_.current();
    if (d.leader() && d.term < ours) {  // a stale leader: tell it the newer term
      send(from, phifd::Datagram{phifd::DatagramKind::StaleReply, 0, o_.id, incarnation_, ours, 0, phifd_now_ns()});
      emit("{\"ev\":\"stale_reply_sent\",\"node\":" + std::to_string(o_.id) + ",\"to\":" + std::to_string(d.node) +
           ",\"their_term\":" + std::to_string(d.term) + ",\"our_term\":" + std::to_string(ours) +
           ",\"t\":" + now_ns() + "}");
      return;
    }
    observe_term(d.term, d.node);
    if (!d.leader()) return;
    std::lock_guard<std::mutex> lock(mu_);
    highest_leader_term_ = std::max(highest_leader_term_, d.term);
    if (leader_ != d.node) {
      leader_ = d.node;
      emit("{\"ev\":\"follow\",\"node\":" + std::to_string(o_.id) + ",\"leader\":" + std::to_string(d.node) +
           ",\"term\":" + std::to_string(d.term) + ",\"t\":" + now_ns() + "}");
    }
  }

  // Adopts a term seen from peer `from`; steps down if it is newer and we lead.
  void observe_term(phifd::Generation term, phifd::NodeId from) {
    bool newer = false;
    try {
      newer = term_.observe(term);
    } catch (const phifd::InvalidArgument&) {
      return;  // a term beyond 2^48 is damage: ignore it
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (newer && leading_) {
      leading_ = false;
      leader_.reset();
      emit("{\"ev\":\"step_down\",\"node\":" + std::to_string(o_.id) + ",\"term\":" + std::to_string(term) +
           ",\"told_by\":" + std::to_string(from) + ",\"t\":" + now_ns() + "}");
    }
  }

  bool newer_leader_since(phifd::Generation term) {
    std::lock_guard<std::mutex> lock(mu_);
    return highest_leader_term_ > term;
  }

  // True if this node has the lowest id among itself and the peers it sees Alive.
  bool lowest_alive(phifd::Clock::time_point now) const {
    for (const auto& e : monitor_.snapshot(now)) {
      if (e.state == phifd::State::Alive && e.node < o_.id) return false;
    }
    return true;
  }

  void print_view(phifd::Clock::time_point now) {
    std::string peers;
    for (const auto& e : monitor_.snapshot(now)) {
      peers += std::string(peers.empty() ? "" : ",") + "{\"peer\":" + std::to_string(e.node) + ",\"state\":\"" +
               phifd::to_string(e.state) + "\",\"phi\":" + fixed3(e.phi) +
               ",\"generation\":" + std::to_string(e.generation) + ",\"mean_ms\":" + fixed3(e.mean.count() / 1e6) +
               ",\"until_fail_ms\":" + fixed3(static_cast<double>(e.time_until_failure.count()) / 1e6) + "}";
    }
    const phifd::Stats st = monitor_.stats();
    const std::string rejected = "{\"malformed\":" + std::to_string(st.rejected_malformed) +
                                 ",\"bad_mac\":" + std::to_string(st.rejected_bad_mac) +
                                 ",\"unknown_key\":" + std::to_string(st.rejected_unknown_key) +
                                 ",\"replayed\":" + std::to_string(st.rejected_replayed) +
                                 ",\"unknown_node\":" + std::to_string(st.rejected_unknown_node) +
                                 ",\"bad_generation\":" + std::to_string(st.rejected_bad_generation) + "}";
    std::lock_guard<std::mutex> lock(mu_);
    emit("{\"ev\":\"view\",\"node\":" + std::to_string(o_.id) + ",\"t\":" + std::to_string(phifd::Clock::to_ns(now)) +
         ",\"term\":" + std::to_string(term_.current()) +
         ",\"leader\":" + (leader_ ? std::to_string(*leader_) : std::string("null")) + ",\"role\":\"" +
         (leading_ ? "leader" : "follower") + "\",\"peers\":[" + peers + "],\"rejected\":" + rejected + "}");
  }

  Options o_;
  std::optional<phifd::Keyring> keyring_;     // none: unauthenticated datagrams; thread-safe
  phifd::GenerationClock incarnation_clock_;  // durable: held (and locked) while the node runs
  phifd::Generation incarnation_;
  phifd::GenerationClock term_;  // in memory; thread-safe
  phifd::Monitor monitor_;       // thread-safe; counts every refused datagram (Stats::rejected_*)
  int fd_ = -1;
  std::mutex mu_;  // guards the fields below
  bool leading_ = false;
  std::optional<phifd::NodeId> leader_;
  phifd::Generation highest_leader_term_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  try {
    Node node(parse(argc, argv));
    return node.run();
  } catch (const std::exception& e) {
    std::cerr << "node: " << e.what() << "\n";
    return 1;
  }
}
