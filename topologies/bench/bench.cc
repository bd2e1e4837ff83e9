// The benchmark plugin (libbench.so): the spouts and bolts of workloads
// W1-W4 (../shared/reference/performance.md), run by scripts/bench.sh.
// See topologies/bench/README.md for every config key and the files the
// last bolts write.
#include <gale/gale.h>

#include "latency_histogram.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bench {
namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "<bench.out.dir>/<component>.<task>", or "" when bench.out.dir is unset.
std::string OutputBase(const gale::TopologyContext& context) {
  const std::string dir = context.config().GetString("bench.out.dir", "");
  if (dir.empty()) return "";
  return dir + "/" + context.component_id() + "." + std::to_string(context.task_id());
}

// Paces a spout at `bench.rate` tuples per second (per task) and gives each
// tuple its intended emit time: start + n / rate. The schedule never resets,
// so a spout held back (by max.spout.pending or backpressure) falls behind
// it, and that delay shows in the latency of what follows, as it would for
// a real source that cannot wait. Without a rate every tuple is due at once
// and its intended time is the moment it is emitted.
class Pacer {
 public:
  explicit Pacer(double rate) : interval_ns_(rate > 0 ? 1e9 / rate : 0), start_ns_(SteadyNanos()) {}

  bool paced() const { return interval_ns_ > 0; }
  // The clock as Due() read it last (at most as late as now).
  int64_t now() const { return now_; }
  // Starts the schedule over from now.
  void Restart() {
    start_ns_ = SteadyNanos();
    sent_ = 0;
  }

  // The intended time of the next tuple when it is due now, else nullopt.
  // Reads the clock only when the time it read last is before that: a
  // spout behind its schedule emits without clock reads, which cost this
  // VM's paced spout a third of its time.
  std::optional<int64_t> Due() {
    if (!paced()) return now_ = SteadyNanos();
    const int64_t intended = Intended();
    if (now_ < intended) {
      now_ = SteadyNanos();
      if (now_ < intended) return std::nullopt;
    }
    ++sent_;
    return intended;
  }
  // When the next tuple is due, as a time for SpoutOutputCollector::WakeAt.
  std::chrono::steady_clock::time_point NextDue() const {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(Intended()));
  }

 private:
  // The intended time of the next tuple (steady_clock nanos).
  int64_t Intended() const {
    return start_ns_ + static_cast<int64_t>(static_cast<double>(sent_) * interval_ns_);
  }

  const double interval_ns_;
  int64_t start_ns_;
  int64_t now_ = 0;  // the clock as Due() read it last
  uint64_t sent_ = 0;
};

// A file opened for appending (created when missing), closed with its
// owner; null until Open().
class AppendFile {
 public:
  AppendFile() = default;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile() {
    if (file_) std::fclose(file_);
  }
  void Open(const std::string& path) {
    file_ = std::fopen(path.c_str(), "a");
    if (!file_) throw std::runtime_error("cannot open '" + path + "'");
  }
  std::FILE* get() const { return file_; }
  explicit operator bool() const { return file_ != nullptr; }

 private:
  std::FILE* file_ = nullptr;
};

// What a last bolt records: the tuples it took and, for tuples that carry an
// "intended" field (steady_clock nanos), their latency from that time. On
// every tick it appends "<steady nanos> <count>" to <base>.count and
// rewrites <base>.hist (latency_histogram.h) when it has new latencies (an
// idle sink rewriting an unchanged file ten times a second was a third of
// what W4's idle cluster spent).
class SinkRecorder {
 public:
  void Open(const gale::TopologyContext& context, gale::OutputCollector& collector) {
    collector_ = &collector;
    base_ = OutputBase(context);
    if (base_.empty()) return;
    count_file_.Open(base_ + ".count");
  }

  // `n`: how many items the input stands for (a packed tuple's words).
  void Record(const gale::Tuple& input, uint64_t n = 1) {
    count_ += n;
    if (input.meta() != meta_) {  // the field's index, looked up once per stream
      meta_ = input.meta();
      intended_index_ = input.fields().IndexOf("intended");
    }
    if (intended_index_) histogram_.Add(SteadyNanos() - input.GetInt(*intended_index_));
  }

  void Write() {
    if (!count_file_) return;
    const int64_t now = SteadyNanos();
    std::fprintf(count_file_.get(), "%lld %llu\n", static_cast<long long>(now),
                 static_cast<unsigned long long>(count_));
    std::fflush(count_file_.get());
    if (histogram_.total() > written_) WriteHistogram(now);
  }

 private:
  void WriteHistogram(int64_t now) {
    const std::string file = base_ + ".hist", tmp = file + ".tmp";
    std::FILE* out = std::fopen(tmp.c_str(), "w");
    if (!out) {
      collector_->ReportError("cannot write '" + tmp + "'");
      return;
    }
    std::fprintf(out, "# %lld %llu\n", static_cast<long long>(now),
                 static_cast<unsigned long long>(histogram_.total()));
    for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
      if (histogram_.count(i) == 0) continue;
      std::fprintf(out, "%zu %llu\n", i, static_cast<unsigned long long>(histogram_.count(i)));
    }
    const bool ok = std::fclose(out) == 0;
    if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0) {
      collector_->ReportError("cannot write '" + file + "'");
      return;
    }
    written_ = histogram_.total();
  }

  gale::OutputCollector* collector_ = nullptr;
  std::string base_;
  AppendFile count_file_;
  uint64_t count_ = 0;
  const gale::StreamMeta* meta_ = nullptr;
  std::optional<size_t> intended_index_;
  LatencyHistogram histogram_;
  uint64_t written_ = 0;  // latencies in the .hist file
};

// What a spout with message ids records: trees acked and failed, and the
// summed complete latency (from the emit to the spout's Ack) of one acked
// tree in kSample (ids divisible by it: clock reads cost this VM's paced
// spout a third of its time, and a 1-in-8 sample of millions of trees
// gives the same mean). Every 100 ms it appends "<steady nanos> <acked>
// <failed> <complete nanos summed> <trees summed>" to <base>.acked. Emit times are kept in a ring
// indexed by message id, so ids must be consecutive and fewer than kRing trees pending
// (max.spout.pending is at most a few thousand in the benchmarks).
class AckedRecorder {
 public:
  // False when bench.out.dir is unset (nothing is recorded then).
  bool Open(const gale::TopologyContext& context) {
    const std::string base = OutputBase(context);
    if (base.empty()) return false;
    file_.Open(base + ".acked");
    emitted_.assign(kRing, 0);
    return true;
  }
  static constexpr uint64_t kSample = 8;
  static bool Sampled(uint64_t id) { return id % kSample == 0; }

  // A tree was emitted: its time is read for the sampled ids.
  void Emitted(uint64_t id) {
    if (file_ && Sampled(id)) emitted_[id / kSample % kRing] = SteadyNanos();
  }
  void Acked(uint64_t id) {
    if (!file_) return;
    ++acked_;
    if (!Sampled(id)) return;
    const int64_t now = SteadyNanos();
    complete_nanos_ += static_cast<uint64_t>(now - emitted_[id / kSample % kRing]);
    ++complete_trees_;
    MaybeWrite(now);
  }
  void Failed() { ++failed_; }

  void MaybeWrite(int64_t now, bool force = false) {
    if (!file_) return;
    if (!force && now - last_write_ns_ < 100'000'000) return;
    last_write_ns_ = now;
    std::fprintf(file_.get(), "%lld %llu %llu %llu %llu\n", static_cast<long long>(now),
                 static_cast<unsigned long long>(acked_), static_cast<unsigned long long>(failed_),
                 static_cast<unsigned long long>(complete_nanos_),
                 static_cast<unsigned long long>(complete_trees_));
    std::fflush(file_.get());
  }

 private:
  static constexpr size_t kRing = 1 << 16;
  AppendFile file_;
  std::vector<int64_t> emitted_;
  uint64_t acked_ = 0, failed_ = 0, complete_nanos_ = 0, complete_trees_ = 0;
  int64_t last_write_ns_ = 0;
};

// Storm's ConstSpout: emits one short constant string per NextTuple, with
// a message id when const.message.ids is true. With bench.rate > 0 it is
// paced and emits ["value", "intended"] instead of ["value"], and, with
// message ids, records its trees' complete latency (AckedRecorder); unpaced
// it reads no clock.
class ConstSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    const gale::Config& config = context.config();
    value_ = config.GetString("const.value", "some data");
    message_ids_ = config.GetBool("const.message.ids", false);
    rows_ = config.GetBool("const.rows", false);
    pacer_.emplace(config.GetDouble("bench.rate", 0));
    if (pacer_->paced() && message_ids_) recorder_.Open(context);
  }

  void Ack(gale::MessageId id) override { recorder_.Acked(id.value); }
  void Fail(gale::MessageId) override { recorder_.Failed(); }
  void Close() override { recorder_.MaybeWrite(SteadyNanos(), /*force=*/true); }

  void NextTuple() override {
    // Values built by emplace_back: the second value depends on the pacer.
    gale::Values values;
    if (pacer_->paced()) {
      const auto intended = pacer_->Due();
      recorder_.MaybeWrite(pacer_->now());
      if (!intended) {
        collector_->WakeAt(pacer_->NextDue());  // no polling until then
        return;
      }
      values.emplace_back(value_);
      values.emplace_back(*intended);
    } else if (rows_ && !message_ids_) {
      // W1 in rows: the value written straight into a batch (EmitRow).
      collector_->EmitRow(value_);
      return;
    } else {
      values.emplace_back(value_);
    }
    Emit(std::move(values));
  }

  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    if (declarer.config().GetDouble("bench.rate", 0) > 0) {
      declarer.Declare({"value", "intended"});
    } else {
      declarer.Declare({"value"});
    }
  }

 private:
  // Takes the values by reference: a by-value parameter moved them (and
  // their string) once more right after NextTuple copied the string in,
  // and a load of bytes that were just written by several stores stalls
  // until they reach the cache (perf: 40% of the spout thread in slow W1
  // runs, which were about one in four).
  void Emit(gale::Values&& values) {
    if (message_ids_) {
      recorder_.Emitted(next_id_);
      collector_->Emit(std::move(values), gale::MessageId{next_id_++});
    } else {
      collector_->Emit(std::move(values));
    }
  }

  gale::SpoutOutputCollector* collector_ = nullptr;
  std::string value_;
  bool message_ids_ = false;
  bool rows_ = false;  // const.rows: unpaced, without ids, emits rows
  uint64_t next_id_ = 1;
  std::optional<Pacer> pacer_;
  AckedRecorder recorder_;
};

// Forwards every input unchanged, anchored to it, then acks it. Declares
// the fields ConstSpout emits under the same bench.rate.
class IdBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext&, gale::OutputCollector& collector) override {
    collector_ = &collector;
  }
  void Execute(const gale::Tuple& input) override {
    collector_->Emit(input, input.values());
    collector_->Ack(input);
  }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    if (declarer.config().GetDouble("bench.rate", 0) > 0) {
      declarer.Declare({"value", "intended"});
    } else {
      declarer.Declare({"value"});
    }
  }

 private:
  gale::OutputCollector* collector_ = nullptr;
};

// A last bolt: hands every input to `Take` (a functor), acks and counts it
// (SinkRecorder), and writes its files on ticks and at Cleanup. A template
// rather than a virtual hook, so that NullBolt's W1 path has no extra call.
template <typename Take>
class SinkBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    collector_ = &collector;
    recorder_.Open(context, collector);
  }
  void Execute(const gale::Tuple& input) override {
    if (input.IsTick()) {
      recorder_.Write();
      return;
    }
    take_(input);
    recorder_.Record(input);
    collector_->Ack(input);
  }
  void Cleanup() override { recorder_.Write(); }
  void DeclareOutputFields(gale::OutputDeclarer&) const override {}

 protected:
  gale::OutputCollector* collector_ = nullptr;
  SinkRecorder recorder_;

 private:
  Take take_;
};

struct TakeNothing {
  void operator()(const gale::Tuple&) {}
};

// Acks and counts every input.
// Takes a batch of rows (W1 in rows, `rows=true`) whole: counts its rows
// and acks it. Rows that carry an "intended" time (paced runs) it takes one
// by one, for their latency.
class NullBolt final : public SinkBolt<TakeNothing> {
 public:
  bool ExecuteRows(const gale::Rows& rows) override {
    if (rows.meta()->fields.Contains("intended")) return false;
    recorder_.Record(rows.tuple(), rows.size());
    collector_->Ack(rows.tuple());
    return true;
  }
};

// The storm-loadgen sentence set: Storm's RandomSentenceSpout sentences,
// 32 words in 5 sentences (6.4 words on average).
constexpr std::string_view kSentences[] = {
    "the cow jumped over the moon",   "an apple a day keeps the doctor away",
    "four score and seven years ago", "snow white and the seven dwarfs",
    "i am at two with nature",
};

// Emits the five sentences in turn, each with a message id, as
// ["sentence", "intended"], paced by bench.rate (0: as fast as
// max.spout.pending allows). Failed trees are counted, not replayed; what
// completes is recorded by an AckedRecorder (<base>.acked).
//
// It emits a single sentence first and starts its schedule when that tree
// completes (or fails, or after 5 s): by then the workers are connected, so
// the schedule does not begin with a backlog of tuples that waited for a
// peer to start (at 100% of the maximum rate such a backlog never drains).
//
// With bench.sentences > 0 it stops after that many, and from then on is a
// source with nothing to read: NextTuple emits nothing and names no time
// to be called again, so the executor's idle wait applies (W4's idle row).
class SentenceSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    pacer_.emplace(context.config().GetDouble("bench.rate", 0));
    const int64_t limit = context.config().GetInt("bench.sentences", 0);
    if (limit < 0) {
      throw std::invalid_argument("bench.sentences is " + std::to_string(limit) +
                                  "; it must be 0 (no limit) or more");
    }
    limit_ = static_cast<uint64_t>(limit);
    recorder_.Open(context);
  }

  void NextTuple() override {
    if (limit_ > 0 && next_id_ >= limit_) {  // nothing left to read
      recorder_.MaybeWrite(SteadyNanos());
      return;
    }
    if (!started_ && next_id_ > 0) {  // the first tree is still on its way
      if (SteadyNanos() - first_emit_ns_ < 5'000'000'000) return;
      Start();
    }
    const auto intended = pacer_->Due();
    recorder_.MaybeWrite(pacer_->now());
    if (!intended) {
      collector_->WakeAt(pacer_->NextDue());  // no polling until then
      return;
    }
    if (next_id_ == 0) first_emit_ns_ = pacer_->now();
    const std::string_view sentence = kSentences[next_id_ % std::size(kSentences)];
    recorder_.Emitted(next_id_);
    collector_->Emit({sentence, *intended}, gale::MessageId{next_id_++});
  }

  void Ack(gale::MessageId id) override {
    recorder_.Acked(id.value);
    Start();
  }
  void Fail(gale::MessageId) override {
    recorder_.Failed();
    Start();
  }
  void Close() override { recorder_.MaybeWrite(SteadyNanos(), /*force=*/true); }

  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"sentence", "intended"});
  }

 private:
  void Start() {
    if (started_) return;
    started_ = true;
    pacer_->Restart();
  }

  gale::SpoutOutputCollector* collector_ = nullptr;
  std::optional<Pacer> pacer_;
  bool started_ = false;  // the first tree completed
  int64_t first_emit_ns_ = 0;
  uint64_t next_id_ = 0;
  uint64_t limit_ = 0;  // bench.sentences; 0: no limit
  AckedRecorder recorder_;
};

// Calls f(word) for each word of `text` split on single spaces, skipping the
// empty words that two spaces in a row make (the split bolts of W4 and W5).
template <typename F>
void ForEachWord(std::string_view text, F&& f) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) f(text.substr(start, end - start));
    start = end + 1;
  }
}

// Splits a sentence on spaces and emits each ["word", "intended"] anchored
// to it, then acks it.
class SplitBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext&, gale::OutputCollector& collector) override {
    collector_ = &collector;
  }
  void Execute(const gale::Tuple& input) override {
    const std::string& sentence = input.GetString(0);
    const int64_t intended = input.GetInt(1);
    ForEachWord(sentence, [&](std::string_view word) {
      collector_->Emit(input, {word, intended});
    });
    collector_->Ack(input);
  }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"word", "intended"});
  }

 private:
  gale::OutputCollector* collector_ = nullptr;
};

struct CountWords {
  void operator()(const gale::Tuple& input) { ++counts[input.GetString(0)]; }
  std::unordered_map<std::string, int64_t> counts;
};

// Counts words (subscribe with FIELDS on "word"), acks, and records like
// NullBolt: the number of words taken and their latency from the intended
// emit time of their sentence. Emits nothing: it is the last bolt.
class CountBolt final : public SinkBolt<CountWords> {};

// ---- W5: WindFlow's word count (issue 20) ----------------------------------

// Emits the lines of lines.file, one [line] tuple each, without message ids,
// lines.passes times over (0: forever).
class LinesSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    const std::string file = context.config().GetString("lines.file", "");
    std::FILE* in = std::fopen(file.c_str(), "r");
    if (!in) throw std::runtime_error("cannot read lines.file '" + file + "'");
    char buf[65536];
    while (std::fgets(buf, sizeof buf, in)) {
      std::string line(buf);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      lines_.push_back(std::move(line));
    }
    std::fclose(in);
    if (lines_.empty()) throw std::runtime_error("lines.file '" + file + "' has no lines");
    passes_ = context.config().GetInt("lines.passes", 0);
    // lines.rows: each line as a row (EmitRow), which travel in batches.
    rows_ = context.config().GetBool("lines.rows", false);
    // lines.per.tuple > 1: each tuple is that many lines joined by a space
    // (their words stay the same, as a split on single spaces skips empty
    // ones), a pass's last tuple the lines left. The packed W5 rows use it
    // to vary how many words one tuple carries.
    const int64_t per_tuple = context.config().GetInt("lines.per.tuple", 1);
    if (per_tuple < 1) {
      throw std::invalid_argument("lines.per.tuple is " + std::to_string(per_tuple) +
                                  "; it must be 1 or more");
    }
    if (per_tuple > 1) {
      std::vector<std::string> joined;
      for (size_t i = 0; i < lines_.size(); i += static_cast<size_t>(per_tuple)) {
        const size_t end = std::min(lines_.size(), i + static_cast<size_t>(per_tuple));
        std::string chunk = lines_[i];
        for (size_t j = i + 1; j < end; ++j) chunk.append(1, ' ').append(lines_[j]);
        joined.push_back(std::move(chunk));
      }
      lines_ = std::move(joined);
    }
  }
  void NextTuple() override {
    if (IsExhausted()) return;
    if (rows_) {
      collector_->EmitRow(lines_[next_]);
    } else {
      gale::Values values;
      values.emplace_back(lines_[next_]);
      collector_->Emit(std::move(values));
    }
    if (++next_ == lines_.size()) {
      next_ = 0;
      ++pass_;
    }
  }
  bool IsExhausted() const override { return passes_ > 0 && pass_ >= passes_; }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"line"});
  }

 private:
  gale::SpoutOutputCollector* collector_ = nullptr;
  std::vector<std::string> lines_;
  size_t next_ = 0;
  int64_t pass_ = 0, passes_ = 0;
  bool rows_ = false;
};

// Splits a line on single spaces into [word, 1] tuples (empty words, from
// two spaces in a row, are skipped), unanchored.
// With `split.rows` true it emits each [word, 1] as a row (EmitRow: batches
// of rows, gale/rows.h), else as a tuple (Emit); lines that come as rows it
// reads a batch at once (ExecuteRows), as views into the batch.
class SplitWordsBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    collector_ = &collector;
    rows_ = context.config().GetBool("split.rows", false);
  }
  void Execute(const gale::Tuple& input) override {
    const std::string& line = input.GetString(0);
    if (rows_) {
      ForEachWord(line, [&](std::string_view word) { collector_->EmitRow(word, 1); });
    } else {
      ForEachWord(line, [&](std::string_view word) {
        gale::Values values;
        values.emplace_back(word);
        values.emplace_back(int64_t{1});
        collector_->Emit(std::move(values));
      });
    }
    collector_->Ack(input);
  }
  bool ExecuteRows(const gale::Rows& lines) override {
    if (!rows_) return false;
    for (const gale::RowView line : lines) {
      ForEachWord(line.GetString(0), [&](std::string_view word) { collector_->EmitRow(word, 1); });
    }
    collector_->Ack(lines.tuple());
    return true;
  }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"word", "count"});
  }

 private:
  gale::OutputCollector* collector_ = nullptr;
  bool rows_ = false;
};

// W5's count: adds each [word, n] into a hash map, counted for the probe
// like NullBolt; at Cleanup writes "<count> <word>" lines, sorted by word, to
// w5.counts.file when it is set (the correctness test). `Derived::Count`
// adds one input (a template, not a virtual call per word).
template <typename Derived>
class WordCountSink : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    collector_ = &collector;
    recorder_.Open(context, collector);
    // An empty property (`counts.file=`, as scripts/bench.sh gives) is a
    // null value: no file, not one named "null" in the working directory.
    const gale::Value* file = context.config().Find("w5.counts.file");
    if (file != nullptr && !file->is_null()) counts_file_ = file->ToString();
  }
  void Execute(const gale::Tuple& input) override {
    if (input.IsTick()) {
      recorder_.Write();
      return;
    }
    static_cast<Derived*>(this)->Count(input);
    collector_->Ack(input);
  }
  void Cleanup() override {
    recorder_.Write();
    if (counts_file_.empty()) return;
    std::map<std::string, int64_t> sorted(counts_.begin(), counts_.end());
    std::FILE* out = std::fopen(counts_file_.c_str(), "w");
    if (!out) return;
    for (const auto& [word, n] : sorted) {
      std::fprintf(out, "%lld %s\n", static_cast<long long>(n), word.c_str());
    }
    std::fclose(out);
  }
  void DeclareOutputFields(gale::OutputDeclarer&) const override {}

 protected:
  gale::OutputCollector& collector() { return *collector_; }
  SinkRecorder recorder_;
  // Looked up by a std::string or a string_view (a row's word) alike,
  // with the same hash as the reference's std::hash<std::string>.
  struct WordHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int64_t, WordHash, std::equal_to<>> counts_;

 private:
  gale::OutputCollector* collector_ = nullptr;
  std::string counts_file_;
};

// Batches of rows it reads whole (ExecuteRows), looking each word up by a
// view into the batch, unless `count.rows` is false: the runtime then calls
// Execute with each row as a tuple.
class WordCountMapBolt final : public WordCountSink<WordCountMapBolt> {
 public:
  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    WordCountSink::Prepare(context, collector);
    take_rows_ = context.config().GetBool("count.rows", true);
  }
  void Count(const gale::Tuple& input) {
    counts_[input.GetString(0)] += input.GetInt(1);
    recorder_.Record(input);
  }
  bool ExecuteRows(const gale::Rows& rows) override {
    if (!take_rows_) return false;
    for (const gale::RowView row : rows) {
      // A view into the batch: the word is copied only when it is new.
      const std::string_view word = row.GetString(0);
      const int64_t n = row.GetInt(1);
      if (auto it = counts_.find(word); it != counts_.end()) {
        it->second += n;
      } else {
        counts_.emplace(word, n);
      }
    }
    recorder_.Record(rows.tuple(), rows.size());
    collector().Ack(rows.tuple());
    return true;
  }

 private:
  bool take_rows_ = true;
};

// ---- W5 with a line's words in one tuple (issue 20) -------------------------
//
// Not W5: the same counts, with the engine's per-tuple cost paid once a
// line instead of once a word. It measures what typed batches of rows
// between components would leave of W5's gap to its reference (bench/README.md).

// Splits a line on single spaces like SplitWordsBolt, and emits its words as
// one [words, n] tuple: `words` packs each word as a byte of length and its
// bytes (a word of 256 bytes or more fails the line), as a column of strings
// would.
class SplitWordsPackedBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext&, gale::OutputCollector& collector) override {
    collector_ = &collector;
  }
  void Execute(const gale::Tuple& input) override {
    const std::string& line = input.GetString(0);
    gale::Bytes packed;
    packed.data.reserve(line.size() + 16);
    int64_t n = 0;
    ForEachWord(line, [&](std::string_view word) {
      if (word.size() > 255) throw std::invalid_argument("a word of 256 bytes or more");
      packed.data.push_back(static_cast<char>(word.size()));
      packed.data.append(word);
      ++n;
    });
    if (n > 0) collector_->Emit({std::move(packed), n});
    collector_->Ack(input);
  }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"words", "count"});
  }

 private:
  gale::OutputCollector* collector_ = nullptr;
};

// WordCountMapBolt for SplitWordsPackedBolt's tuples: adds each packed word
// into the map, counting words for the probe.
class WordCountPackedBolt final : public WordCountSink<WordCountPackedBolt> {
 public:
  void Count(const gale::Tuple& input) {
    const std::string& packed = input.GetBytes(0).data;
    std::string word;
    for (size_t at = 0; at < packed.size();) {
      const size_t len = static_cast<unsigned char>(packed[at]);
      word.assign(packed, at + 1, len);
      ++counts_[word];
      at += 1 + len;
    }
    recorder_.Record(input, static_cast<uint64_t>(input.GetInt(1)));
  }
};

}  // namespace

GALE_REGISTER_SPOUT(LinesSpout);
GALE_REGISTER_BOLT(SplitWordsBolt);
GALE_REGISTER_BOLT(WordCountMapBolt);
GALE_REGISTER_BOLT(SplitWordsPackedBolt);
GALE_REGISTER_BOLT(WordCountPackedBolt);
GALE_REGISTER_SPOUT(ConstSpout);
GALE_REGISTER_BOLT(IdBolt);
GALE_REGISTER_BOLT(NullBolt);
GALE_REGISTER_SPOUT(SentenceSpout);
GALE_REGISTER_BOLT(SplitBolt);
GALE_REGISTER_BOLT(CountBolt);

}  // namespace bench
