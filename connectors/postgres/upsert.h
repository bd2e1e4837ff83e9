// connectors/postgres/upsert.h
//
// The SQL and bookkeeping of PostgresSink that need no server: the batched
// INSERT ... ON CONFLICT statement, which errors are a record's own fault,
// a record's text form for the dead-letter stream, and the count of
// failures per record. Unit tested in test/connectors/postgres/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace gale::connectors::postgres {

struct UpsertSpec {
  std::string table;                  // "name" or "schema.name"
  std::vector<std::string> columns;   // in parameter order
  std::vector<std::string> conflict;  // empty: a plain INSERT
  bool update = true;                 // on conflict: update the other columns (or do nothing)
};

// "name" -> "\"name\"", doubling quotes inside; "a.b" -> "\"a\".\"b\"".
std::string QuoteIdentifier(const std::string& name);

// INSERT INTO t (c1, c2) VALUES ($1, $2), ($3, $4) [ON CONFLICT (k) DO
// UPDATE SET c2 = EXCLUDED.c2 | DO NOTHING], for `rows` rows.
std::string BuildInsert(const UpsertSpec& spec, size_t rows);

// The most rows one statement may carry: PostgreSQL takes at most 65535
// parameters.
size_t MaxRows(size_t columns);

// Whether an error (by SQLSTATE) is about the record itself, so that the
// other records of its batch can still be written: data exceptions (class
// 22: a value the column's type rejects), integrity violations (class 23),
// datatype mismatch (42804).
bool IsRecordError(const std::string& sqlstate);

// {"col": "value", "n": null}: the record as JSON text (every value a string
// or null), for the dead-letter stream.
std::string RecordJson(const std::vector<std::string>& columns,
                       const std::vector<std::optional<std::string>>& values);

// Counts failures per record (by its text) so that a record that keeps
// failing can be set aside after `max` attempts instead of replaying
// forever. Bounded: when it holds `capacity` records it starts over.
class FailureCounter {
 public:
  explicit FailureCounter(int max, size_t capacity = 100000) : max_(max), capacity_(capacity) {}
  // Records a failure; returns the record's failures so far.
  int Failed(const std::string& record);
  // True once a record failed `max` times.
  bool Exhausted(int failures) const { return failures >= max_; }
  void Forget(const std::string& record) { counts_.erase(record); }
  size_t size() const { return counts_.size(); }

 private:
  int max_;
  size_t capacity_;
  std::unordered_map<std::string, int> counts_;
};

}  // namespace gale::connectors::postgres
