// The generation clock: durable and in-memory clocks, the file lock, damaged files, and parsing
// generation files built here by hand from the documented format (independent of the library).
#include "phifd.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

static_assert(!std::is_copy_constructible_v<phifd::GenerationClock>, "GenerationClock must not be copyable");
static_assert(!std::is_copy_assignable_v<phifd::GenerationClock>, "GenerationClock must not be copy-assignable");
static_assert(std::is_nothrow_move_constructible_v<phifd::GenerationClock>, "GenerationClock moves must not throw");
static_assert(std::is_nothrow_move_assignable_v<phifd::GenerationClock>, "GenerationClock moves must not throw");
static_assert(std::is_base_of_v<phifd::Error, phifd::IoError>, "IoError is an Error");
static_assert(std::is_base_of_v<phifd::Error, phifd::CorruptError>, "CorruptError is an Error");
static_assert(std::is_base_of_v<phifd::Error, phifd::LockedError>, "LockedError is an Error");
// The codes of phifd.h, written out: they are append-only and must never change.
static_assert(static_cast<unsigned>(phifd::Status::Io) == 8 && static_cast<unsigned>(phifd::Status::Corrupt) == 9 &&
                  static_cast<unsigned>(phifd::Status::Locked) == 10,
              "status codes are frozen");
static_assert(phifd::max_generation == 281474976710656ULL, "2^48");
static_assert(phifd::max_generation == PHIFD_MAX_GENERATION, "the C header's bound");

// FNV-1a 64 as published (offset basis 14695981039346656037, prime 1099511628211).
std::uint64_t fnv1a64(const std::uint8_t* p, std::size_t n) {
  std::uint64_t h = 14695981039346656037ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

std::uint64_t fnv1a64(const std::string& s) {
  return fnv1a64(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

void put_le(Bytes& b, std::size_t at, std::uint64_t v, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

// A generation file as documented in src/generation.rs: 32 bytes, little-endian: magic
// "PHIFDGEN", u32 version, u32 reserved, u64 generation, u64 FNV-1a 64 of bytes 0..24.
Bytes encode(std::uint64_t generation, std::uint32_t version = 1, std::uint32_t reserved = 0) {
  Bytes b(32, 0);
  const char magic[] = "PHIFDGEN";
  for (std::size_t i = 0; i < 8; ++i) {
    b[i] = static_cast<std::uint8_t>(magic[i]);
  }
  put_le(b, 8, version, 4);
  put_le(b, 12, reserved, 4);
  put_le(b, 16, generation, 8);
  put_le(b, 24, fnv1a64(b.data(), 24), 8);
  return b;
}

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << p;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << p;
}

// A fresh directory per test, removed afterwards.
class GenerationFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "phifd-cpp-gen-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ / "generation";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path dir_;
  fs::path path_;
};

TEST(Fnv1a, PublishedVectors) {
  // Values from the FNV reference test suite (Fowler, Noll, Vo), not from the library.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST_F(GenerationFile, OpenAdvanceReopen) {
  {
    auto clock = phifd::GenerationClock::open(path_);
    EXPECT_EQ(clock.current(), 1u);  // a new file: stored 0, plus one
    EXPECT_EQ(read_file(path_), encode(1));
    EXPECT_EQ(clock.advance(), 2u);
    EXPECT_EQ(clock.current(), 2u);
    EXPECT_EQ(read_file(path_), encode(2));  // durable before advance returned
  }
  auto clock = phifd::GenerationClock::open(path_);  // a new incarnation
  EXPECT_EQ(clock.current(), 3u);
  EXPECT_EQ(read_file(path_), encode(3));
  const auto perms = fs::status(path_).permissions();
  EXPECT_EQ(perms & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(GenerationFile, OpenContinuesFromAFileWrittenByHand) {
  write_file(path_, encode(41));
  auto clock = phifd::GenerationClock::open(path_);
  EXPECT_EQ(clock.current(), 42u);
  EXPECT_EQ(read_file(path_), encode(42));
}

TEST_F(GenerationFile, ObserveAdoptsOnlyHigherGenerationsDurably) {
  {
    auto clock = phifd::GenerationClock::open(path_);
    ASSERT_EQ(clock.current(), 1u);
    EXPECT_FALSE(clock.observe(0));
    EXPECT_FALSE(clock.observe(1));  // equal: nobody newer
    EXPECT_EQ(clock.current(), 1u);
    EXPECT_TRUE(clock.observe(7));  // someone newer: step down
    EXPECT_EQ(clock.current(), 7u);
    EXPECT_EQ(read_file(path_), encode(7));
    EXPECT_FALSE(clock.observe(5));  // older than the adopted one
    EXPECT_FALSE(clock.observe(7));
    EXPECT_EQ(clock.current(), 7u);
    EXPECT_THROW(clock.observe(phifd::max_generation + 1), phifd::InvalidArgument);
    EXPECT_EQ(clock.current(), 7u);
    EXPECT_EQ(clock.advance(), 8u);
  }
  auto clock = phifd::GenerationClock::open(path_);
  EXPECT_EQ(clock.current(), 9u);
}

TEST_F(GenerationFile, SecondOpenWhileAliveIsLocked) {
  auto first = phifd::GenerationClock::open(path_);
  ASSERT_EQ(first.current(), 1u);
  try {
    phifd::GenerationClock::open(path_);
    FAIL() << "a second clock opened a file that is in use";
  } catch (const phifd::LockedError& e) {
    EXPECT_EQ(e.status(), phifd::Status::Locked);
    EXPECT_NE(e.message().find(path_.string()), std::string::npos) << e.message();
    EXPECT_EQ(std::string(e.what()).rfind("PHIFD_ERR_LOCKED: ", 0), 0u) << e.what();
  }
  EXPECT_EQ(read_file(path_), encode(1));  // the failed open wrote nothing

  // The lock moves with the clock; only destroying the owner releases it.
  auto moved = std::move(first);
  EXPECT_EQ(first.native_handle(), nullptr);
  EXPECT_THROW(phifd::GenerationClock::open(path_), phifd::LockedError);
  EXPECT_EQ(moved.advance(), 2u);
  moved = phifd::GenerationClock::in_memory(0);  // closes the durable clock
  auto again = phifd::GenerationClock::open(path_);
  EXPECT_EQ(again.current(), 3u);
}

TEST_F(GenerationFile, DamagedFilesAreCorruptAndLeftUnchanged) {
  Bytes flipped = encode(5);
  flipped[24] ^= 0x01;  // one bit of the checksum
  Bytes flipped_value = encode(5);
  flipped_value[16] ^= 0x02;  // the generation, without fixing the checksum
  Bytes garbage(32);
  for (std::size_t i = 0; i < garbage.size(); ++i) {
    garbage[i] = static_cast<std::uint8_t>(i * 37 + 11);
  }
  const Bytes whole = encode(5);
  const Bytes truncated(whole.begin(), whole.begin() + 20);
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"empty", Bytes{}},
      {"truncated", truncated},
      {"too long",
       [] {
         Bytes b = encode(5);
         b.push_back(0);
         return b;
       }()},
      {"garbage", garbage},
      {"checksum flipped", flipped},
      {"value flipped", flipped_value},
      {"beyond 2^48", encode(phifd::max_generation + 1)},
      {"version 2", encode(5, 2)},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    write_file(path_, bytes);
    try {
      phifd::GenerationClock::open(path_);
      ADD_FAILURE() << "a damaged file was accepted";
    } catch (const phifd::CorruptError& e) {
      EXPECT_EQ(e.status(), phifd::Status::Corrupt);
      EXPECT_NE(e.message().find(path_.string()), std::string::npos) << e.message();
    }
    EXPECT_EQ(read_file(path_), bytes);  // never reset
  }
}

TEST_F(GenerationFile, ChecksumMismatchIsNamed) {
  Bytes b = encode(5);
  b[31] ^= 0x80;
  write_file(path_, b);
  try {
    phifd::GenerationClock::open(path_);
    FAIL() << "a checksum mismatch was accepted";
  } catch (const phifd::CorruptError& e) {
    EXPECT_NE(e.message().find("checksum"), std::string::npos) << e.message();
  }
}

TEST_F(GenerationFile, MissingDirectoryIsIoError) {
  const fs::path missing = dir_ / "no-such-dir" / "generation";
  try {
    phifd::GenerationClock::open(missing);
    FAIL() << "a clock opened in a missing directory";
  } catch (const phifd::IoError& e) {
    EXPECT_EQ(e.status(), phifd::Status::Io);
    EXPECT_NE(e.message().find((dir_ / "no-such-dir").string()), std::string::npos) << e.message();
  }
  EXPECT_FALSE(fs::exists(dir_ / "no-such-dir"));
}

TEST_F(GenerationFile, BadPathsAreInvalidArguments) {
  EXPECT_THROW(phifd::GenerationClock::open(fs::path()), phifd::InvalidArgument);
  // A NUL would silently cut the path short at the C boundary: rejected before it.
  EXPECT_THROW(phifd::GenerationClock::open(fs::path(path_.string() + std::string(1, '\0') + "x")),
               phifd::InvalidArgument);
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(GenerationFile, StoredBoundCannotBeAdvancedPast) {
  write_file(path_, encode(phifd::max_generation));
  EXPECT_THROW(phifd::GenerationClock::open(path_), phifd::InvalidArgument);
  EXPECT_EQ(read_file(path_), encode(phifd::max_generation));
}

TEST(GenerationClock, InMemory) {
  auto clock = phifd::GenerationClock::in_memory(10);
  EXPECT_EQ(clock.current(), 10u);
  EXPECT_EQ(clock.advance(), 11u);
  EXPECT_FALSE(clock.observe(11));
  EXPECT_TRUE(clock.observe(20));
  EXPECT_EQ(clock.current(), 20u);
  EXPECT_EQ(phifd::GenerationClock::in_memory(0).current(), 0u);
  EXPECT_THROW(phifd::GenerationClock::in_memory(phifd::max_generation + 1), phifd::InvalidArgument);
}

TEST(GenerationClock, BoundIsNeverPassed) {
  auto clock = phifd::GenerationClock::in_memory(phifd::max_generation - 1);
  EXPECT_EQ(clock.advance(), phifd::max_generation);
  EXPECT_THROW(clock.advance(), phifd::InvalidArgument);
  EXPECT_EQ(clock.current(), phifd::max_generation);
  EXPECT_FALSE(clock.observe(phifd::max_generation));
}

TEST(GenerationClock, MovedFromThrowsNullArg) {
  auto a = phifd::GenerationClock::in_memory(3);
  auto b = std::move(a);
  EXPECT_EQ(b.current(), 3u);
  EXPECT_EQ(a.native_handle(), nullptr);
  try {
    a.current();
    FAIL() << "a moved-from clock answered";
  } catch (const phifd::Error& e) {
    EXPECT_EQ(e.status(), phifd::Status::NullArg);
  }
  EXPECT_THROW(a.advance(), phifd::Error);
  EXPECT_THROW(a.observe(9), phifd::Error);
  EXPECT_EQ(b.current(), 3u);  // untouched by calls on the moved-from clock
}

TEST(ParseGenerationFile, HandBuiltFiles) {
  EXPECT_EQ(phifd::parse_generation_file(encode(0)), 0u);
  EXPECT_EQ(phifd::parse_generation_file(encode(1)), 1u);
  EXPECT_EQ(phifd::parse_generation_file(encode(0x0102030405ULL)), 0x0102030405ULL);
  EXPECT_EQ(phifd::parse_generation_file(encode(phifd::max_generation)), phifd::max_generation);
  const Bytes b = encode(77);
  EXPECT_EQ(phifd::parse_generation_file(b.data(), b.size()), 77u);
}

TEST(ParseGenerationFile, ExactBytesOfOneFile) {
  // Generation 1, written out byte by byte; the checksum is the FNV-1a 64 of the first 24 bytes.
  Bytes b = {'P', 'H', 'I', 'F', 'D', 'G', 'E', 'N', 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  const std::uint64_t sum = fnv1a64(b.data(), b.size());
  for (int i = 0; i < 8; ++i) {
    b.push_back(static_cast<std::uint8_t>(sum >> (8 * i)));
  }
  EXPECT_EQ(phifd::parse_generation_file(b), 1u);
  EXPECT_EQ(b, encode(1));
}

TEST(ParseGenerationFile, DamageIsCorrupt) {
  const Bytes good = encode(5);
  std::vector<std::pair<const char*, Bytes>> cases;
  cases.push_back({"empty", Bytes{}});
  cases.push_back({"31 bytes", Bytes(good.begin(), good.end() - 1)});
  cases.push_back({"33 bytes", [&] {
                     Bytes b = good;
                     b.push_back(0);
                     return b;
                   }()});
  cases.push_back({"bad magic", [&] {
                     Bytes b = good;
                     b[0] = 'X';
                     b = Bytes(b.begin(), b.begin() + 24);
                     b.resize(32);
                     put_le(b, 24, fnv1a64(b.data(), 24), 8);
                     return b;
                   }()});
  cases.push_back({"version 2", encode(5, 2)});
  cases.push_back({"reserved not zero", encode(5, 1, 1)});
  cases.push_back({"checksum flipped", [&] {
                     Bytes b = good;
                     b[28] ^= 0x10;
                     return b;
                   }()});
  cases.push_back({"generation flipped", [&] {
                     Bytes b = good;
                     b[16] ^= 0x01;
                     return b;
                   }()});
  cases.push_back({"beyond 2^48", encode(phifd::max_generation + 1)});
  cases.push_back({"all ones", Bytes(32, 0xff)});
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    try {
      phifd::parse_generation_file(bytes);
      ADD_FAILURE() << "damaged bytes parsed";
    } catch (const phifd::CorruptError& e) {
      EXPECT_EQ(e.status(), phifd::Status::Corrupt);
      EXPECT_FALSE(e.message().empty());
    }
  }
}

TEST(ParseGenerationFile, NullWithLengthIsNullArg) {
  try {
    phifd::parse_generation_file(nullptr, 32);
    FAIL() << "null bytes were read";
  } catch (const phifd::Error& e) {
    EXPECT_EQ(e.status(), phifd::Status::NullArg);
  }
  EXPECT_THROW(phifd::parse_generation_file(nullptr, 0), phifd::CorruptError);  // no bytes: truncated
}

}  // namespace
