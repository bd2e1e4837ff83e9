#include "nimbus/scheduler.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <tuple>

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
  // least so far (ties: the slot first in the order given): workers spread
  // over machines. A supervisor's candidates are ordered by (its uses, the
  // position of its first free slot left), so that picking costs log(S),
  // not a scan of every free slot against every worker (at 1 000 supervisors
  // and 2 000 workers that scan took 14 s, under nimbus's lock).
  std::map<std::string, std::deque<size_t>> free_of;  // supervisor -> free slot positions
  for (size_t i = 0; i < in.free_slots.size(); ++i) {
    free_of[in.free_slots[i].supervisor].push_back(i);
  }
  std::map<std::string, size_t> uses;
  for (const Slot& w : workers) ++uses[w.supervisor];
  std::set<std::tuple<size_t, size_t, std::string>> candidates;  // (uses, position, supervisor)
  for (const auto& [supervisor, positions] : free_of) {
    candidates.insert({uses[supervisor], positions.front(), supervisor});
  }
  while (workers.size() < wanted && !candidates.empty()) {
    auto [used, position, supervisor] = *candidates.begin();
    candidates.erase(candidates.begin());
    workers.push_back(in.free_slots[position]);
    old_index.push_back(-1);
    std::deque<size_t>& left = free_of[supervisor];
    left.pop_front();
    if (!left.empty()) candidates.insert({used + 1, left.front(), supervisor});
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
  // Per planned executor, its old worker (-1: a new executor).
  std::vector<int> was_on(in.executors, -1);
  if (!in.executor_tasks.empty() || !in.old_executor_tasks.empty()) {
    std::map<TaskRange, int> old_on;
    for (size_t e = 0; e < in.old_executor_tasks.size() && e < in.old_executor_worker.size(); ++e) {
      old_on[in.old_executor_tasks[e]] = in.old_executor_worker[e];
    }
    for (size_t e = 0; e < in.executors && e < in.executor_tasks.size(); ++e) {
      auto it = old_on.find(in.executor_tasks[e]);
      if (it != old_on.end()) was_on[e] = it->second;
    }
  } else if (in.old_executor_worker.size() == in.executors) {
    was_on = in.old_executor_worker;
  }
  std::vector<int> load(workers.size(), 0);
  std::vector<int> placed(in.executors, -1);
  std::map<int, int> kept;  // old worker index -> new index
  for (size_t k = 0; k < workers.size(); ++k) {
    if (old_index[k] >= 0) kept[old_index[k]] = static_cast<int>(k);
  }
  // First the executors that stay on their worker, then the others on the
  // least loaded: deciding "least loaded" before every staying executor is
  // counted sent a lost worker's executors onto kept workers, and left its
  // replacement empty (and dropped).
  auto chained = [&](size_t e) { return e < in.chain_head.size() && in.chain_head[e] >= 0; };
  size_t heads = 0;
  for (size_t e = 0; e < in.executors; ++e) {
    if (chained(e)) continue;  // placed with its head, below
    if (full) {
      placed[e] = static_cast<int>(heads++ % workers.size());  // round-robin, in task order
    } else if (was_on[e] >= 0) {
      auto it = kept.find(was_on[e]);
      if (it != kept.end()) placed[e] = it->second;
    }
    if (placed[e] >= 0) ++load[static_cast<size_t>(placed[e])];
  }
  for (size_t e = 0; e < in.executors; ++e) {
    if (placed[e] >= 0 || chained(e)) continue;
    placed[e] = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    ++load[static_cast<size_t>(placed[e])];
  }
  for (size_t e = 0; e < in.executors; ++e) {
    if (!chained(e)) continue;
    placed[e] = placed[static_cast<size_t>(in.chain_head[e])];
    ++load[static_cast<size_t>(placed[e])];
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
