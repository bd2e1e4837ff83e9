// PostgresSink: batched multi-row INSERT ... ON CONFLICT upserts, inputs
// acked once their statement committed; records the table rejects go to a
// dead-letter stream after a number of failures. See
// connectors/postgres/README.md.
#include "connectors/common/backoff.h"
#include "connectors/common/split_list.h"
#include "connectors/common/ticks.h"
#include "connectors/postgres/pg_client.h"
#include "connectors/postgres/upsert.h"

#include <gale/gale.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace gale::connectors::postgres {
namespace {

using Clock = std::chrono::steady_clock;
using connectors::SplitList;

// A value as PostgreSQL's text input for it.
Param ToParam(const gale::Value& v) {
  switch (v.type()) {
    case gale::ValueType::kNull: return std::nullopt;
    case gale::ValueType::kBool: return std::string(v.AsBool() ? "true" : "false");
    case gale::ValueType::kInt: return std::to_string(v.AsInt());
    case gale::ValueType::kDouble: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", v.AsDouble());
      return std::string(buf);
    }
    case gale::ValueType::kString: return v.AsString();
    case gale::ValueType::kBytes: {
      static const char* kHex = "0123456789abcdef";
      std::string out = "\\x";
      for (unsigned char c : v.AsBytes().data) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      return out;
    }
  }
  return std::nullopt;
}

// One row of a batch, and the inputs it carries: replays of the same key in
// one batch become one row (PostgreSQL refuses to update a row twice in
// one statement), the last one's values winning.
struct Row {
  std::vector<Param> values;
  std::vector<gale::Tuple> inputs;
};

}  // namespace

class PostgresSink : public gale::Bolt {
 public:
  // Ticks, so that a partial batch is written once it is postgres.batch.ms (200) old
  // even when no input comes (a topology.tick.tuple.freq.secs in the
  // topology file wins).
  gale::Config ComponentConfiguration() const override { return connectors::TicksEvery(0.1); }
  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    collector_ = &collector;
    logger_ = &context.logger();
    const gale::Config& c = context.config();
    Configure(c);
    failures_ = std::make_unique<FailureCounter>(static_cast<int>(max_failures_));
    client_ = std::make_unique<PgClient>(conninfo_);
    connectors::WarnWithoutTicks(c, *logger_,
                                 "a partial batch is written only when the next input comes");
    written_ = context.RegisterCounter("postgres.rows");
    dead_ = context.RegisterCounter("postgres.dead.letters");
    rejected_ = context.RegisterCounter("postgres.rejected");
    logger_->Info("upserting into ", spec_.table, " at ", client_->where());
  }

  void Execute(const gale::Tuple& input) override {
    const auto now = Clock::now();
    if (input.IsTick()) {
      if (!rows_.empty() && now - batch_start_ >= batch_age_) Flush(now);
      return;
    }
    if (spec_.columns.empty()) {  // the first input's fields name the columns
      for (size_t i = 0; i < input.fields().size(); ++i) spec_.columns.push_back(input.fields()[i]);
      batch_size_ = std::min(batch_size_, MaxRows(spec_.columns.size()));
    }
    std::vector<Param> values;
    for (const auto& column : spec_.columns) values.push_back(ToParam(input.Get(column)));
    if (rows_.empty()) batch_start_ = now;
    Add(std::move(values), input);
    if (rows_.size() >= batch_size_ || now - batch_start_ >= batch_age_) Flush(now);
  }

  void Cleanup() override {
    if (!rows_.empty()) Flush(Clock::now());
  }

  // Also checks the config: gale validate, submit and local refuse a bad one.
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    PostgresSink().Configure(declarer.config());
    declarer.DeclareStream(
        declarer.config().GetString("postgres.dead.letter.stream", "dead_letter"),
        {"record", "error", "failures"});
  }

 private:
  // Reads the settings; throws std::invalid_argument on a missing or bad one.
  void Configure(const gale::Config& c) {
    spec_.table = c.GetString("postgres.table", "");
    if (spec_.table.empty()) throw std::invalid_argument("PostgresSink: postgres.table is not set");
    spec_.columns = SplitList(c.GetString("postgres.columns", ""));
    spec_.conflict = SplitList(c.GetString("postgres.conflict.columns", ""));
    const std::string action = c.GetString("postgres.conflict.action", "update");
    if (action != "update" && action != "nothing") {
      throw std::invalid_argument("PostgresSink: postgres.conflict.action is '" + action +
                                  "', expected update or nothing");
    }
    spec_.update = action == "update";
    const int64_t batch = c.GetInt("postgres.batch.size", 500);
    batch_age_ = std::chrono::milliseconds(c.GetInt("postgres.batch.ms", 200));
    max_failures_ = c.GetInt("postgres.max.failures", 3);
    dead_letter_ = c.GetString("postgres.dead.letter.stream", "dead_letter");
    if (batch <= 0 || max_failures_ <= 0) {
      throw std::invalid_argument(
          "PostgresSink: postgres.batch.size and postgres.max.failures must be > 0");
    }
    batch_size_ = static_cast<size_t>(batch);
    if (!spec_.columns.empty()) batch_size_ = std::min(batch_size_, MaxRows(spec_.columns.size()));
    conninfo_ = c.GetString("postgres.conninfo", "host=127.0.0.1 port=5432 dbname=postgres");
    std::string error;
    if (!PgClient::CheckConninfo(conninfo_, &error)) {
      throw std::invalid_argument("PostgresSink: postgres.conninfo: " + error);
    }
  }

  void Add(std::vector<Param> values, const gale::Tuple& input) {
    if (!spec_.conflict.empty()) {
      std::string key;
      for (const auto& k : spec_.conflict) {
        for (size_t i = 0; i < spec_.columns.size(); ++i) {
          if (spec_.columns[i] == k) key += (values[i] ? "v" + *values[i] : "n") + '\x1f';
        }
      }
      auto [it, fresh] = by_key_.emplace(key, rows_.size());
      if (!fresh) {
        rows_[it->second].values = std::move(values);
        rows_[it->second].inputs.push_back(input);
        return;
      }
    }
    rows_.push_back(Row{std::move(values), {input}});
  }

  void Report(const std::string& message) {
    logger_->Error(message);
    collector_->ReportError(message);
  }

  void Flush(Clock::time_point now) {
    if (!client_->connected()) {
      std::string error;
      if (!backoff_.Ready(now)) return FailAll();
      if (!client_->Connect(&error)) {
        const auto delay = backoff_.Failed(now);
        Report("PostgresSink " + error + " (retrying in " + std::to_string(delay.count()) + " ms)");
        return FailAll();
      }
      logger_->Info("connected to ", client_->where());
    } else if (!backoff_.Ready(now)) {
      return FailAll();  // a statement error a moment ago: no replay storm
    }
    std::vector<Param> params;
    params.reserve(rows_.size() * spec_.columns.size());
    for (const auto& row : rows_) params.insert(params.end(), row.values.begin(), row.values.end());
    const PgResult r = client_->Exec(BuildInsert(spec_, rows_.size()), params);
    if (r.ok) {
      backoff_.Succeeded();
      for (auto& row : rows_) Done(row);
    } else if (r.connection_lost) {
      Lost(r, now);
      return FailAll();
    } else if (IsRecordError(r.sqlstate)) {
      RowByRow(now);  // a record's own fault: find it, write the others
    } else {
      const auto delay = backoff_.Failed(now);
      Report("PostgresSink " + client_->where() + ": INSERT INTO " + spec_.table + ": " +
             r.message + " (SQLSTATE " + r.sqlstate + "; retrying in " +
             std::to_string(delay.count()) + " ms)");
      return FailAll();
    }
    Clear();
  }

  // Each row alone: those the table takes are acked; a rejected one is
  // failed (replayed) until it has failed max.failures times, then sent to
  // the dead-letter stream with the database's message and acked.
  void RowByRow(Clock::time_point now) {
    const std::string sql = BuildInsert(spec_, 1);
    for (size_t i = 0; i < rows_.size(); ++i) {
      Row& row = rows_[i];
      const PgResult r = client_->Exec(sql, row.values);
      if (r.ok) {
        Done(row);
        continue;
      }
      if (r.connection_lost || !IsRecordError(r.sqlstate)) {
        if (r.connection_lost) Lost(r, now);
        for (size_t j = i; j < rows_.size(); ++j) {
          for (const auto& t : rows_[j].inputs) collector_->Fail(t);
        }
        return;
      }
      const std::string record = RecordJson(spec_.columns, row.values);
      const int failures = failures_->Failed(record);
      const std::string error = r.message + " (SQLSTATE " + r.sqlstate + ")";
      rejected_.Inc();
      if (failures_->Exhausted(failures)) {
        collector_->Emit(gale::Stream{dead_letter_}, gale::Anchors(ToAnchors(row)),
                         {record, error, static_cast<int64_t>(failures)});
        for (const auto& t : row.inputs) collector_->Ack(t);
        failures_->Forget(record);
        dead_.Inc();
        Report("PostgresSink " + client_->where() + ": " + spec_.table + " rejected " + record +
               " " + std::to_string(failures) + " times, sent to stream '" + dead_letter_ +
               "': " + error);
      } else {
        for (const auto& t : row.inputs) collector_->Fail(t);
        Report("PostgresSink " + client_->where() + ": " + spec_.table + " rejected " + record +
               " (failure " + std::to_string(failures) + "): " + error);
      }
    }
  }

  static std::vector<const gale::Tuple*> ToAnchors(const Row& row) {
    std::vector<const gale::Tuple*> out;
    for (const auto& t : row.inputs) out.push_back(&t);
    return out;
  }

  void Done(const Row& row) {
    for (const auto& t : row.inputs) collector_->Ack(t);
    written_.Inc();
  }

  void Lost(const PgResult& r, Clock::time_point now) {
    const auto delay = backoff_.Failed(now);
    Report("PostgresSink " + client_->where() + ": " + r.message + " (reconnecting in " +
           std::to_string(delay.count()) + " ms)");
    client_->Disconnect();
  }

  void FailAll() {
    for (const auto& row : rows_) {
      for (const auto& t : row.inputs) collector_->Fail(t);
    }
    Clear();
  }

  void Clear() {
    rows_.clear();
    by_key_.clear();
  }

  gale::OutputCollector* collector_ = nullptr;
  const gale::Logger* logger_ = nullptr;
  gale::Counter written_, dead_, rejected_;

  UpsertSpec spec_;
  size_t batch_size_ = 500;
  std::chrono::milliseconds batch_age_{200};
  std::string dead_letter_, conninfo_;
  int64_t max_failures_ = 3;
  std::unique_ptr<FailureCounter> failures_;

  std::unique_ptr<PgClient> client_;
  Backoff backoff_;
  std::vector<Row> rows_;
  std::unordered_map<std::string, size_t> by_key_;  // conflict key -> index in rows_
  Clock::time_point batch_start_{};
};

GALE_REGISTER_BOLT(PostgresSink);

}  // namespace gale::connectors::postgres
