#include "supervisor/plugin_store.h"
#include "core/common/sha256.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "test/support/process.h"

namespace gale::supervisor {
namespace {

using gale::testing::ReadFile;
using gale::testing::TempDir;

// Serves `bytes` in chunks, counting the calls.
struct FakeSource {
  std::string bytes;
  int calls = 0;
  ChunkReader Reader() {
    return [this](int64_t offset, int32_t length) -> Result<std::string> {
      ++calls;
      const size_t from = std::min(static_cast<size_t>(offset), bytes.size());
      return bytes.substr(from, static_cast<size_t>(length));
    };
  }
};

std::string HashOf(const TempDir& dir, const std::string& bytes) {
  auto h = Sha256File(dir.Write("hash-input", bytes));
  REQUIRE(h.ok());
  return *h;
}

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

TEST_CASE("Sha256OfFile gives lower-case hex of the file's bytes", "[supervisor]") {
  TempDir dir;
  auto h = Sha256File(dir.Write("abc", "abc"));
  REQUIRE(h.ok());
  CHECK(*h == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(IsSha256Hex(*h));
  CHECK_FALSE(IsSha256Hex("../../etc/passwd"));
  CHECK_FALSE(IsSha256Hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
}

TEST_CASE("PluginStore downloads a plugin in chunks and keeps it under its hash", "[supervisor]") {
  TempDir scratch, store_dir;
  FakeSource source;
  // A little over two chunks, so that chunk boundaries are crossed.
  for (int i = 0; source.bytes.size() < 2 * PluginStore::kChunkBytes + 123; ++i) {
    source.bytes += std::to_string(i) + ",";
  }
  const std::string sha = HashOf(scratch, source.bytes);
  PluginStore store(store_dir.path());
  REQUIRE(store.Ensure(sha, source.Reader()).ok());
  CHECK(ReadFile(store.PathOf(sha)) == source.bytes);
  CHECK(source.calls == 4);  // three chunks, then the empty end
  CHECK(FilesIn(store_dir.path()) == 1);

  SECTION("a second Ensure downloads nothing") {
    REQUIRE(store.Ensure(sha, source.Reader()).ok());
    CHECK(source.calls == 4);
  }
  SECTION("a file already on disk is checked and kept") {
    PluginStore fresh(store_dir.path());
    REQUIRE(fresh.Ensure(sha, source.Reader()).ok());
    CHECK(source.calls == 4);
  }
  SECTION("a file on disk with other bytes is fetched again") {
    store_dir.Write(sha + ".so", "tampered");
    PluginStore fresh(store_dir.path());
    REQUIRE(fresh.Ensure(sha, source.Reader()).ok());
    CHECK(ReadFile(store.PathOf(sha)) == source.bytes);
  }
}

TEST_CASE("PluginStore refuses bytes that do not match the hash and leaves nothing behind",
          "[supervisor]") {
  TempDir scratch, store_dir;
  FakeSource source{"the real plugin"};
  const std::string wrong_sha = HashOf(scratch, "another plugin");
  PluginStore store(store_dir.path());
  Status s = store.Ensure(wrong_sha, source.Reader());
  REQUIRE(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains(wrong_sha));
  CHECK_THAT(s.message(), Catch::Contains(HashOf(scratch, "the real plugin")));
  CHECK(FilesIn(store_dir.path()) == 0);
}

TEST_CASE("PluginStore passes download errors on and rejects unsafe hashes", "[supervisor]") {
  TempDir store_dir;
  PluginStore store(store_dir.path());
  const std::string sha(64, 'a');
  Status s = store.Ensure(sha, [](int64_t offset, int32_t) -> Result<std::string> {
    if (offset == 0) return std::string(10, 'x');
    return Status::Unavailable("nimbus went away");
  });
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK_THAT(s.message(), Catch::Contains("nimbus went away"));
  CHECK(FilesIn(store_dir.path()) == 0);

  int calls = 0;
  Status bad = store.Ensure("../escape", [&](int64_t, int32_t) -> Result<std::string> {
    ++calls;
    return std::string();
  });
  CHECK(bad.code() == StatusCode::kInvalidArgument);
  CHECK(calls == 0);
}

}  // namespace
}  // namespace gale::supervisor
