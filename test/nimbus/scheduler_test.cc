// nimbus/scheduler.h: where executors run, table by table.
#include "nimbus/scheduler.h"

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace gale::nimbus
