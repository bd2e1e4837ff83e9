// The word-count topology's plugin: a sentence spout, a splitter, a counter
// and a report bolt. See topologies/README.md for the config keys.
#include <gale/gale.h>

#include "bundled_text.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace wordcount {

// This task's lines of the text (sentences.file, else the bundled text):
// every n-th non-empty line for task n of the component.
std::vector<std::string> LoadLines(const gale::TopologyContext& context) {
  const std::string file = context.config().GetString("sentences.file", "");
  std::string text;
  if (file.empty()) {
    text = std::string(BundledText());
  } else {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read sentences.file '" + file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  std::vector<std::string> out;
  std::stringstream lines(text);
  std::string line;
  size_t index = 0;
  const auto tasks = context.component_tasks().size();
  const auto me = static_cast<size_t>(context.task_index());
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (index++ % tasks == me) out.push_back(line);
  }
  return out;
}

// sentences.per.second (0: as fast as allowed): Due() says when the next
// emit may go.
class Pacer {
 public:
  void Configure(const gale::Config& config) {
    const double rate = config.GetDouble("sentences.per.second", 0);
    interval_ = rate > 0 ? std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate))
                         : std::chrono::nanoseconds(0);
    next_ = std::chrono::steady_clock::now();
  }
  bool paced() const { return interval_.count() > 0; }
  bool Due() {
    if (!paced()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_) return false;
    next_ += interval_;
    if (next_ < now - std::chrono::seconds(1)) next_ = now;  // no bursts after a stall
    return true;
  }

 private:
  std::chrono::nanoseconds interval_{0};
  std::chrono::steady_clock::time_point next_;
};

// Emits the lines of a text, one tuple per non-empty line, reliably (with a
// message id) and replays a line whenever its tree fails. Each task takes
// every n-th line. Finite by default: exhausted once every line has been
// acked; with `sentences.loop: true` it starts over forever.
//
// Config: sentences.file (default: the bundled text), sentences.loop (false),
// sentences.per.second (0: as fast as allowed).
class SentenceSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    lines_ = LoadLines(context);
    loop_ = context.config().GetBool("sentences.loop", false);
    pacer_.Configure(context.config());
    context.logger().Info(lines_.size(), " sentences to emit", loop_ ? ", in a loop" : "",
                          pacer_.paced() ? ", paced (sentences.per.second)" : "");
  }

  void NextTuple() override {
    if (!pacer_.Due()) return;
    size_t line;
    if (!replay_.empty()) {
      line = replay_.front();
      replay_.pop_front();
    } else if (next_ < lines_.size()) {
      line = next_++;
      if (loop_ && next_ == lines_.size()) next_ = 0;
    } else {
      return;
    }
    const uint64_t id = next_id_++;
    pending_.emplace(id, line);
    collector_->Emit({lines_[line]}, gale::MessageId{id});
  }

  void Ack(gale::MessageId id) override { pending_.erase(id.value); }

  void Fail(gale::MessageId id) override {
    auto it = pending_.find(id.value);
    if (it == pending_.end()) return;
    replay_.push_back(it->second);
    pending_.erase(it);
  }

  bool IsExhausted() const override {
    return !loop_ && next_ >= lines_.size() && replay_.empty() && pending_.empty();
  }

  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"sentence"});
  }

 private:
  gale::SpoutOutputCollector* collector_ = nullptr;
  std::vector<std::string> lines_;
  size_t next_ = 0;
  bool loop_ = false;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, size_t> pending_;  // message id -> line
  std::deque<size_t> replay_;
  Pacer pacer_;
};

// SentenceSpout for exactly once (gale/stateful_spout.h): emits each line
// with no message id; its position, the next line, is saved with every
// checkpoint, and a rollback takes it back there. Finite. Config as
// SentenceSpout's (sentences.file, sentences.per.second).
class StatefulSentenceSpout : public gale::StatefulSpout {
 public:
  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    lines_ = LoadLines(context);
    pacer_.Configure(context.config());
  }
  void InitState(gale::KeyValueState& state) override {
    state_ = &state;
    next_ = static_cast<size_t>(state.Get("next", int64_t{0}).AsInt());
  }
  void NextTuple() override {
    if (next_ >= lines_.size() || !pacer_.Due()) return;
    collector_->Emit({lines_[next_++]});
  }
  void PrePrepare(int64_t) override { state_->Put("next", static_cast<int64_t>(next_)); }
  bool IsExhausted() const override { return next_ >= lines_.size(); }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"sentence"});
  }

 private:
  gale::SpoutOutputCollector* collector_ = nullptr;
  gale::KeyValueState* state_ = nullptr;
  std::vector<std::string> lines_;
  size_t next_ = 0;
  Pacer pacer_;
};

// Splits a sentence into lower-case words: maximal runs of ASCII letters
// (the same rule as `tr -cs 'A-Za-z' '\n' | tr 'A-Z' 'a-z'`). Emits each
// word anchored to the sentence, then acks it.
//
// Config: split.fail.every (0): fail every n-th input the first time that
// sentence is seen, before emitting anything, to exercise replay.
class SplitSentence : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    collector_ = &collector;
    fail_every_ = context.config().GetInt("split.fail.every", 0);
  }

  void Execute(const gale::Tuple& input) override {
    const std::string& sentence = input.GetString("sentence");
    ++seen_;
    if (fail_every_ > 0 && seen_ % fail_every_ == 0 && failed_once_.insert(sentence).second) {
      collector_->Fail(input);
      return;
    }
    std::string word;
    for (char ch : sentence) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if (std::isalpha(c) && c < 128) {
        word.push_back(static_cast<char>(std::tolower(c)));
      } else if (!word.empty()) {
        collector_->Emit(input, {word});
        word.clear();
      }
    }
    if (!word.empty()) collector_->Emit(input, {word});
    collector_->Ack(input);
  }

  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"word"});
  }

 private:
  gale::OutputCollector* collector_ = nullptr;
  int64_t fail_every_ = 0;
  int64_t seen_ = 0;
  std::unordered_set<std::string> failed_once_;
};

// Counts words (subscribe with a FIELDS grouping on "word") and emits the
// running count of each word it sees, anchored to its input.
class WordCount : public gale::BasicBolt {
 public:
  void Execute(const gale::Tuple& input, gale::BasicOutputCollector& collector) override {
    const std::string& word = input.GetString("word");
    const int64_t count = ++counts_[word];
    collector.Emit({word, count});
  }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"word", "count"});
  }

 private:
  std::unordered_map<std::string, int64_t> counts_;
};

// WordCount with its counts in checkpointed state (gale/stateful_bolt.h):
// they survive a worker restart, and a new run when the topology keeps its
// topology.state.namespace. Emits [word, count] as WordCount does.
class StatefulWordCount : public gale::StatefulBolt {
 public:
  void Prepare(const gale::TopologyContext&, gale::OutputCollector& collector) override {
    collector_ = &collector;
  }
  void InitState(gale::KeyValueState& state) override { counts_ = &state; }
  void Execute(const gale::Tuple& input) override {
    const std::string& word = input.GetString("word");
    const int64_t count = counts_->Get(word, int64_t{0}).AsInt() + 1;
    counts_->Put(word, count);
    collector_->Emit(input, {word, count});
    collector_->Ack(input);
  }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"word", "count"});
  }

 private:
  gale::OutputCollector* collector_ = nullptr;
  gale::KeyValueState* counts_ = nullptr;
};

// Counts words by window (gale/stateful_windowed_bolt.h): at each window's
// close adds the window's count of every word in it to the word's total in
// checkpointed state, and emits [word, count] with the new total. The
// window's contents are checkpointed with the totals, so a worker killed
// mid-window neither loses nor repeats a window's words. Window from the
// topology file; 1 s tumbling by default.
class WindowedWordCount : public gale::StatefulWindowedBolt {
 public:
  WindowedWordCount() { WithTumblingWindow(gale::Duration::Seconds(1)); }
  void Prepare(const gale::TopologyContext&, gale::OutputCollector& collector) override {
    collector_ = &collector;
  }
  void InitState(gale::KeyValueState& state) override { totals_ = &state; }
  void Execute(const gale::TupleWindow& window) override {
    std::map<std::string, int64_t> in_window;
    for (const gale::Tuple* t : window.GetNew()) ++in_window[t->GetString("word")];
    for (const auto& [word, n] : in_window) {
      const int64_t total = totals_->Get(word, int64_t{0}).AsInt() + n;
      totals_->Put(word, total);
      collector_->Emit({word, total});
    }
  }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"word", "count"});
  }

 private:
  gale::OutputCollector* collector_ = nullptr;
  gale::KeyValueState* totals_ = nullptr;
};

// Adds up [word, count] tuples (a keyed window count's results) into
// checkpointed totals, and emits [word, total].
class StatefulWordSum : public gale::StatefulBolt {
 public:
  void Prepare(const gale::TopologyContext&, gale::OutputCollector& collector) override {
    collector_ = &collector;
  }
  void InitState(gale::KeyValueState& state) override { totals_ = &state; }
  void Execute(const gale::Tuple& input) override {
    const std::string& word = input.GetString("word");
    const int64_t total = totals_->Get(word, int64_t{0}).AsInt() + input.GetInt("count");
    totals_->Put(word, total);
    collector_->Emit(input, {word, total});
    collector_->Ack(input);
  }
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    declarer.Declare({"word", "count"});
  }

 private:
  gale::OutputCollector* collector_ = nullptr;
  gale::KeyValueState* totals_ = nullptr;
};

// Keeps the latest count of every word (subscribe with GLOBAL grouping).
// On every tick tuple, and when the topology stops, writes all counts to
// `report.file` (if set; "word<TAB>count" lines sorted by word, replaced
// atomically); when it stops it also prints the top 10 to stdout.
class ReportBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    collector_ = &collector;
    file_ = context.config().GetString("report.file", "");
    context.logger().Info(file_.empty() ? "no report.file: the counts are printed at the end"
                                        : "writing the counts to " + file_ + " every tick");
  }

  void Execute(const gale::Tuple& input) override {
    if (input.IsTick()) {
      WriteFile();
      return;
    }
    int64_t& c = counts_[input.GetString("word")];
    c = std::max(c, input.GetInt("count"));
    collector_->Ack(input);
  }

  void Cleanup() override {
    WriteFile();
    std::vector<std::pair<std::string, int64_t>> top(counts_.begin(), counts_.end());
    std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (top.size() > 10) top.resize(10);
    std::ostringstream out;
    out << "top 10 words (of " << counts_.size() << " distinct):\n";
    for (const auto& [word, count] : top) out << "  " << count << "\t" << word << "\n";
    std::cout << out.str() << std::flush;
  }

  void DeclareOutputFields(gale::OutputDeclarer&) const override {}

 private:
  void WriteFile() {
    if (file_.empty()) return;
    const std::string tmp = file_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      for (const auto& [word, count] : counts_) out << word << "\t" << count << "\n";
      if (!out) {
        collector_->ReportError("cannot write report file '" + tmp + "'");
        return;
      }
    }
    if (std::rename(tmp.c_str(), file_.c_str()) != 0) {
      collector_->ReportError("cannot rename '" + tmp + "' to '" + file_ + "'");
    }
  }

  gale::OutputCollector* collector_ = nullptr;
  std::string file_;
  std::map<std::string, int64_t> counts_;  // sorted: the file comes out sorted
};

GALE_REGISTER_SPOUT(SentenceSpout);
GALE_REGISTER_SPOUT(StatefulSentenceSpout);
GALE_REGISTER_BOLT(SplitSentence);
GALE_REGISTER_BOLT(WordCount);
GALE_REGISTER_BOLT(StatefulWordCount);
GALE_REGISTER_BOLT(WindowedWordCount);
GALE_REGISTER_BOLT(StatefulWordSum);
GALE_REGISTER_BOLT(ReportBolt);

}  // namespace wordcount
