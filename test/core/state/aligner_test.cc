// The barrier aligner of exactly-once checkpoints (core/state/aligner.h),
// on its own: which data runs, waits or is dropped around PREPARE and
// ROLLBACK barriers from three input tasks, and which barriers are acked,
// failed or handed to the task.
#include "core/state/aligner.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace gale::state {
namespace {

// Records what the aligner decided, in order: "run d1", "complete PREPARE
// 5 p3", "ack p1", "fail p2", "dropped 2", "overflow".
struct Recorder {
  std::vector<std::string> events;
  void Run(const std::string& t) { events.push_back("run " + t); }
  void Complete(const std::string& t, int64_t txid, Action a) {
    events.push_back(std::string("complete ") + ActionName(a) + " " + std::to_string(txid) + " " +
                     t);
  }
  void Ack(const std::string& t) { events.push_back("ack " + t); }
  void Fail(const std::string& t, const char*) { events.push_back("fail " + t); }
  void Dropped(size_t n) { events.push_back("dropped " + std::to_string(n)); }
  void Overflowed() { events.push_back("overflow"); }
  std::vector<std::string> Take() {
    std::vector<std::string> out;
    out.swap(events);
    return out;
  }
};

using Events = std::vector<std::string>;

// An aligner over input tasks 1, 2, 3 that has completed its first rollback.
BarrierAligner<std::string> Initialized(Recorder& r, size_t max_held = 100) {
  BarrierAligner<std::string> a({3, 1, 2, 2}, max_held);
  for (int32_t s : {1, 2, 3}) a.OnBarrier(s, 1, Action::kRollback, "r" + std::to_string(s), r);
  r.Take();
  return a;
}

TEST_CASE("A task drops data and fails PREPARE until its first rollback completes",
          "[state][aligner]") {
  Recorder r;
  BarrierAligner<std::string> a({1, 2, 3}, 100);
  CHECK_FALSE(a.initialized());
  a.OnData(1, "d1", r);
  a.OnBarrier(1, 4, Action::kPrepare, "p1", r);
  CHECK(r.Take() == Events{"dropped 1", "fail p1"});
  // A rollback from every input task: what came after it on a task that
  // sent it waits; what came before it elsewhere is stale.
  a.OnBarrier(2, 4, Action::kRollback, "r2", r);
  a.OnData(2, "after2", r);
  a.OnData(1, "before1", r);
  a.OnBarrier(1, 4, Action::kRollback, "r1", r);
  a.OnBarrier(3, 4, Action::kRollback, "r3", r);
  CHECK(r.Take() ==
        Events{"dropped 1", "ack r2", "ack r1", "complete ROLLBACK 4 r3", "run after2"});
  CHECK(a.initialized());
  a.OnData(3, "d3", r);
  CHECK(r.Take() == Events{"run d3"});
}

TEST_CASE("A PREPARE holds the data behind it until it came from every input", "[state][aligner]") {
  Recorder r;
  auto a = Initialized(r);
  a.OnBarrier(2, 5, Action::kPrepare, "p2", r);
  a.OnData(2, "x", r);  // after p2: waits
  a.OnData(1, "y", r);  // before p1: runs
  a.OnBarrier(1, 5, Action::kPrepare, "p1", r);
  a.OnData(1, "z", r);
  a.OnData(2, "w", r);
  CHECK(a.held() == 3);
  a.OnBarrier(3, 5, Action::kPrepare, "p3", r);
  CHECK(r.Take() ==
        Events{"run y", "ack p2", "ack p1", "complete PREPARE 5 p3", "run x", "run z", "run w"});
  CHECK_FALSE(a.aligning());
  // COMMIT is counted, not aligned: data flows by it.
  a.OnBarrier(1, 5, Action::kCommit, "c1", r);
  a.OnData(1, "v", r);
  a.OnBarrier(2, 5, Action::kCommit, "c2", r);
  a.OnBarrier(3, 5, Action::kCommit, "c3", r);
  CHECK(r.Take() == Events{"ack c1", "run v", "ack c2", "complete COMMIT 5 c3"});
}

TEST_CASE("A ROLLBACK abandons the PREPARE being aligned and drops what it held",
          "[state][aligner]") {
  Recorder r;
  auto a = Initialized(r);
  a.OnBarrier(1, 6, Action::kPrepare, "p1", r);
  a.OnData(1, "held", r);
  a.OnBarrier(2, 6, Action::kRollback, "r2", r);
  CHECK(r.Take() == Events{"fail p1", "dropped 1"});
  a.OnData(1, "stale", r);  // task 1 has not sent the rollback yet
  a.OnData(2, "fresh", r);
  a.OnBarrier(1, 6, Action::kRollback, "r1", r);
  a.OnBarrier(3, 6, Action::kPrepare, "late", r);  // not during a rollback
  a.OnBarrier(3, 6, Action::kRollback, "r3", r);
  CHECK(r.Take() == Events{"dropped 1", "fail late", "ack r2", "ack r1", "complete ROLLBACK 6 r3",
                           "run fresh"});
}

TEST_CASE("A second ROLLBACK from the same input starts the alignment over", "[state][aligner]") {
  Recorder r;
  auto a = Initialized(r);
  a.OnBarrier(1, 7, Action::kRollback, "r1", r);
  a.OnData(1, "between", r);  // after the first rollback, before the second: stale again
  a.OnBarrier(1, 7, Action::kRollback, "r1again", r);
  CHECK(r.Take() == Events{"fail r1", "dropped 1"});
  a.OnBarrier(2, 7, Action::kRollback, "r2", r);
  a.OnBarrier(3, 7, Action::kRollback, "r3", r);
  CHECK(r.Take() == Events{"ack r1again", "ack r2", "complete ROLLBACK 7 r3"});
}

TEST_CASE("Too much held fails the checkpoint, and data is dropped until a rollback",
          "[state][aligner]") {
  Recorder r;
  auto a = Initialized(r, 2);
  a.OnBarrier(1, 8, Action::kPrepare, "p1", r);
  a.OnData(1, "a", r);
  a.OnData(1, "b", r);
  a.OnData(1, "c", r);  // the third: over the limit
  CHECK(r.Take() == Events{"fail p1", "dropped 2", "overflow", "dropped 1"});
  a.OnData(2, "d", r);
  a.OnBarrier(2, 8, Action::kPrepare, "p2", r);
  for (int32_t s : {1, 2, 3}) a.OnBarrier(s, 8, Action::kRollback, "r" + std::to_string(s), r);
  CHECK(r.Take() == Events{"dropped 1", "fail p2", "ack r1", "ack r2", "complete ROLLBACK 8 r3"});
  a.OnData(2, "e", r);
  CHECK(r.Take() == Events{"run e"});
}

TEST_CASE("A barrier from a task that sends none fails", "[state][aligner]") {
  Recorder r;
  auto a = Initialized(r);
  a.OnBarrier(9, 10, Action::kPrepare, "p9", r);
  a.OnData(9, "d9", r);  // not an input that sends checkpoints: runs
  CHECK(r.Take() == Events{"fail p9", "run d9"});
}

}  // namespace
}  // namespace gale::state
