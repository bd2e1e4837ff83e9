#include "connectors/postgres/upsert.h"

#include <catch2/catch.hpp>

namespace gale::connectors::postgres {
namespace {

TEST_CASE("BuildInsert writes a multi-row upsert that updates the non-key columns",
          "[connectors]") {
  UpsertSpec spec{"items", {"id", "name", "qty"}, {"id"}, true};
  CHECK(BuildInsert(spec, 2) ==
        "INSERT INTO \"items\" (\"id\", \"name\", \"qty\") VALUES ($1, $2, $3), ($4, $5, $6) "
        "ON CONFLICT (\"id\") DO UPDATE SET \"name\" = EXCLUDED.\"name\", \"qty\" = "
        "EXCLUDED.\"qty\"");
}

TEST_CASE("BuildInsert without conflict columns is a plain insert, with DO NOTHING on request",
          "[connectors]") {
  UpsertSpec spec{"s.t", {"a"}, {}, true};
  CHECK(BuildInsert(spec, 1) == "INSERT INTO \"s\".\"t\" (\"a\") VALUES ($1)");
  spec.conflict = {"a"};
  CHECK(BuildInsert(spec, 1) ==
        "INSERT INTO \"s\".\"t\" (\"a\") VALUES ($1) ON CONFLICT (\"a\") DO NOTHING");
  spec.columns = {"a", "b"};
  spec.update = false;
  CHECK(BuildInsert(spec, 1) ==
        "INSERT INTO \"s\".\"t\" (\"a\", \"b\") VALUES ($1, $2) ON CONFLICT (\"a\") DO NOTHING");
}

TEST_CASE("Identifiers are quoted, so a column name cannot inject SQL", "[connectors]") {
  CHECK(QuoteIdentifier("we\"ird") == "\"we\"\"ird\"");
  CHECK(QuoteIdentifier("x; DROP TABLE y") == "\"x; DROP TABLE y\"");
}

TEST_CASE("A batch never exceeds PostgreSQL's 65535 parameters", "[connectors]") {
  CHECK(MaxRows(3) == 21845);
  CHECK(MaxRows(70000) == 1);
  CHECK(MaxRows(3) * 3 <= 65535);
}

TEST_CASE("Data and integrity errors are the record's fault, others the batch's", "[connectors]") {
  CHECK(IsRecordError("22P02"));        // invalid input syntax
  CHECK(IsRecordError("22003"));        // numeric value out of range
  CHECK(IsRecordError("23502"));        // not null violation
  CHECK(IsRecordError("42804"));        // datatype mismatch
  CHECK_FALSE(IsRecordError("42P01"));  // undefined table
  CHECK_FALSE(IsRecordError("40P01"));  // deadlock
  CHECK_FALSE(IsRecordError(""));
}

TEST_CASE("RecordJson renders values as JSON strings, escaped, and nulls", "[connectors]") {
  CHECK(RecordJson({"a", "b", "c"}, {std::string("x\"y\n"), std::nullopt, std::string("\x01")}) ==
        R"({"a": "x\"y\n", "b": null, "c": "\u0001"})");
}

TEST_CASE("FailureCounter says when a record has failed max times, and forgets", "[connectors]") {
  FailureCounter f(3, /*capacity=*/2);
  CHECK(f.Failed("r") == 1);
  CHECK_FALSE(f.Exhausted(1));
  CHECK(f.Failed("r") == 2);
  CHECK(f.Exhausted(f.Failed("r")));
  f.Forget("r");
  CHECK(f.Failed("r") == 1);
  f.Failed("s");
  CHECK(f.size() == 2);
  f.Failed("t");  // over capacity: starts over rather than growing
  CHECK(f.size() == 1);
}

}  // namespace
}  // namespace gale::connectors::postgres
