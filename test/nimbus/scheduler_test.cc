// nimbus/scheduler.h: where executors run, table by table.
#include "nimbus/scheduler.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>

namespace gale::nimbus {
namespace {

Slot S(const char* sup, int port) { return {sup, port, "127.0.0.1"}; }

TEST_CASE("A new topology spreads its workers over supervisors and its executors round-robin",
          "[nimbus][scheduler]") {
  ScheduleInput in;
  in.free_slots = {S("a", 1), S("a", 2), S("b", 1), S("b", 2)};
  in.executors = 5;
  in.workers_wanted = 2;
  in.full = true;
  const ScheduleResult r = ComputeSchedule(in);
  CHECK(r.workers == std::vector<Slot>{S("a", 1), S("b", 1)});
  CHECK(r.executor_worker == std::vector<int>{0, 1, 0, 1, 0});
  CHECK(r.note.empty());
}

TEST_CASE("A chained executor goes to its chain head's worker, and the round-robin counts heads",
          "[nimbus][scheduler]") {
  ScheduleInput in;
  in.free_slots = {S("a", 1), S("b", 1)};
  // Executors 0 and 1 head chains; 2 and 3 run on their threads (0 -> 2,
  // 1 -> 3); 4 heads its own.
  in.executors = 5;
  in.chain_head = {-1, -1, 0, 1, -1};
  in.workers_wanted = 2;
  in.full = true;
  ScheduleResult r = ComputeSchedule(in);
  CHECK(r.executor_worker == std::vector<int>{0, 1, 0, 1, 0});
  // Sticky: executor 0's worker is gone; its chained executor follows it.
  in.old_workers = r.workers;
  in.old_alive = {false, true};
  in.old_executor_worker = r.executor_worker;
  in.free_slots = {S("c", 1)};
  in.full = false;
  r = ComputeSchedule(in);
  REQUIRE(r.workers.size() == 2);
  CHECK(r.executor_worker[2] == r.executor_worker[0]);
  CHECK(r.executor_worker[3] == r.executor_worker[1]);
  CHECK(r.workers[static_cast<size_t>(r.executor_worker[1])] == S("b", 1));
}

TEST_CASE("Executors stay on their live workers, and a dead worker's go to the least loaded",
          "[nimbus][scheduler]") {
  ScheduleInput in;
  in.old_workers = {S("a", 1), S("b", 1)};
  in.old_alive = {true, false};
  in.old_executor_worker = {0, 1, 0, 1};
  in.free_slots = {S("a", 2), S("c", 1)};
  in.executors = 4;
  in.workers_wanted = 2;
  const ScheduleResult r = ComputeSchedule(in);
  // The dead worker's slot is replaced by a supervisor the topology does not use yet.
  CHECK(r.workers == std::vector<Slot>{S("a", 1), S("c", 1)});
  // Executors 0 and 2 stay on a:1; 1 and 3 go to the new, empty worker.
  CHECK(r.executor_worker == std::vector<int>{0, 1, 0, 1});
}

TEST_CASE(
    "A lost supervisor's workers move, and with no slot left the topology shrinks and says so",
    "[nimbus][scheduler]") {
  ScheduleInput in;
  in.old_workers = {S("a", 1), S("b", 1)};
  in.old_alive = {true, false};
  in.old_executor_worker = {0, 1, 1};
  in.executors = 3;
  in.workers_wanted = 2;
  const ScheduleResult r = ComputeSchedule(in);
  CHECK(r.workers == std::vector<Slot>{S("a", 1)});
  CHECK(r.executor_worker == std::vector<int>{0, 0, 0});
  CHECK(r.note ==
        "wants 2 worker(s), but only 1 slot(s) are free for it: runs on 1 until more slots free "
        "up (add supervisors, or rebalance to fewer workers)");
}

TEST_CASE("No slot at all: nothing runs, and the note says why", "[nimbus][scheduler]") {
  ScheduleInput in;
  in.executors = 3;
  in.workers_wanted = 1;
  const ScheduleResult r = ComputeSchedule(in);
  CHECK(r.workers.empty());
  CHECK(r.executor_worker.empty());
  CHECK(r.note.find("nothing runs") != std::string::npos);
}

TEST_CASE("More workers than executors: the idle ones are dropped, with no complaint",
          "[nimbus][scheduler]") {
  ScheduleInput in;
  in.free_slots = {S("a", 1), S("b", 1), S("c", 1)};
  in.executors = 2;
  in.workers_wanted = 3;
  in.full = true;
  const ScheduleResult r = ComputeSchedule(in);
  CHECK(r.workers.size() == 2);
  CHECK(r.note.empty());
}

TEST_CASE("A rebalance (full) spreads every executor again, even over live workers",
          "[nimbus][scheduler]") {
  ScheduleInput in;
  in.old_workers = {S("a", 1)};
  in.old_alive = {true};
  in.old_executor_worker = {0, 0, 0, 0};
  in.free_slots = {S("b", 1)};
  in.executors = 4;
  in.workers_wanted = 2;
  in.full = true;
  const ScheduleResult r = ComputeSchedule(in);
  CHECK(r.workers == std::vector<Slot>{S("a", 1), S("b", 1)});
  CHECK(r.executor_worker == std::vector<int>{0, 1, 0, 1});
  // Not full, but a slot appeared for a topology that had too few: the same.
  in.full = false;
  CHECK(ComputeSchedule(in).executor_worker == std::vector<int>{0, 1, 0, 1});
}

TEST_CASE("A rebalance of one component's executors moves only those and the rest stay put",
          "[nimbus][scheduler]") {
  // Three workers; component "count" (tasks 5-8) had 2 executors and gets 4.
  ScheduleInput in;
  in.old_workers = {S("a", 1), S("b", 1), S("c", 1)};
  in.old_alive = {true, true, true};
  in.old_executor_tasks = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 6}, {7, 8}};
  in.old_executor_worker = {0, 1, 2, 0, 1, 2};
  in.executor_tasks = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}};
  in.executors = 8;
  in.workers_wanted = 3;
  const ScheduleResult r = ComputeSchedule(in);
  CHECK(r.workers == in.old_workers);
  // Tasks 1-4 stay where they were; the four new executors go to the least
  // loaded workers, in turn.
  CHECK(r.executor_worker == std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1});
  // Fewer executors: the same.
  in.old_executor_tasks = in.executor_tasks;
  in.old_executor_worker = r.executor_worker;
  in.executor_tasks = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 8}};
  in.executors = 5;
  CHECK(ComputeSchedule(in).executor_worker == std::vector<int>{0, 1, 2, 0, 1});
  // Told to spread everything (a rebalance of the worker count): round-robin.
  in.full = true;
  CHECK(ComputeSchedule(in).executor_worker == std::vector<int>{0, 1, 2, 0, 1});
}

TEST_CASE("A large cluster: 2 000 workers over 1 000 supervisors, two on each, ties in slot order",
          "[nimbus][scheduler]") {
  ScheduleInput in;
  std::vector<std::string> names;
  for (int s = 0; s < 1000; ++s) names.push_back("sup-" + std::to_string(s));
  // Slots listed port by port, as FreeSlots() lists them: every supervisor's
  // first port, then every second port, ...
  for (int port = 6700; port < 6704; ++port) {
    for (const auto& n : names) in.free_slots.push_back({n, port, "h"});
  }
  in.executors = 2000;
  in.workers_wanted = 2000;
  in.full = true;
  const ScheduleResult r = ComputeSchedule(in);
  REQUIRE(r.workers.size() == 2000);
  std::map<std::string, int> per_supervisor;
  for (const Slot& w : r.workers) ++per_supervisor[w.supervisor];
  CHECK(per_supervisor.size() == 1000);
  for (const auto& [sup, n] : per_supervisor) CHECK(n == 2);
  // The first pass takes each supervisor's first free slot in order, then the second.
  CHECK(r.workers[0] == Slot{"sup-0", 6700, "h"});
  CHECK(r.workers[999] == Slot{"sup-999", 6700, "h"});
  CHECK(r.workers[1000] == Slot{"sup-0", 6701, "h"});
  CHECK(r.note.empty());

  // A supervisor lost: its two workers' executors move, the others stay put.
  ScheduleInput next;
  next.old_workers = r.workers;
  next.old_executor_worker = r.executor_worker;
  for (const Slot& w : r.workers) next.old_alive.push_back(w.supervisor != "sup-7");
  for (const auto& n : names) {
    if (n != "sup-7") next.free_slots.push_back({n, 6702, "h"});
  }
  next.executors = 2000;
  next.workers_wanted = 2000;
  const ScheduleResult moved = ComputeSchedule(next);
  REQUIRE(moved.workers.size() == 2000);
  int stayed = 0;
  for (size_t e = 0; e < 2000; ++e) {
    stayed += moved.workers[static_cast<size_t>(moved.executor_worker[e])] ==
              r.workers[static_cast<size_t>(r.executor_worker[e])];
  }
  CHECK(stayed == 1998);
}

}  // namespace
}  // namespace gale::nimbus
