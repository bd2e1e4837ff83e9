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

}  // namespace
}  // namespace gale::worker
