#include "worker/worker_layout.h"

#include <algorithm>

namespace gale::worker {
namespace {

// How a slot's worker is known: its peers' address for it, and the name its
// own frames give (my_address), which must be the same string.
std::string SlotAddress(const AssignedSlot& slot) {
  return slot.host + ":" + std::to_string(slot.port);
}

}  // namespace

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
    out.peers.push_back(SlotAddress(slots[w]));
    out.peer_versions.push_back(slots[w].layout_version);
  }
  out.my_layout_version = slots[static_cast<size_t>(out.my_index)].layout_version;
  out.my_address = SlotAddress(slots[static_cast<size_t>(out.my_index)]);
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

namespace {

std::string Describe(const std::vector<AssignedExecutor>& executors) {
  std::string out;
  for (const AssignedExecutor& e : executors) {
    out +=
        (out.empty() ? "" : ", ") + std::to_string(e.task_start) + "-" + std::to_string(e.task_end);
  }
  return out.empty() ? "none" : out;
}

std::vector<std::pair<int32_t, int32_t>> Ranges(const std::vector<AssignedExecutor>& executors) {
  std::vector<std::pair<int32_t, int32_t>> out;
  for (const AssignedExecutor& e : executors) out.push_back({e.task_start, e.task_end});
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<Reroute> PlanReroute(const WorkerLayout& current,
                            const std::vector<std::string>& transport_peers,
                            const std::vector<AssignedSlot>& slots,
                            const std::vector<AssignedExecutor>& executors,
                            const std::vector<int32_t>& first_tasks, int32_t task_count,
                            const std::string& supervisor_id, int port) {
  Reroute out;
  GALE_ASSIGN_OR_RETURN(out.layout,
                        LayOut(slots, executors, first_tasks, task_count, supervisor_id, port));
  if (out.layout.my_index < 0) {
    return Status::NotFound("the new assignment has no worker on this slot");
  }
  if (out.layout.my_address != current.my_address) {
    return Status::FailedPrecondition("the new assignment lists this worker as " +
                                      out.layout.my_address + ", not " + current.my_address);
  }
  if (Ranges(out.layout.mine) != Ranges(current.mine)) {
    return Status::FailedPrecondition("the new assignment gives this worker tasks " +
                                      Describe(out.layout.mine) + " instead of " +
                                      Describe(current.mine));
  }
  // Peers by address: an address of the new assignment keeps its index.
  out.peers = transport_peers;
  std::vector<int> index_of(out.layout.peers.size(), -1);
  std::vector<bool> still(transport_peers.size(), false);
  for (size_t n = 0; n < out.layout.peers.size(); ++n) {
    const auto it = std::find(transport_peers.begin(), transport_peers.end(), out.layout.peers[n]);
    if (it == transport_peers.end()) {
      index_of[n] = static_cast<int>(out.peers.size());
      out.peers.push_back(out.layout.peers[n]);
    } else {
      index_of[n] = static_cast<int>(it - transport_peers.begin());
      still[static_cast<size_t>(index_of[n])] = true;
    }
  }
  for (size_t p = 0; p < transport_peers.size(); ++p) {
    if (!still[p]) out.peers[p] = "";  // left the assignment: retired
  }
  out.peer_versions.assign(out.peers.size(), 0);
  for (size_t n = 0; n < out.layout.peers.size(); ++n) {
    out.peer_versions[static_cast<size_t>(index_of[n])] = out.layout.peer_versions[n];
  }
  // The same executors run here (checked above), so the same tasks are local.
  out.task_peer = out.layout.task_peer;
  for (int& p : out.task_peer) {
    if (p >= 0) p = index_of[static_cast<size_t>(p)];
  }
  return out;
}

}  // namespace gale::worker
