// A cluster worker's run loop (worker/run_loop.h) on a FakeClock: when it
// heartbeats, and what it does on nimbus's answers, a stop signal and a
// fatal executor.
#include "worker/run_loop.h"

#include <catch2/catch.hpp>

#include <deque>
#include <vector>

namespace gale::worker {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Nimbus's answers in turn (the last one repeats), and what the loop did.
struct Scripted {
  struct Answer {
    Status call = Status::Ok();
    bool assigned = true;
    int64_t version = 7;
    int64_t layout_version = 5;
    bool with_assignment = false;  // sends the assignment to follow
    bool settling = false;
    thrift::TopologyStatus::type status = thrift::TopologyStatus::ACTIVE;
    Nanos takes{0};  // how long the call takes
  };

  FakeClock clock;
  std::deque<Answer> answers{Answer{}};
  std::vector<Nanos> beats;       // when each heartbeat was sent
  std::vector<bool> active;       // each set_active
  std::vector<int64_t> rerouted;  // each reroute's version
  Status reroute_status = Status::Ok();
  Nanos stop_at = Nanos::max();
  Nanos fatal_at = Nanos::max();

  RunLoopHooks Hooks() {
    RunLoopHooks h;
    h.stop_requested = [this] { return clock.Now() >= stop_at; };
    h.fatal = [this] { return clock.Now() >= fatal_at ? std::string("boom") : std::string(); };
    h.beat = [this](thrift::WorkerHeartbeatResponse& r) {
      beats.push_back(clock.Now());
      const Answer a = answers.front();
      if (answers.size() > 1) answers.pop_front();
      clock.Advance(a.takes);
      r.assigned = a.assigned;
      r.assignment_version = a.version;
      r.__set_layout_version(a.layout_version);
      if (a.with_assignment) {
        r.assignment.version = a.version;
        r.__isset.assignment = true;
      }
      r.status = a.status;
      if (a.settling) r.__set_settling(true);
      return a.call;
    };
    h.set_active = [this](bool on) { active.push_back(on); };
    h.reroute = [this](const thrift::Assignment& a) {
      rerouted.push_back(a.version);
      return reroute_status;
    };
    h.sleep = [this](Nanos d) { clock.Advance(d); };
    return h;
  }
  RunLoopEnd Run() { return RunLoop(clock, 7, 5, Hooks()); }
  Nanos At(Nanos after_start) const { return Nanos(1'000'000'000) + after_start; }
};

TEST_CASE("A worker heartbeats at once and then every second until a stop signal", "[worker]") {
  Scripted s;
  s.stop_at = s.At(seconds(10) + milliseconds(10));
  const RunLoopEnd end = s.Run();
  CHECK(end.why == RunLoopEnd::Why::kSignal);
  REQUIRE(s.beats.size() == 11);  // at 0, 1, ... 10 s
  for (size_t i = 0; i < s.beats.size(); ++i) CHECK(s.beats[i] == s.At(seconds(i)));
  CHECK(s.active == std::vector<bool>(11, true));
}

TEST_CASE("A worker follows nimbus's active flag and goes on while nimbus is away", "[worker]") {
  Scripted s;
  Scripted::Answer away;
  away.call = Status::Unavailable("nimbus is away");
  Scripted::Answer inactive;
  inactive.status = thrift::TopologyStatus::INACTIVE;
  s.answers = {Scripted::Answer{}, away, away, inactive, Scripted::Answer{}};
  s.stop_at = s.At(seconds(4) + milliseconds(10));
  CHECK(s.Run().why == RunLoopEnd::Why::kSignal);
  CHECK(s.beats.size() == 5);
  // Unanswered beats leave it as it was.
  CHECK(s.active == std::vector<bool>{true, false, true});
}

TEST_CASE("A worker stops when nimbus says its topology is gone or assigned anew", "[worker]") {
  Scripted s;
  Scripted::Answer answer;
  SECTION("gone") {
    answer.call = Status::NotFound("no topology");
    s.answers = {Scripted::Answer{}, answer};
    CHECK(s.Run().why == RunLoopEnd::Why::kTopologyGone);
  }
  SECTION("a newer assignment") {
    answer.version = 8;
    s.answers = {Scripted::Answer{}, answer};
    const RunLoopEnd end = s.Run();
    CHECK(end.why == RunLoopEnd::Why::kReassigned);
    CHECK(end.assignment_version == 8);
  }
  SECTION("not assigned here any more") {
    answer.assigned = false;
    s.answers = {Scripted::Answer{}, answer};
    CHECK(s.Run().why == RunLoopEnd::Why::kReassigned);
  }
  CHECK(s.beats.size() == 2);
  CHECK(s.beats.back() == s.At(seconds(1)));
}

TEST_CASE("A worker whose executors stay follows newer assignments in place and goes on",
          "[worker]") {
  Scripted s;
  Scripted::Answer v8;
  v8.version = 8;
  v8.with_assignment = true;
  Scripted::Answer v8_again = v8;
  v8_again.with_assignment = false;  // the worker reports 8 now: nothing to follow
  Scripted::Answer v9 = v8;
  v9.version = 9;
  SECTION("it follows each") {
    s.answers = {Scripted::Answer{}, v8, v8_again, v9};
    s.stop_at = s.At(seconds(5) + milliseconds(10));
    CHECK(s.Run().why == RunLoopEnd::Why::kSignal);
    CHECK(s.rerouted == std::vector<int64_t>{8, 9});
    CHECK(s.active == std::vector<bool>(6, true));
  }
  SECTION("one it cannot follow ends it for a restart, saying why") {
    s.answers = {Scripted::Answer{}, v8};
    s.reroute_status = Status::FailedPrecondition("tasks 3-4 instead of 3-3");
    const RunLoopEnd end = s.Run();
    CHECK(end.why == RunLoopEnd::Why::kReassigned);
    CHECK(end.assignment_version == 8);
    CHECK(end.reroute_error == "tasks 3-4 instead of 3-3");
  }
  SECTION("its executors changed: no reroute, a restart") {
    v8.layout_version = 8;
    s.answers = {Scripted::Answer{}, v8};
    CHECK(s.Run().why == RunLoopEnd::Why::kReassigned);
    CHECK(s.rerouted.empty());
  }
}

TEST_CASE("While a live reassignment settles a worker beats every 100 ms, then every second again",
          "[worker]") {
  Scripted s;
  Scripted::Answer settling;
  settling.status = thrift::TopologyStatus::INACTIVE;
  settling.settling = true;
  s.answers = {Scripted::Answer{}, settling, settling, settling, Scripted::Answer{}};
  s.stop_at = s.At(seconds(3) + milliseconds(10));
  CHECK(s.Run().why == RunLoopEnd::Why::kSignal);
  REQUIRE(s.beats.size() == 6);
  CHECK(s.beats[1] == s.At(seconds(1)));
  CHECK(s.beats[2] == s.At(milliseconds(1100)));
  CHECK(s.beats[3] == s.At(milliseconds(1200)));
  CHECK(s.beats[4] == s.At(milliseconds(1300)));
  // Settled: back to the second's rhythm.
  CHECK(s.beats[5] == s.At(milliseconds(2300)));
  CHECK(s.active == std::vector<bool>{true, false, false, false, true, true});
}

TEST_CASE("A worker stops within a poll of an executor that cannot go on", "[worker]") {
  Scripted s;
  s.fatal_at = s.At(milliseconds(2520));
  const RunLoopEnd end = s.Run();
  CHECK(end.why == RunLoopEnd::Why::kFatal);
  CHECK(end.fatal == "boom");
  CHECK(s.clock.Now() == s.At(milliseconds(2550)));
  CHECK(s.beats.size() == 3);
}

TEST_CASE("A slow heartbeat call is not followed by a burst of heartbeats", "[worker]") {
  Scripted s;
  Scripted::Answer slow;
  slow.takes = milliseconds(3500);  // a reconnect to nimbus, say
  s.answers = {Scripted::Answer{}, slow, Scripted::Answer{}};
  s.stop_at = s.At(seconds(7));
  CHECK(s.Run().why == RunLoopEnd::Why::kSignal);
  // At 0 and 1 s; the second returned at 4.5 s: the next at 5.5 s, not at
  // once.
  REQUIRE(s.beats.size() >= 3);
  CHECK(s.beats[2] >= s.At(milliseconds(5500)));
  CHECK(s.beats[2] < s.At(milliseconds(5550)));
}

}  // namespace
}  // namespace gale::worker
