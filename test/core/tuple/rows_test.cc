// gale/rows.h: a Row's encoding, read back through Rows and RowView, typed
// reads and their errors, and Values built from a row.
#include <gale/rows.h>

#include <catch2/catch.hpp>

#include <cmath>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gale {
namespace {

const StreamMeta kRowMeta{"split", "default", Fields{"word", "n", "x", "flag", "raw", "none"},
                          false, 0};
const StreamMeta kBatchMeta{"split", "default", kRowMeta.fields, false, 1u << 31, &kRowMeta};

// A batch tuple of `rows`, as the runtime builds it (Executor::SendRow).
Tuple Batch(const std::vector<const Row*>& rows) {
  std::string bytes(rows::kCountBytes, '\0');
  rows::Store32(bytes.data(), static_cast<uint32_t>(rows.size()));
  for (const Row* r : rows) bytes.append(r->bytes());
  return Tuple(&kBatchMeta, 7, Values{Bytes{std::move(bytes)}});
}

TEST_CASE("A row's values read back through Rows in order, typed and by field name", "[tuple]") {
  const std::string long_word(300, 'w');
  const Row a("hello", 1, 2.5, true, Bytes{"\x01\x02"}, nullptr);
  const Row b(std::string_view(long_word), std::numeric_limits<int64_t>::min(), -0.0, false,
              Bytes{}, nullptr);
  const Tuple t = Batch({&a, &b});
  const Rows rows(t);
  REQUIRE(rows.size() == 2);
  CHECK(rows.meta() == &kRowMeta);
  CHECK(rows.source_task() == 7);
  CHECK(&rows.tuple() == &t);
  std::vector<RowView> seen(rows.begin(), rows.end());
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].GetString(0) == "hello");
  CHECK(seen[0].GetString("word") == "hello");
  CHECK(seen[0].GetInt("n") == 1);
  CHECK(seen[0].GetDouble(2) == 2.5);
  CHECK(seen[0].GetBool("flag"));
  CHECK(seen[0].GetBytes("raw") == "\x01\x02");
  CHECK(seen[0].IsNull("none"));
  CHECK(seen[0].TypeOf(1) == ValueType::kInt);
  CHECK(seen[1].GetString(0) == long_word);
  CHECK(seen[1].GetInt(1) == std::numeric_limits<int64_t>::min());
  CHECK(std::signbit(seen[1].GetDouble(2)));
  CHECK_FALSE(seen[1].GetBool(3));
  CHECK(seen[1].GetBytes(4).empty());
  CHECK(seen[0].ToValues() == Values{"hello", 1, 2.5, true, Bytes{"\x01\x02"}, Value()});
  CHECK(a.ToValues() == seen[0].ToValues());
  CHECK(seen[1].Get(0) == Value(long_word));
  CHECK(seen[0].end() == seen[1].data());
}

TEST_CASE("A row's typed reads name what is wrong, as a tuple's do", "[tuple]") {
  const Row a("hello", 1, 2.5, true, Bytes{}, nullptr);
  const Tuple t = Batch({&a});
  const RowView row = *Rows(t).begin();
  CHECK_THROWS_WITH(row.GetInt(0), "value is string, not int");
  CHECK_THROWS_WITH(row.GetString("n"), "value is int, not string");
  CHECK_THROWS_WITH(row.GetInt(6), "row of split:default has 6 values, no index 6");
  CHECK_THROWS_WITH(row.GetInt("nope"), "stream split:default has no field 'nope'");
}

TEST_CASE("A Row built value by value, past its inline bytes, is the same row", "[tuple]") {
  Row r;
  const std::string big(100, 'b');
  r.Add(big).Add(int64_t{42}).Add(Value(1.5)).Add(Value(false)).Add(Value(Bytes{"z"})).Add(Value());
  CHECK(r.size() == 6);
  CHECK(r.ToValues() == Values{big, 42, 1.5, false, Bytes{"z"}, Value()});
  const Row same(big, 42, 1.5, false, Bytes{"z"}, nullptr);
  CHECK(r.bytes() == same.bytes());
}

}  // namespace
}  // namespace gale
