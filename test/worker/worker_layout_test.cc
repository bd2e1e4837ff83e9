// How a worker reads its assignment (worker/worker_layout.h).
#include "worker/worker_layout.h"

#include <catch2/catch.hpp>

namespace gale::worker {
namespace {

// Three workers on two supervisors; the plan's executors start at tasks 1,
// 2, 4 and 5 (task 3 is the second task of the executor 2-3).
const std::vector<AssignedSlot> kSlots = {
    {"sup-a", "10.0.0.1", 6700}, {"sup-b", "10.0.0.2", 6700}, {"sup-a", "10.0.0.1", 6701}};
const std::vector<int32_t> kFirstTasks = {1, 2, 4, 5};
const std::vector<AssignedExecutor> kExecutors = {{1, 1, 0}, {2, 3, 1}, {4, 4, 2}, {5, 5, 0}};

TEST_CASE("A worker finds itself, its peers and who runs each task", "[worker]") {
  auto l = LayOut(kSlots, kExecutors, kFirstTasks, 5, "sup-a", 6701);
  REQUIRE(l.ok());
  CHECK(l->my_index == 2);
  CHECK(l->peers == std::vector<std::string>{"10.0.0.1:6700", "10.0.0.2:6700"});
  // Task 0 is unused; 1 and 5 on peer 0, 2-3 on peer 1, 4 here.
  CHECK(l->task_peer == std::vector<int>{-1, 0, 1, 1, -1, 0});
  CHECK(l->executors == std::vector<size_t>{2});
  REQUIRE(l->mine.size() == 1);
  CHECK(l->mine[0].task_start == 4);

  auto first = LayOut(kSlots, kExecutors, kFirstTasks, 5, "sup-a", 6700);
  REQUIRE(first.ok());
  CHECK(first->my_index == 0);
  CHECK(first->executors == std::vector<size_t>{0, 3});
  CHECK(first->task_peer == std::vector<int>{-1, -1, 0, 0, 1, -1});
}

TEST_CASE("A worker whose slot the assignment does not list is not in it", "[worker]") {
  auto l = LayOut(kSlots, kExecutors, kFirstTasks, 5, "sup-b", 6701);
  REQUIRE(l.ok());
  CHECK(l->my_index == -1);
  CHECK(l->executors.empty());
  // A slot with executors elsewhere but none here is in it, with nothing to run.
  auto idle =
      LayOut(kSlots, {{1, 1, 0}, {2, 3, 0}, {4, 4, 0}, {5, 5, 0}}, kFirstTasks, 5, "sup-b", 6700);
  REQUIRE(idle.ok());
  CHECK(idle->my_index == 1);
  CHECK(idle->executors.empty());
  CHECK(idle->task_peer == std::vector<int>{-1, 0, 0, 0, 0, 0});
}

TEST_CASE("An assignment that does not fit the plan is refused with what is wrong", "[worker]") {
  auto message = [](const std::vector<AssignedExecutor>& executors) {
    auto l = LayOut(kSlots, executors, kFirstTasks, 5, "sup-a", 6700);
    REQUIRE_FALSE(l.ok());
    return l.status().message();
  };
  CHECK(message({{1, 1, 3}}) == "assignment puts tasks 1-1 on worker 3, but lists 3 worker(s)");
  CHECK(message({{1, 1, -1}}) == "assignment puts tasks 1-1 on worker -1, but lists 3 worker(s)");
  CHECK(message({{5, 6, 1}}) == "assignment has tasks 5-6, but the topology has tasks 1-5");
  CHECK(message({{0, 1, 1}}) == "assignment has tasks 0-1, but the topology has tasks 1-5");
  CHECK(message({{3, 2, 1}}) == "assignment has tasks 3-2, but the topology has tasks 1-5");
  // Running fewer executors than assigned would drop their tuples.
  CHECK(message({{3, 3, 0}}) ==
        "assignment gives this worker tasks 3-3, which start no executor of the topology");
}

TEST_CASE("A worker whose executors stay follows a new assignment: peers keep their indices",
          "[worker]") {
  // sup-a:6701 runs task 4. In version 9, sup-b:6700 is gone; tasks 2-3 move
  // to a new worker on sup-c, task 5 to sup-a:6700 joins task 1 there.
  auto now = LayOut(kSlots, kExecutors, kFirstTasks, 5, "sup-a", 6701);
  REQUIRE(now.ok());
  const std::vector<AssignedSlot> next = {{"sup-a", "10.0.0.1", 6700, 4},
                                          {"sup-a", "10.0.0.1", 6701, 4},
                                          {"sup-c", "10.0.0.3", 6700, 9}};
  const std::vector<AssignedExecutor> moved = {{1, 1, 0}, {2, 3, 2}, {4, 4, 1}, {5, 5, 0}};
  auto r = PlanReroute(*now, now->peers, next, moved, kFirstTasks, 5, "sup-a", 6701);
  REQUIRE(r.ok());
  // Peer 0 stays, peer 1 (sup-b) is retired, sup-c is new at index 2.
  CHECK(r->peers == std::vector<std::string>{"10.0.0.1:6700", "", "10.0.0.3:6700"});
  CHECK(r->peer_versions == std::vector<int64_t>{4, 0, 9});
  CHECK(r->task_peer == std::vector<int>{-1, 0, 2, 2, -1, 0});
  CHECK(r->layout.my_index == 1);
  CHECK(r->layout.my_layout_version == 4);
  CHECK(r->layout.my_address == "10.0.0.1:6701");

  // Then sup-b comes back as a new peer: a retired index is never reused.
  const std::vector<AssignedSlot> back = {{"sup-a", "10.0.0.1", 6700, 4},
                                          {"sup-a", "10.0.0.1", 6701, 4},
                                          {"sup-b", "10.0.0.2", 6700, 11}};
  auto again = PlanReroute(r->layout, r->peers, back, moved, kFirstTasks, 5, "sup-a", 6701);
  REQUIRE(again.ok());
  CHECK(again->peers == std::vector<std::string>{"10.0.0.1:6700", "", "", "10.0.0.2:6700"});
  CHECK(again->task_peer == std::vector<int>{-1, 0, 3, 3, -1, 0});
}

TEST_CASE("A worker whose executors changed does not follow in place", "[worker]") {
  auto now = LayOut(kSlots, kExecutors, kFirstTasks, 5, "sup-a", 6700);
  REQUIRE(now.ok());
  // Task 5 leaves sup-a:6700.
  auto r = PlanReroute(*now, now->peers, kSlots, {{1, 1, 0}, {2, 3, 1}, {4, 4, 2}, {5, 5, 2}},
                       kFirstTasks, 5, "sup-a", 6700);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK(r.status().message() ==
        "the new assignment gives this worker tasks 1-1 instead of 1-1, 5-5");
  // The same executors, but the assignment lists this slot under another
  // host (its supervisor came back with another --host): its peers would
  // not know the name its frames give.
  std::vector<AssignedSlot> renamed = kSlots;
  renamed[0].host = "sup-a.example";
  auto moved_host =
      PlanReroute(*now, now->peers, renamed, kExecutors, kFirstTasks, 5, "sup-a", 6700);
  REQUIRE_FALSE(moved_host.ok());
  CHECK(moved_host.status().message() ==
        "the new assignment lists this worker as sup-a.example:6700, not 10.0.0.1:6700");
  // Its slot is gone.
  auto gone =
      PlanReroute(*now, now->peers, {kSlots[1], kSlots[2]},
                  {{1, 1, 0}, {2, 3, 0}, {4, 4, 1}, {5, 5, 1}}, kFirstTasks, 5, "sup-a", 6700);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.status().code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace gale::worker
