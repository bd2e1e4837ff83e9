#include "worker/worker_layout.h"

#include <algorithm>

namespace gale::worker {

Result<WorkerLayout> LayOut(const std::vector<AssignedSlot>& slots,
                            const std::vector<AssignedExecutor>& executors,
                            const std::vector<int32_t>& first_tasks, int32_t task_count,
                            const std::string& supervisor_id, int port) {
  WorkerLayout out;
  for (size_t w = 0; w < slots.size(); ++w) {
    if (slots[w].supervisor_id == supervisor_id && slots[w].port == port) {
      out.my_index = static_cast<int>(w);
    }
  }
  if (out.my_index < 0) return out;
  std::vector<int> slot_peer(slots.size(), -1);
  for (size_t w = 0; w < slots.size(); ++w) {
    if (static_cast<int>(w) == out.my_index) continue;
    slot_peer[w] = static_cast<int>(out.peers.size());
    out.peers.push_back(slots[w].host + ":" + std::to_string(slots[w].port));
  }
  out.task_peer.assign(static_cast<size_t>(std::max(task_count, 0)) + 1, -1);
  for (const AssignedExecutor& e : executors) {
    const std::string tasks =
        "tasks " + std::to_string(e.task_start) + "-" + std::to_string(e.task_end);
    if (e.worker < 0 || static_cast<size_t>(e.worker) >= slots.size()) {
      return Status::InvalidArgument("assignment puts " + tasks + " on worker " +
                                     std::to_string(e.worker) + ", but lists " +
                                     std::to_string(slots.size()) + " worker(s)");
    }
    if (e.task_start < 1 || e.task_end < e.task_start || e.task_end > task_count) {
      return Status::InvalidArgument("assignment has " + tasks + ", but the topology has tasks 1-" +
                                     std::to_string(task_count));
    }
    for (int32_t t = e.task_start; t <= e.task_end; ++t) {
      out.task_peer[static_cast<size_t>(t)] = slot_peer[static_cast<size_t>(e.worker)];
    }
    if (e.worker != out.my_index) continue;
    const auto k = std::find(first_tasks.begin(), first_tasks.end(), e.task_start);
    if (k == first_tasks.end()) {
      return Status::InvalidArgument("assignment gives this worker " + tasks +
                                     ", which start no executor of the topology");
    }
    out.executors.push_back(static_cast<size_t>(k - first_tasks.begin()));
    out.mine.push_back(e);
  }
  return out;
}

}  // namespace gale::worker
