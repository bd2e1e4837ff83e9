// Acks between two workers whose link refuses batches: two WorkerRuntimes
// in this process, joined by a Transfer that keeps a refused batch's
// encoding as ClusterTransfer does (worker/cluster_transfer.h), so that a
// change made to an envelope after its batch was refused is lost, as it
// would be on a real link.
#include "core/acking/acker_bolt.h"
#include "core/plugin/describe.h"
#include "core/runtime/worker_runtime.h"
#include "core/topology/validator.h"
#include "core/topology/yaml_loader.h"
#include "core/tuple/tuple_codec.h"
#include "test/support/local_topology.h"
#include "test/support/test_components.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace gale::testing {
namespace {

using Ids = std::vector<uint64_t>;
using namespace std::chrono_literals;

// One direction of a link: every task of `peer_tasks` is destination 0.
// With `refuse_first`, the first offer of every batch is refused after it
// was encoded; the next offer of the same batch encodes only what was added
// at its end, and is taken.
class RefusingLink final : public runtime::Transfer {
 public:
  RefusingLink(std::vector<int32_t> peer_tasks, bool refuse_first)
      : peer_tasks_(std::move(peer_tasks)), refuse_first_(refuse_first) {}
  void Connect(runtime::WorkerRuntime* peer) { peer_ = peer; }
  uint64_t refused() const { return refused_.load(); }
  uint64_t bad_frames() const { return bad_frames_.load(); }

  int destination_count() const override { return 1; }
  int DestinationOf(int32_t task) const override {
    for (int32_t t : peer_tasks_) {
      if (t == task) return 0;
    }
    return -1;
  }
  bool IsRemote(int) const override { return true; }
  bool ForceDeliver(int, std::vector<runtime::Envelope>&) override { return false; }
  bool TryDeliver(int, std::vector<runtime::Envelope>& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    Encoded& enc = encoded_[&batch];
    if (enc.first != batch.data() || enc.count > batch.size()) enc = Encoded{batch.data(), 0, {}};
    const bool first_offer = enc.count == 0;
    for (size_t i = enc.count; i < batch.size(); ++i) {
      tuple::EncodeTuple(batch[i].task, batch[i].tuple, enc.body);
    }
    enc.count = batch.size();
    if (refuse_first_ && first_offer) {
      refused_.fetch_add(1);
      return false;
    }
    std::string frame;
    tuple::EncodeFrameHeader(enc.count, frame);
    frame += enc.body;
    // On an executor's thread: no Catch2 assertion here. A worker's
    // transport hands frames to DeliverFrame (worker/cluster_worker.cc).
    if (!peer_->DeliverFrame(frame).ok()) bad_frames_.fetch_add(1);
    encoded_.erase(&batch);
    batch.clear();
    return true;
  }

 private:
  struct Encoded {
    const runtime::Envelope* first = nullptr;
    size_t count = 0;
    std::string body;
  };
  const std::vector<int32_t> peer_tasks_;
  const bool refuse_first_;
  runtime::WorkerRuntime* peer_ = nullptr;
  std::mutex mu_;
  std::map<const void*, Encoded> encoded_;
  std::atomic<uint64_t> refused_{0}, bad_frames_{0};
};

// Two WorkerRuntimes in this process running `yaml`: worker B the tasks of
// `in_b`, worker A the rest, joined by RefusingLinks (B's link to A, and
// A's to B, refusing first offers as `b_refuses` and `a_refuses` say).
// Started on construction, stopped by Stop() or on destruction.
class TwoWorkers {
 public:
  TwoWorkers(const std::string& yaml, const std::string& in_b, bool a_refuses, bool b_refuses) {
    auto spec = topology::LoadTopologyString(yaml, "inline.yaml", {});
    REQUIRE(spec.ok());
    REQUIRE(topology::ValidateStructure(*spec).ok());
    REQUIRE(plugin::DescribeOutputs(*spec, classes_).ok());
    REQUIRE(topology::ValidateWithPlugins(*spec, classes_.Classes()).ok());
    auto plan = plan::TopologyPlan::Build(*spec);
    REQUIRE(plan.ok());
    plan_ = std::move(*plan);
    runtime::WorkerOptions a, b;
    std::vector<int32_t> a_tasks, b_tasks;
    for (size_t i = 0; i < plan_->executors().size(); ++i) {
      const plan::ExecutorPlan& e = plan_->executors()[i];
      const bool b_runs = plan_->components()[static_cast<size_t>(e.component)].id == in_b;
      (b_runs ? b : a).executors.push_back(i);
      for (int32_t t : e.tasks) (b_runs ? b_tasks : a_tasks).push_back(t);
    }
    a_to_b = std::make_unique<RefusingLink>(b_tasks, a_refuses);
    b_to_a = std::make_unique<RefusingLink>(a_tasks, b_refuses);
    a.remote = a_to_b.get();
    b.remote = b_to_a.get();
    auto wa = runtime::WorkerRuntime::Create(*plan_, classes_, clock_, a);
    auto wb = runtime::WorkerRuntime::Create(*plan_, classes_, clock_, b);
    REQUIRE(wa.ok());
    REQUIRE(wb.ok());
    worker_a = std::move(*wa);
    worker_b = std::move(*wb);
    a_to_b->Connect(worker_b.get());
    b_to_a->Connect(worker_a.get());
    worker_a->Start();
    worker_b->Start();
  }
  ~TwoWorkers() { Stop(); }
  void Stop() {
    if (worker_b) worker_b->Stop();
    if (worker_a) worker_a->Stop();
  }
  const plan::TopologyPlan& plan() const { return *plan_; }

 private:
  // Declared first: the workers use them until they are destroyed.
  FakeClock clock_;
  plugin::ClassRegistry classes_ = TestClasses();
  std::unique_ptr<plan::TopologyPlan> plan_;

 public:
  std::unique_ptr<RefusingLink> a_to_b, b_to_a;
  std::unique_ptr<runtime::WorkerRuntime> worker_a, worker_b;
};

// Waits (at most 10 s) until `done()`.
template <typename F>
void WaitFor(F&& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

TEST_CASE("Acks sent between workers survive batches the link refuses after encoding them",
          "[acking]") {
  TestLog::Get().Reset();
  // Worker A: feeder (and the acker, on its thread) and sink; worker B:
  // pairs. Batches of 5: pairs' ack of the held input, then its 4 emits to
  // sink fill a batch for worker A, which the link refuses; its second ack
  // comes after that refusal.
  TwoWorkers w(R"(
name: remote-acks
config: { topology.acker.executors: 1, topology.producer.batch.size: 5 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: pairs, className: AckEmitAckBolt, config: { pair.emits: 4 } }
  - { id: sink, className: AckBolt }
streams:
  - { from: feeder, to: pairs, grouping: { type: SHUFFLE } }
  - { from: pairs, to: sink, grouping: { type: SHUFFLE } }
)",
               "pairs", false, true);
  const Ids all = TestLog::Get().FeedNumbers(40);
  WaitFor([&] { return TestLog::Get().acked().size() >= all.size(); });
  w.Stop();
  CHECK(w.b_to_a->refused() > 0);  // the case under test happened
  CHECK(w.a_to_b->bad_frames() + w.b_to_a->bad_frames() == 0);
  Ids acked = TestLog::Get().acked();
  std::sort(acked.begin(), acked.end());
  CHECK(acked == all);
  CHECK(TestLog::Get().failed() == Ids{});
  CHECK(TestLog::Get().count("ack_bolt_executed") == 80);
}

TEST_CASE(
    "Batches of rows cross workers whole, also when the link refused them after encoding them, "
    "and a malformed one fails its frame",
    "[acking][rows]") {
  TestLog::Get().Reset();
  // Worker A: feeder and split; worker B: count. Batches of 5 envelopes,
  // 4 rows each: A's link refuses every first offer, so rows arrive after
  // a refusal, which must not join the refused (encoded) batch.
  TwoWorkers w(R"(
name: remote-rows
config: { topology.acker.executors: 0, topology.producer.batch.size: 5,
          topology.producer.batch.rows: 4 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts:
  - { id: split, className: RowEmitBolt, config: { rows.anchor: false } }
  - { id: count, className: RowCountBolt }
streams:
  - { from: feeder, to: split, grouping: { type: SHUFFLE } }
  - { from: split, to: count, grouping: { type: SHUFFLE } }
)",
               "count", true, false);
  for (int64_t v = 1; v <= 300; ++v) TestLog::Get().Feed({v}, std::nullopt);
  WaitFor([&] { return TestLog::Get().count("rows seen") >= 900; });
  CHECK(w.a_to_b->refused() > 0);  // the case under test happened
  CHECK(w.a_to_b->bad_frames() == 0);
  CHECK(TestLog::Get().count("rows seen") == 900);
  CHECK(TestLog::Get().count("tuples seen") == 0);
  CHECK(TestLog::Get().count("row_mismatch") == 0);
  CHECK(TestLog::Get().count("row batches") >= 225);  // at most 4 rows a batch
  for (int64_t v : {1, 150, 300}) {
    for (int k = 0; k < 3; ++k) {
      CHECK(TestLog::Get().count("key " + std::to_string(v * 100 + k) + " rows at 0") == 1);
    }
  }

  // A batch of rows whose bytes end inside a row: the frame fails as a
  // whole and nothing of it is delivered.
  const plan::TopologyPlan& p = w.plan();
  const plan::ComponentPlan& split = p.components()[static_cast<size_t>(p.FindComponent("split"))];
  tuple::WireTuple bad;
  bad.target_task = p.component_tasks().at("count").front();
  bad.source_task = p.component_tasks().at("split").front();
  bad.stream = split.FindOutput("default")->index | plan::kRowsStreamBit;
  std::string bytes(rows::kCountBytes, '\0');
  rows::Store32(bytes.data(), 2);
  bytes += Row(int64_t{1}, "k1").bytes();
  bad.values = Values{Bytes{bytes}};
  std::string frame;
  tuple::EncodeFrame({bad}, frame);
  const Status s = w.worker_b->DeliverFrame(frame).status();
  CHECK(s.message() == "batch of rows, row 1 value 0: ends early");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(TestLog::Get().count("rows seen") == 900);
}

// A tuple as another worker could send it to `t`'s task `to`, from the
// first task of `from` on its stream `stream`, in tree `root`.
tuple::WireTuple Crafted(LocalTopology& t, int32_t to, const std::string& from,
                         std::string_view stream, Values values) {
  const plan::TopologyPlan& p = t.plan();
  const plan::ComponentPlan& c = p.components()[static_cast<size_t>(p.FindComponent(from))];
  tuple::WireTuple w;
  w.target_task = to;
  w.source_task = p.component_tasks().at(from).front();
  w.stream = c.FindOutput(stream)->index;
  w.roots = {{0x1234, 0x5678}};
  w.values = std::move(values);
  return w;
}

TEST_CASE(
    "Input in a tree that fails where no acker takes the fail (a malformed pack at an acker of "
    "its own, a failed tuple with acking off) ends no worker",
    "[acking]") {
  TestLog::Get().Reset();
  FakeClock clock;
  const bool acking = GENERATE(true, false);
  CAPTURE(acking);
  LocalTopology t(std::string(R"(
name: crafted
config: { topology.acker.executors: )") +
                      (acking ? "1" : "0") + R"(, topology.acker.in.spout.executor: false }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts: [ { id: judge, className: FailValueBolt } ]
streams: [ { from: feeder, to: judge, grouping: { type: SHUFFLE } } ]
)",
                  clock);
  std::vector<tuple::WireTuple> crafted;
  if (acking) {
    // The acker's Execute throws (text, not a pack): the bolt executor then
    // fails its input, which has roots, and the acker has no one to tell.
    crafted.push_back(Crafted(t, t.plan().acker_tasks().front(), "judge", "__ack_pack",
                              Values{Value("not a pack")}));
  } else {
    // With acking off there is no acker at all.
    crafted.push_back(Crafted(t, t.plan().component_tasks().at("judge").front(), "feeder",
                              "default", Values{Value("fail")}));
  }
  // As decoded tuples, or as the frame a worker's transport hands over.
  if (GENERATE(false, true)) {
    std::string frame;
    tuple::EncodeFrame(crafted, frame);
    const Result<size_t> taken = t.runtime().DeliverFrame(frame);
    REQUIRE(taken.ok());
    REQUIRE(*taken == 1);
  } else {
    REQUIRE(t.runtime().DeliverRemote(std::span(crafted)) == 1);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto reported = [&] {
    return acking ? t.StatsOf("__acker").last_errors.size() == 1 : t.StatsOf("judge").failed == 1;
  };
  while (!reported() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(reported());
  if (acking) {
    CHECK(t.StatsOf("__acker").last_errors.front().message == "value is string, not bytes");
  }
  // The worker goes on: a tree fed now completes. (Not Settle(): a tuple
  // from "another worker" is processed here without being sent here, so
  // the local counts never balance.)
  TestLog::Get().Feed({Value("ok")}, 7);
  while (TestLog::Get().acked().empty() && std::chrono::steady_clock::now() < deadline + 10s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CHECK(TestLog::Get().acked() == Ids{7});
  CHECK(TestLog::Get().failed() == Ids{});
}

TEST_CASE("A frame from another worker is delivered whole, or not at all when it does not decode",
          "[runtime]") {
  TestLog::Get().Reset();
  FakeClock clock;
  LocalTopology t(R"(
name: frames
config: { topology.acker.executors: 0 }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts: [ { id: record, className: RecordBolt } ]
streams: [ { from: feeder, to: record, grouping: { type: SHUFFLE } } ]
)",
                  clock);
  const int32_t record = t.plan().component_tasks().at("record").front();
  const int32_t elsewhere = t.plan().task_count() + 5;  // no task of this worker
  auto to = [&](int32_t task, const char* word) {
    tuple::WireTuple w = Crafted(t, task, "feeder", "default", Values{Value(word)});
    w.roots.clear();
    return w;
  };
  auto frame = [](const std::vector<tuple::WireTuple>& tuples) {
    std::string f;
    tuple::EncodeFrame(tuples, f);
    return f;
  };
  auto seen = [](const std::string& word) { return TestLog::Get().count("seen:" + word); };
  auto wait_seen = [&](const std::string& word) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen(word) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    REQUIRE(seen(word) == 1);
  };

  // A tuple for a task not run here is dropped and counted; the rest go.
  Result<size_t> taken =
      t.runtime().DeliverFrame(frame({to(record, "a"), to(elsewhere, "lost"), to(record, "b")}));
  REQUIRE(taken.ok());
  CHECK(*taken == 3);
  CHECK(t.runtime().dropped_tuples() == 1);
  wait_seen("a");
  wait_seen("b");

  // Whole tuples followed by bytes that do not decode: none of them goes,
  // and no drop is counted (the transport counts the frame).
  std::string garbage = frame({to(record, "c"), to(elsewhere, "lost2")}) + "x";
  taken = t.runtime().DeliverFrame(garbage);
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.status().message().find("1 bytes of trailing garbage after 2 tuples") !=
        std::string::npos);
  std::string cut = frame({to(record, "d"), to(elsewhere, "lost3"), to(record, "e")});
  cut.pop_back();
  taken = t.runtime().DeliverFrame(cut);
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.status().message().find("truncated") != std::string::npos);
  CHECK(t.runtime().dropped_tuples() == 1);

  // The record bolt's queue is in order: once "f" is seen, anything of the
  // bad frames would have been.
  taken = t.runtime().DeliverFrame(frame({to(record, "f")}));
  REQUIRE(taken.ok());
  wait_seen("f");
  CHECK(seen("c") == 0);
  CHECK(seen("d") == 0);
  CHECK(seen("e") == 0);

  // A tuple of the wrong arity between two good ones to the same task and
  // stream: each tuple's route is its own (the frame's last route is kept
  // only for a tuple that matches it in everything).
  tuple::WireTuple two = to(record, "two");
  two.values.emplace_back("values");
  taken = t.runtime().DeliverFrame(frame({to(record, "g"), two, to(record, "h")}));
  REQUIRE(taken.ok());
  CHECK(t.runtime().dropped_tuples() == 2);
  wait_seen("g");
  wait_seen("h");
  CHECK(seen("two,values") == 0);
}

TEST_CASE("A frame of acker messages that does not decode reaches no acker", "[runtime]") {
  TestLog::Get().Reset();
  FakeClock clock;
  LocalTopology t(R"(
name: frames-acked
config: { topology.acker.executors: 1, topology.acker.in.spout.executor: false }
spouts: [ { id: feeder, className: FeederSpout } ]
bolts: [ { id: judge, className: FailValueBolt } ]
streams: [ { from: feeder, to: judge, grouping: { type: SHUFFLE } } ]
)",
                  clock);
  const int32_t acker = t.plan().acker_tasks().front();
  // A pack of `acks` acks, as judge would send it (trees nobody started:
  // the acker keeps them pending).
  auto pack = [&](uint64_t first_root, int acks) {
    std::string bytes;
    for (int i = 0; i < acks; ++i) REQUIRE(acking::AddAck(bytes, first_root + i, 1));
    tuple::WireTuple w = Crafted(t, acker, "judge", "__ack_pack", Values{Value(Bytes{bytes})});
    w.roots.clear();
    return w;
  };
  std::string bad;
  tuple::EncodeFrame({pack(100, 1)}, bad);
  bad += "x";
  REQUIRE_FALSE(t.runtime().DeliverFrame(bad).ok());
  std::string good;
  tuple::EncodeFrame({pack(200, 2)}, good);
  REQUIRE(t.runtime().DeliverFrame(good).ok());
  // The acker's queue is in order: the bad frame's ack would come first.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (t.StatsOf("__acker").executed < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CHECK(t.StatsOf("__acker").executed == 2);
  CHECK(t.runtime().dropped_tuples() == 0);
}

}  // namespace
}  // namespace gale::testing
