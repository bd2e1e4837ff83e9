#include "nimbus/scheduler.h"

#include <algorithm>

namespace gale::nimbus {

ScheduleResult ComputeSchedule(const ScheduleInput& in) {
  const size_t wanted = static_cast<size_t>(std::max(in.workers_wanted, 1));
  std::vector<Slot> workers;
  std::vector<int> old_index;  // new worker index -> old index, -1 for a new slot
  for (size_t i = 0; i < in.old_workers.size() && workers.size() < wanted; ++i) {
    if (i < in.old_alive.size() && in.old_alive[i]) {
      workers.push_back(in.old_workers[i]);
      old_index.push_back(static_cast<int>(i));
    }
  }
  // Each new worker on the free slot of the supervisor the topology uses
  // least so far (ties in the order given): workers spread over machines.
  std::vector<Slot> free = in.free_slots;
  auto uses = [&](const Slot& s) {
    return std::count_if(workers.begin(), workers.end(),
                         [&](const Slot& w) { return w.supervisor == s.supervisor; });
  };
  while (workers.size() < wanted && !free.empty()) {
    auto best = std::min_element(free.begin(), free.end(),
                                 [&](const Slot& a, const Slot& b) { return uses(a) < uses(b); });
    workers.push_back(*best);
    old_index.push_back(-1);
    free.erase(best);
  }

  ScheduleResult out;
  // Workers beyond the executor count would get nothing: not a shortage.
  const size_t useful = in.executors > 0 ? std::min(wanted, in.executors) : wanted;
  if (workers.size() < useful) {
    out.note = "wants " + std::to_string(wanted) + " worker(s), but only " +
               std::to_string(workers.size()) + " slot(s) are free for it: " +
               (workers.empty() ? "nothing runs" : "runs on " + std::to_string(workers.size())) +
               " until more slots free up (add supervisors, or rebalance to fewer workers)";
  }
  if (workers.empty() || in.executors == 0) return out;

  // More workers than before (slots appeared for a topology that had too
  // few): spread everything over them, as a rebalance would.
  const bool full = in.full || (!in.old_workers.empty() && workers.size() > in.old_workers.size());
  // The executor set changes only through rebalance, which asks for `full`.
  const bool same_executors = in.old_executor_worker.size() == in.executors;
  std::vector<int> load(workers.size(), 0);
  std::vector<int> placed(in.executors, -1);
  for (size_t e = 0; e < in.executors; ++e) {
    int w = -1;
    if (!full && same_executors) {
      const int was = in.old_executor_worker[e];
      for (size_t k = 0; k < workers.size(); ++k) {
        if (old_index[k] >= 0 && old_index[k] == was) w = static_cast<int>(k);
      }
    }
    if (w < 0) {
      w = full ? static_cast<int>(e % workers.size())  // round-robin, in task order
               : static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    }
    ++load[static_cast<size_t>(w)];
    placed[e] = w;
  }
  // Drop workers that ended up with nothing (more workers than executors).
  std::vector<int> remap(workers.size(), -1);
  for (size_t k = 0; k < workers.size(); ++k) {
    if (load[k] == 0) continue;
    remap[k] = static_cast<int>(out.workers.size());
    out.workers.push_back(workers[k]);
  }
  for (int w : placed) out.executor_worker.push_back(remap[static_cast<size_t>(w)]);
  return out;
}

}  // namespace gale::nimbus
