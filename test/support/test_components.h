// test/support/test_components.h
//
// Spouts and bolts compiled into the test binary, registered in a
// ClassRegistry by TestClasses(), and what they observed, in a process-wide
// TestLog that each test resets. The acking tests mirror Storm's
// TopologyIntegrationTest with them.
#pragma once

#include "core/plugin/loader.h"

#include <gale/gale.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gale::testing {

// What the components saw. Thread-safe.
class TestLog {
 public:
  static TestLog& Get();
  void Reset();

  // FeederSpout input: the test feeds, the spout emits in order.
  void Feed(Values values, std::optional<uint64_t> id);
  // Feeds [i] with message id i for i = 1..n; returns the ids, in order.
  std::vector<uint64_t> FeedNumbers(uint64_t n);
  bool TakeFeed(Values* values, std::optional<uint64_t>* id);
  uint64_t fed() const;
  uint64_t consumed() const;

  void RecordAck(uint64_t id);
  void RecordFail(uint64_t id);
  std::vector<uint64_t> acked() const;
  std::vector<uint64_t> failed() const;

  void Count(const std::string& what, int64_t n = 1);
  int64_t count(const std::string& what) const;
  void Max(const std::string& what, int64_t v);
  void Set(const std::string& what, int64_t v);

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<Values, std::optional<uint64_t>>> feed_;
  size_t next_feed_ = 0;
  uint64_t consumed_ = 0;
  std::vector<uint64_t> acked_, failed_;
  std::map<std::string, int64_t> counts_;
};

// FeederSpout, BranchingBolt, AggBolt, DupAnchorBolt, ArityBolt, AckBolt,
// AckEveryOtherBolt, FailValueBolt, HoldBolt, UnanchoredForwardBolt,
// FailAllBolt, TickCountBolt, IdentityBolt, LingerBolt, ResetBurstBolt,
// OrderBolt, WindowRecorderBolt, RecordBolt, StatefulCounterBolt, ThreadBolt,
// RowEmitBolt, RowCountBolt: see
// test_components.cc.
plugin::ClassRegistry TestClasses();

}  // namespace gale::testing
