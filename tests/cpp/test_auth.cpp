// Authenticated heartbeats through the C++ wrapper: Keyring, Datagram::encode_auth/decode_auth and
// Monitor::receive. The fixed vectors were computed once with python3's hmac and hashlib from the
// layout of docs/security.md, independently of the library:
//   body = struct.pack('<4sBBHQQQQQI', b'PHHB', 2, kind, flags, node, gen, term, version, send_ns, key_id)
//   wire = body + hmac.new(key, body, hashlib.sha256).digest()[:16]
// with key A = bytes(range(32)) and key B = bytes(range(100, 132)).
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace {

using phifd::Clock;
using phifd::Datagram;
using phifd::Keyring;
using phifd::Monitor;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint64_t kBound = 281474976710656ULL;  // 2^48, written out

Bytes from_hex(const std::string& hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

Bytes seq(std::uint8_t from, std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(from + i);
  return b;
}

const Bytes kKeyA = seq(0, 32);
const Bytes kKeyB = seq(100, 32);

// node 0x0102030405060708, generation 3, term 9, version 42, send_ns 123456789, leader flag.
const Bytes kVectorA =
    from_hex("50484842020001000807060504030201030000000000000009000000000000002a0000000000000015cd5b07000000"
             "0001000000a2bbcb119cf6c6fa0c3c4d453c445c58");  // key A, id 1
const Bytes kVectorB =
    from_hex("50484842020001000807060504030201030000000000000009000000000000002a0000000000000015cd5b07000000"
             "00020000008ffbb94f54050406e606c0790319a8c5");  // key B, id 2
// node 7, generation 2^48 + 1, term 1, version 1, send_ns 0: authentic, but above the bound.
const Bytes kAboveBound =
    from_hex("5048484202000000070000000000000001000000000001000100000000000000010000000000000000000000000000"
             "0001000000b1f2aad5dca9637383a104b1b11c83bf");  // key A, id 1

Datagram vector_datagram() {
  Datagram d;
  d.kind = phifd::DatagramKind::Heartbeat;
  d.flags = phifd::datagram_flag_leader;
  d.node = 0x0102030405060708ULL;
  d.generation = 3;
  d.term = 9;
  d.version = 42;
  d.send_ns = 123456789;
  return d;
}

Datagram heartbeat(std::uint64_t node, std::uint64_t generation, std::uint64_t version) {
  Datagram d;
  d.node = node;
  d.generation = generation;
  d.term = 1;
  d.version = version;
  return d;
}

Bytes to_bytes(const std::array<std::uint8_t, phifd::auth_datagram_size>& a) { return Bytes(a.begin(), a.end()); }

Keyring ring_with(std::initializer_list<std::pair<phifd::KeyId, const Bytes*>> keys) {
  Keyring k;
  for (const auto& [id, key] : keys) k.add_key(id, *key);
  return k;
}

Clock::time_point at_s(std::uint64_t s) { return Clock::from_ns(s * 1000000000ULL); }

std::uint32_t key_id_of(const Bytes& wire) {
  return static_cast<std::uint32_t>(wire[48]) | static_cast<std::uint32_t>(wire[49]) << 8 |
         static_cast<std::uint32_t>(wire[50]) << 16 | static_cast<std::uint32_t>(wire[51]) << 24;
}

TEST(Auth, Constants) {
  EXPECT_EQ(phifd::auth_datagram_size, 68u);
  EXPECT_EQ(phifd::key_min_len, 16u);
  EXPECT_EQ(phifd::key_max_len, 64u);
  EXPECT_EQ(phifd::keyring_max_keys, 16u);
}

TEST(Auth, EncodeMatchesTheIndependentVectorsAndRoundTrips) {
  Keyring k = ring_with({{1, &kKeyA}, {2, &kKeyB}});
  const Datagram d = vector_datagram();
  EXPECT_EQ(k.signing_key(), 1u);  // the first key added signs
  EXPECT_EQ(to_bytes(d.encode_auth(k)), kVectorA);
  k.set_signing_key(2);
  EXPECT_EQ(to_bytes(d.encode_auth(k)), kVectorB);
  EXPECT_EQ(Datagram::decode_auth(kVectorA, k), d);
  EXPECT_EQ(Datagram::decode_auth(kVectorB.data(), kVectorB.size(), k), d);
  EXPECT_EQ(Datagram::decode_auth(d.encode_auth(k), k), d);
}

TEST(Auth, ForgedDatagramsAreRefusedAndCounted) {
  Keyring k = ring_with({{1, &kKeyA}});
  Monitor m;
  std::vector<Bytes> forged;
  Bytes zero_tag = kVectorA;
  std::fill(zero_tag.begin() + 52, zero_tag.end(), 0);
  forged.push_back(zero_tag);
  Bytes moved_tag = kVectorA;  // a valid tag onto another generation
  moved_tag[16] ^= 0x04;
  forged.push_back(moved_tag);
  forged.push_back(kVectorB);  // signed with key B...
  forged.back()[48] = 1;       // ...relabelled as key 1
  for (const Bytes& b : forged) {
    try {
      m.receive(b.data(), b.size(), at_s(1), k);
      ADD_FAILURE() << "a forged datagram was accepted";
    } catch (const phifd::AuthError& e) {
      EXPECT_EQ(e.status(), phifd::Status::Auth);
      EXPECT_NE(e.message().find("MAC"), std::string::npos) << e.message();
    }
    EXPECT_THROW(Datagram::decode_auth(b, k), phifd::AuthError);
  }
  const auto s = m.stats();
  EXPECT_EQ(s.rejected_bad_mac, 3u);
  EXPECT_EQ(s.rejected_malformed + s.rejected_unknown_key + s.rejected_replayed, 0u);
  EXPECT_EQ(m.node_count(), 0u);
}

TEST(Auth, TruncatedAndExtendedDatagramsAreRefusedAndCounted) {
  Keyring k = ring_with({{1, &kKeyA}});
  Monitor m;
  std::vector<Bytes> bad;
  for (std::size_t n = 0; n < kVectorA.size(); ++n)
    bad.emplace_back(kVectorA.begin(), kVectorA.begin() + static_cast<long>(n));
  bad.push_back(kVectorA);
  bad.back().push_back(0);
  for (const Bytes& b : bad) {
    EXPECT_THROW(m.receive(b.data(), b.size(), at_s(1), k), phifd::MalformedError) << b.size();
    EXPECT_THROW(Datagram::decode_auth(b, k), phifd::MalformedError) << b.size();
  }
  EXPECT_EQ(m.stats().rejected_malformed, bad.size());
  EXPECT_EQ(m.node_count(), 0u);
}

TEST(Auth, EveryBitFlipIsRefusedAndCountedByClass) {
  Keyring k = ring_with({{1, &kKeyA}});
  Monitor m;
  std::uint64_t malformed = 0, unknown_key = 0, bad_mac = 0;
  for (std::size_t bit = 0; bit < kVectorA.size() * 8; ++bit) {
    Bytes b = kVectorA;
    b[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    const std::size_t off = bit / 8;
    if (off < 5) {  // magic and format version
      ++malformed;
      EXPECT_THROW(m.receive(b.data(), b.size(), at_s(1), k), phifd::MalformedError) << bit;
      EXPECT_THROW(Datagram::decode_auth(b, k), phifd::MalformedError) << bit;
    } else if (off >= 48 && off < 52) {  // the key id: every flip names an id the ring lacks
      ++unknown_key;
      EXPECT_THROW(m.receive(b.data(), b.size(), at_s(1), k), phifd::UnknownKeyError) << bit;
      EXPECT_THROW(Datagram::decode_auth(b, k), phifd::UnknownKeyError) << bit;
    } else {  // the fields and the tag: the MAC fails
      ++bad_mac;
      EXPECT_THROW(m.receive(b.data(), b.size(), at_s(1), k), phifd::AuthError) << bit;
      EXPECT_THROW(Datagram::decode_auth(b, k), phifd::AuthError) << bit;
    }
  }
  EXPECT_EQ(malformed, 40u);
  EXPECT_EQ(unknown_key, 32u);
  EXPECT_EQ(bad_mac, 472u);
  const auto s = m.stats();
  EXPECT_EQ(s.rejected_malformed, malformed);
  EXPECT_EQ(s.rejected_unknown_key, unknown_key);
  EXPECT_EQ(s.rejected_bad_mac, bad_mac);
  EXPECT_EQ(m.node_count(), 0u);
  EXPECT_TRUE(m.receive(kVectorA.data(), kVectorA.size(), at_s(2), k).counted);  // the original still counts
}

TEST(Auth, WrongKeyAndUnknownKeyId) {
  Keyring same_id_other_key = ring_with({{1, &kKeyB}});
  Keyring other_id = ring_with({{2, &kKeyA}});
  Monitor m;
  EXPECT_THROW(m.receive(kVectorA.data(), kVectorA.size(), at_s(1), same_id_other_key), phifd::AuthError);
  EXPECT_THROW(m.receive(kVectorA.data(), kVectorA.size(), at_s(1), other_id), phifd::UnknownKeyError);
  const auto s = m.stats();
  EXPECT_EQ(s.rejected_bad_mac, 1u);
  EXPECT_EQ(s.rejected_unknown_key, 1u);
  EXPECT_EQ(m.node_count(), 0u);
}

TEST(Auth, ReplaysNeverCount) {
  Keyring k = ring_with({{1, &kKeyA}});
  Monitor m;
  const auto v1 = heartbeat(7, 5, 1).encode_auth(k);
  const auto v2 = heartbeat(7, 5, 2).encode_auth(k);
  EXPECT_TRUE(m.receive(v1.data(), v1.size(), at_s(1), k).counted);
  EXPECT_TRUE(m.receive(v2.data(), v2.size(), at_s(2), k).counted);
  for (const auto* b : {&v2, &v1, &v2}) {  // the same bytes again, an older version
    const phifd::Received r = m.receive(b->data(), b->size(), at_s(3), k);
    EXPECT_FALSE(r.counted);
    EXPECT_EQ(r.datagram.node, 7u);
  }
  EXPECT_EQ(m.stats().rejected_replayed, 3u);
  EXPECT_TRUE(m.info(7, at_s(4)).last_arrival == at_s(2));
  const auto old_generation = heartbeat(7, 4, 99).encode_auth(k);
  try {
    m.receive(old_generation.data(), old_generation.size(), at_s(5), k);
    ADD_FAILURE() << "an older generation was accepted";
  } catch (const phifd::StaleDatagram& e) {
    EXPECT_EQ(e.datagram(), heartbeat(7, 4, 99));
    EXPECT_EQ(e.status(), phifd::Status::StaleGeneration);
  }
  EXPECT_THROW(m.receive(old_generation.data(), old_generation.size(), at_s(5), k), phifd::StaleGeneration);
  EXPECT_EQ(m.info(7, at_s(5)).generation, 5u);
  EXPECT_EQ(m.stats().stale_heartbeats, 2u);
  const auto v3 = heartbeat(7, 5, 3).encode_auth(k);
  EXPECT_TRUE(m.receive(v3.data(), v3.size(), at_s(6), k).counted);
}

TEST(Auth, SignedStaleReplyIsNotApplied) {
  Keyring k = ring_with({{1, &kKeyA}});
  Monitor m;
  Datagram d;
  d.kind = phifd::DatagramKind::StaleReply;
  d.node = 7;
  d.term = 8;
  const auto wire = d.encode_auth(k);
  const phifd::Received r = m.receive(wire.data(), wire.size(), at_s(1), k);
  EXPECT_EQ(r.datagram, d);
  EXPECT_FALSE(r.counted);
  EXPECT_EQ(m.node_count(), 0u);
}

TEST(Auth, GenerationAboveTheBound) {
  Keyring k = ring_with({{1, &kKeyA}});
  Monitor m;
  try {
    m.receive(kAboveBound.data(), kAboveBound.size(), at_s(1), k);
    ADD_FAILURE() << "a generation above 2^48 was accepted";
  } catch (const phifd::MalformedError& e) {
    EXPECT_NE(e.message().find("281474976710656"), std::string::npos) << e.message();
  }
  EXPECT_EQ(m.stats().rejected_bad_generation, 1u);
  EXPECT_EQ(m.node_count(), 0u);
  EXPECT_THROW(heartbeat(7, kBound + 1, 1).encode_auth(k), phifd::InvalidArgument);
  const auto at_bound = heartbeat(7, kBound, 1).encode_auth(k);
  EXPECT_TRUE(m.receive(at_bound.data(), at_bound.size(), at_s(1), k).counted);
}

TEST(Auth, ModesDoNotMix) {
  Keyring k = ring_with({{1, &kKeyA}});
  Monitor m;
  const auto plain = heartbeat(7, 1, 1).encode();
  const auto signed_ = heartbeat(7, 1, 1).encode_auth(k);
  EXPECT_THROW(m.receive(plain.data(), plain.size(), at_s(1), k), phifd::MalformedError);
  EXPECT_THROW(m.receive(signed_.data(), signed_.size(), at_s(1)), phifd::MalformedError);
  EXPECT_EQ(m.stats().rejected_malformed, 2u);
  const phifd::Received r = m.receive(plain.data(), plain.size(), at_s(1));
  EXPECT_TRUE(r.counted);
  EXPECT_EQ(r.datagram, heartbeat(7, 1, 1));
}

// A sender process: writes a datagram signed with key 1, then adds key 2, switches to it, removes
// key 1 and writes one signed with key 2.
std::vector<Bytes> sender_process(std::uint64_t node) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int rc = 0;
    try {
      Keyring k = ring_with({{1, &kKeyA}});
      const auto first = heartbeat(node, 1, 1).encode_auth(k);
      k.add_key(2, kKeyB);
      k.set_signing_key(2);
      k.remove_key(1);
      const auto second = heartbeat(node, 1, 2).encode_auth(k);
      if (write(fds[1], first.data(), first.size()) != 68 || write(fds[1], second.data(), second.size()) != 68) rc = 2;
    } catch (...) {
      rc = 3;
    }
    close(fds[1]);
    _exit(rc);
  }
  close(fds[1]);
  Bytes all;
  std::uint8_t buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) all.insert(all.end(), buf, buf + n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || all.size() != 136) throw std::runtime_error("sender failed");
  return {Bytes(all.begin(), all.begin() + 68), Bytes(all.begin() + 68, all.end())};
}

TEST(Auth, RotationAcrossProcesses) {
  const auto a = sender_process(1);
  const auto b = sender_process(2);
  EXPECT_EQ(key_id_of(a[0]), 1u);
  EXPECT_EQ(key_id_of(a[1]), 2u);
  Keyring k = ring_with({{1, &kKeyA}});
  Monitor m;
  auto recv = [&](const Bytes& w, std::uint64_t s) { return m.receive(w.data(), w.size(), at_s(s), k).counted; };
  EXPECT_TRUE(recv(a[0], 1));
  EXPECT_THROW(recv(a[1], 2), phifd::UnknownKeyError);  // the receiver has not added key 2 yet
  k.add_key(2, kKeyB);                                  // step 1: both keys accepted
  EXPECT_EQ(k.signing_key(), 1u);
  EXPECT_TRUE(recv(a[1], 3));
  EXPECT_TRUE(recv(b[0], 4));
  k.set_signing_key(2);                                   // step 2
  EXPECT_THROW(k.remove_key(2), phifd::InvalidArgument);  // never the signing key
  k.remove_key(1);                                        // step 3
  EXPECT_THROW(recv(b[0], 5), phifd::UnknownKeyError);
  EXPECT_THROW(k.remove_key(1), phifd::UnknownKeyError);
  EXPECT_TRUE(recv(b[1], 6));
  EXPECT_EQ(m.stats().rejected_unknown_key, 2u);
}

TEST(Auth, KeyringErrors) {
  Keyring k;
  EXPECT_THROW(k.signing_key(), phifd::UnknownKeyError);
  EXPECT_THROW(heartbeat(1, 1, 1).encode_auth(k), phifd::InvalidArgument);  // nothing to sign with
  try {
    k.add_key(1, Bytes(15, 1));
    ADD_FAILURE() << "a 15-byte key was accepted";
  } catch (const phifd::InvalidArgument& e) {
    EXPECT_NE(e.message().find("16"), std::string::npos) << e.message();
  }
  EXPECT_THROW(k.add_key(1, Bytes(65, 1)), phifd::InvalidArgument);
  EXPECT_THROW(k.add_key(1, nullptr, 32), phifd::Error);
  EXPECT_THROW(k.set_signing_key(3), phifd::UnknownKeyError);
  for (phifd::KeyId id = 0; id < phifd::keyring_max_keys; ++id) k.add_key(id, Bytes(16, static_cast<std::uint8_t>(id)));
  EXPECT_THROW(k.add_key(100, kKeyA), phifd::InvalidArgument);  // full
  EXPECT_THROW(k.add_key(3, kKeyA), phifd::InvalidArgument);    // id taken
  EXPECT_EQ(k.signing_key(), 0u);

  Keyring moved = std::move(k);
  EXPECT_EQ(moved.signing_key(), 0u);
  // A moved-from keyring is an error everywhere, never "no keyring" (which would accept unsigned datagrams).
  Monitor m;
  const auto plain = heartbeat(7, 1, 1).encode();
  try {
    m.receive(plain.data(), plain.size(), at_s(1), k);  // NOLINT(bugprone-use-after-move): on purpose
    ADD_FAILURE() << "a moved-from keyring was taken as no keyring";
  } catch (const phifd::Error& e) {
    EXPECT_EQ(e.status(), phifd::Status::NullArg);
    EXPECT_NE(e.message().find("moved from"), std::string::npos) << e.message();
  }
  EXPECT_THROW(heartbeat(1, 1, 1).encode_auth(k), phifd::Error);
  EXPECT_THROW(Datagram::decode_auth(kVectorA, k), phifd::Error);
  EXPECT_THROW(k.add_key(1, kKeyA), phifd::Error);
  EXPECT_EQ(m.node_count(), 0u);
}

TEST(Auth, KeyringKeepsItsOwnCopy) {
  Bytes key = kKeyA;
  Keyring k;
  k.add_key(1, key);
  std::fill(key.begin(), key.end(), 0);  // the caller wipes its buffer
  EXPECT_EQ(to_bytes(vector_datagram().encode_auth(k)), kVectorA);
}

TEST(Auth, ThreadsSignAndVerifyWhileKeysRotate) {
  Keyring k = ring_with({{1, &kKeyA}, {2, &kKeyB}});
  Monitor m;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread rotator([&] {
    for (phifd::KeyId i = 0; !stop.load(); ++i) k.set_signing_key(1 + i % 2);
  });
  std::vector<std::thread> workers;
  for (std::uint64_t node = 1; node <= 4; ++node) {
    workers.emplace_back([&, node] {
      for (std::uint64_t v = 1; v <= 300; ++v) {
        const Datagram d = heartbeat(node, 1, v);
        const auto wire = d.encode_auth(k);
        if (Datagram::decode_auth(wire, k) != d) ++failures;
        if (!m.receive(wire.data(), wire.size(), Clock::from_ns(v * 1000000), k).counted) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  stop = true;
  rotator.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(m.node_count(), 4u);
}

}  // namespace
