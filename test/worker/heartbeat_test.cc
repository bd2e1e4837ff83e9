// A cluster worker's heartbeat and what it makes of nimbus's answer
// (worker/heartbeat.h).
#include "worker/heartbeat.h"

#include <catch2/catch.hpp>

namespace gale::worker {
namespace {

TEST_CASE("A heartbeat carries each executor's statistics, metrics and errors", "[worker]") {
  WorkerIdentity me{"wc-1-2", "sup-a", "10.0.0.1", 6701, 7, 2, 1234};
  runtime::ExecutorReport split;
  split.component = "split";
  split.task_start = 3;
  split.task_end = 4;
  split.stats.emitted = 100;
  split.stats.executed = 40;
  split.stats.execute_nanos = 80'000'000;
  split.stats.last_errors.push_back({"boom", 1700000000, 4, 2});
  runtime::UserMetricSample lines;
  lines.name = "lines";
  lines.kind = runtime::UserMetricSample::Kind::kCounter;
  lines.value = 5;
  split.metrics.push_back(lines);
  runtime::ExecutorReport count;
  count.component = "count";
  count.task_start = 5;
  count.task_end = 5;

  const thrift::WorkerHeartbeat hb = MakeHeartbeat(me, {split, count}, 9);
  CHECK(hb.topology_id == "wc-1-2");
  CHECK(hb.supervisor_id == "sup-a");
  CHECK(hb.port == 6701);
  CHECK(hb.assignment_version == 7);
  CHECK(hb.incarnation == 1234);
  CHECK(hb.dropped_frames == 9);
  REQUIRE(hb.executors.size() == 2);
  CHECK(hb.executors[0].task_start == 3);
  CHECK(hb.executors[0].task_end == 4);
  CHECK(hb.executors[0].worker == 2);
  CHECK(hb.executors[1].task_start == 5);
  REQUIRE(hb.stats.size() == 2);
  CHECK(hb.stats[0].emitted == 100);
  CHECK(hb.stats[0].executed == 40);
  CHECK(hb.stats[0].execute_ms_avg == Approx(2.0));
  REQUIRE(hb.stats[0].metrics.size() == 1);
  CHECK(hb.stats[0].metrics[0].name == "lines");
  CHECK(hb.stats[0].metrics[0].kind == thrift::UserMetricKind::COUNTER);
  CHECK(hb.stats[0].metrics[0].value == 5);
  CHECK(hb.stats[1].metrics.empty());
  // Errors name this worker and the task.
  REQUIRE(hb.errors.size() == 1);
  CHECK(hb.errors[0].error == "boom");
  CHECK(hb.errors[0].error_time_secs == 1700000000);
  CHECK(hb.errors[0].host == "10.0.0.1");
  CHECK(hb.errors[0].port == 6701);
  CHECK(hb.errors[0].task == 4);
  CHECK(hb.errors[0].count == 2);
}

TEST_CASE("A worker goes on, retries, stops or restarts on nimbus's answer", "[worker]") {
  thrift::WorkerHeartbeatResponse same;
  same.assigned = true;
  same.assignment_version = 7;
  thrift::WorkerHeartbeatResponse newer = same;
  newer.assignment_version = 8;
  thrift::WorkerHeartbeatResponse dropped = same;
  dropped.assigned = false;
  CHECK(Judge(Status::Ok(), same, 7, 5) == BeatVerdict::kGoOn);
  CHECK(Judge(Status::Ok(), newer, 7, 5) == BeatVerdict::kReassigned);
  CHECK(Judge(Status::Ok(), dropped, 7, 5) == BeatVerdict::kReassigned);
  CHECK(Judge(Status::NotFound("no topology wc-1-2"), same, 7, 5) == BeatVerdict::kTopologyGone);
  // A call that failed says nothing about the assignment.
  CHECK(Judge(Status::Unavailable("nimbus 127.0.0.1:6627: connection refused"), newer, 7, 5) ==
        BeatVerdict::kRetry);
}

TEST_CASE("A worker whose executors stay follows a newer assignment in place", "[worker]") {
  thrift::WorkerHeartbeatResponse newer;
  newer.assigned = true;
  newer.assignment_version = 8;
  newer.__set_layout_version(5);
  newer.assignment.version = 8;
  newer.__isset.assignment = true;
  CHECK(Judge(Status::Ok(), newer, 7, 5) == BeatVerdict::kReroute);
  // Its executors changed at 8: restart.
  thrift::WorkerHeartbeatResponse changed = newer;
  changed.__set_layout_version(8);
  CHECK(Judge(Status::Ok(), changed, 7, 5) == BeatVerdict::kReassigned);
  // No assignment to follow, or one of another version: restart.
  thrift::WorkerHeartbeatResponse bare = newer;
  bare.__isset.assignment = false;
  CHECK(Judge(Status::Ok(), bare, 7, 5) == BeatVerdict::kReassigned);
  thrift::WorkerHeartbeatResponse mismatched = newer;
  mismatched.assignment.version = 9;
  CHECK(Judge(Status::Ok(), mismatched, 7, 5) == BeatVerdict::kReassigned);
  // A nimbus that says nothing about layouts (before live reassignment).
  thrift::WorkerHeartbeatResponse old_nimbus = newer;
  old_nimbus.__isset.layout_version = false;
  CHECK(Judge(Status::Ok(), old_nimbus, 7, 5) == BeatVerdict::kReassigned);
}

}  // namespace
}  // namespace gale::worker
