#include "connectors/files/offsets_file.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace gale::connectors::files {
namespace {

struct TmpDir {
  TmpDir() {
    char tmpl[] = "/tmp/gale-offsets-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TmpDir() { std::filesystem::remove_all(path); }
  std::string path;
};

TEST_CASE("Offsets survive a write and a read, names with spaces included", "[connectors]") {
  TmpDir dir;
  const std::string path = dir.path + "/offsets";
  Offsets in = {{"app.log", {1234, 99}}, {"a file with spaces.log", {5, 0}}};
  std::string error;
  REQUIRE(WriteOffsets(path, in, &error));
  Offsets out;
  REQUIRE(ReadOffsets(path, &out, &error));
  CHECK(out == in);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));  // renamed over, not left behind

  SECTION("a second write replaces the first") {
    in.erase("app.log");
    in["b.log"] = {7, 7};
    REQUIRE(WriteOffsets(path, in, &error));
    REQUIRE(ReadOffsets(path, &out, &error));
    CHECK(out == in);
  }
}

TEST_CASE("A missing offsets file reads as no offsets", "[connectors]") {
  TmpDir dir;
  Offsets out = {{"x", {1, 1}}};
  std::string error;
  REQUIRE(ReadOffsets(dir.path + "/none", &out, &error));
  CHECK(out.empty());
}

TEST_CASE("A corrupt offsets file is an error naming the file and line", "[connectors]") {
  Offsets out;
  std::string error;
  CHECK_FALSE(ParseOffsets("# header\n12 34 a.log\nnot a number\n", "/x/offsets", &out, &error));
  CHECK(error == "/x/offsets:3: expected '<offset> <inode> <file name>', got 'not a number'");
  CHECK_FALSE(ParseOffsets("1 2 a\n3 4 a\n", "o", &out, &error));
  CHECK(error == "o:2: file 'a' is listed twice");
  CHECK_FALSE(ParseOffsets("1 2\n", "o", &out, &error));
  CHECK_FALSE(ParseOffsets("-1 2 a\n", "o", &out, &error));
}

TEST_CASE("Writing offsets into a missing directory fails with the path and reason",
          "[connectors]") {
  std::string error;
  CHECK_FALSE(WriteOffsets("/nonexistent-dir/offsets", {}, &error));
  CHECK(error ==
        "cannot create offsets file '/nonexistent-dir/offsets.tmp': No such file or directory");
}

}  // namespace
}  // namespace gale::connectors::files
