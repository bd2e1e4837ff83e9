// nimbus/state_mover.h
//
// Moving RocksDB state with its tasks (core/state/README.md, "Moving RocksDB
// state"). A stateful task's RocksDB database is on the disk of the
// supervisor whose worker ran it. The mover remembers, per state namespace
// (one task's), who holds it: a supervisor, or nimbus itself while the
// state is on its way. When an assignment puts a task on another supervisor
// than the holder:
//   1. the holder's supervisor finds the namespace among its exports, waits
//      until no worker of its own has the database open, sends a snapshot
//      and, once nimbus took it, empties its copy: nimbus holds it (a file
//      in its state directory; with HA nimbus, copied to the other
//      nimbuses before nimbus takes it: MetaStore::ShareStateFile);
//   2. the worker that runs the task on its new supervisor fetches the
//      snapshot before its tasks start, imports it and claims it: that
//      supervisor holds it.
// Nimbus checks who asks: only the holder uploads, only while the task runs
// elsewhere; only the task's supervisor of the current assignment fetches
// and claims. So a copy is never taken from, or given to, a worker that
// runs the task, and a crash at any step leaves one holder with the state.
//
// A holder whose worker has not fetched its plan to run the task has no state:
// such a namespace follows its task without a move (Ran, Assigned).
//
// Threading: none of its own; Nimbus calls it under its mutex.
#pragma once

#include "core/common/result.h"
#include "core/plan/topology_plan.h"
#include "nimbus/meta_store.h"
#include "thrift/gen-cpp/gale_types.h"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gale::nimbus {

// The RocksDB state nimbus keeps while it moves: in
// <state_dir>/state-moves, one file per namespace named by the namespace's
// SHA-256. A snapshot (from its holder, or in HA the leader's copy on a
// follower) is written in order from offset 0 into NAME.part and kept,
// synced and renamed to NAME.bin, once whole.
//
// Threading: thread-safe (one mutex for its file steps: a prune never
// removes a copy being kept).
class StateFiles {
 public:
  explicit StateFiles(const std::string& state_dir) : dir_(state_dir + "/state-moves") {}
  const std::string& dir() const { return dir_; }
  // `ext`: ".part" or ".bin".
  std::string PathOf(const std::string& ns, const char* ext) const;
  // Writes `chunk` at `offset` of NAME.part (offset 0 starts it again); an
  // offset other than what arrived so far is refused.
  Status Append(const std::string& ns, int64_t offset, const std::string& chunk);
  // NAME.part, which must hold `size` bytes (else it is dropped and the
  // error says so), synced and renamed to NAME.bin, its folder synced.
  Status Keep(const std::string& ns, int64_t size);
  void Drop(const std::string& ns);
  // NAME.bin's size; kNotFound when there is none.
  Result<int64_t> Size(const std::string& ns) const;
  // Up to `length` bytes of NAME.bin from `offset` (empty past its end);
  // kNotFound when there is none.
  Result<std::string> Read(const std::string& ns, int64_t offset, int32_t length) const;
  // Removes the files of the namespaces not in `held` (by name) written
  // more than `age` ago: a follower's copies of state claimed since.
  void Prune(const std::set<std::string>& held, std::chrono::seconds age);

 private:
  std::string dir_;
  std::mutex mu_;
};

class StateMover {
 public:
  // namespace -> the supervisor whose worker runs its task
  using Placement = std::map<std::string, std::string>;

  // `state_dir`: nimbus's.
  // The holders are kept in `store` ("state-holders"); the state being
  // moved in <state_dir>/state-moves.
  StateMover(std::string state_dir, MetaStore& store);
  // Reads who holds what. A file that cannot be read is moved aside (and
  // nothing is moved until tasks are assigned again), never deleted.
  Status Recover();

  // The namespaces of `plan`'s stateful tasks whose state is RocksDB in the
  // supervisor's own directory (a topology that names its own
  // topology.state.rocksdb.dir keeps it there: a disk every machine
  // mounts), each with the supervisor `a` runs it on.
  static Placement PlacementOf(const plan::TopologyPlan& plan, const std::string& topology_id,
                               const thrift::Assignment& a);
  // Those of them that worker `worker` of `a` runs and its supervisor does
  // not hold: what it fetches before its tasks start.
  std::vector<std::string> ImportsFor(const plan::TopologyPlan& plan,
                                      const std::string& topology_id, const thrift::Assignment& a,
                                      int worker) const;

  // For each worker of `a` (by index), the namespaces of its tasks.
  static std::vector<std::vector<std::string>> ByWorker(const plan::TopologyPlan& plan,
                                                        const std::string& topology_id,
                                                        const thrift::Assignment& a);

  // Tasks assigned: a namespace nobody holds yet is held where it runs, as
  // not run there yet; one whose holder has not run its task follows it (no
  // state can be there: nothing to move or wait for).
  void Assigned(const Placement& placement);
  // A recovered topology's tasks: a namespace nobody holds is held where
  // its task is assigned, as having run there (its worker may have written
  // state before this nimbus started: it moves, or is waited for).
  void Recovered(const Placement& placement);
  // A worker of `supervisor` fetched its plan to run the tasks of
  // `namespaces`: from now on their state may be there, and moves with them
  // (or is waited for).
  void Ran(const std::string& supervisor, const std::vector<std::string>& namespaces);
  // A topology is gone: its namespaces (those of its own id, whatever its
  // last assignment; a namespace the user named outlives it, for a
  // resubmission) are forgotten, with their files.
  void Forget(const std::string& topology_id);

  // "" while nimbus holds it; nullopt when nobody does.
  std::optional<std::string> HolderOf(const std::string& ns) const;
  // What `supervisor` holds whose task runs elsewhere in `running`.
  std::vector<std::string> ExportsFor(const std::string& supervisor,
                                      const Placement& running) const;

  // From the holder: its snapshot, in order from offset 0.
  Status Upload(const std::string& supervisor, const std::string& ns, int64_t offset,
                const std::string& chunk);
  // The upload is whole. `needed`: the task still runs elsewhere.
  //   kHeld: nimbus holds it already (asked again by the same supervisor
  //     after nimbus took it: its answer was lost), so that the supervisor
  //     empties its stale copy;
  //   kNotNeeded: the upload is dropped;
  //   kShare: the snapshot is kept on disk (files().PathOf(ns, ".bin"),
  //     synced), the supervisor still its holder: HA copies it to the
  //     other nimbuses (MetaStore::ShareStateFile), then Hold.
  enum class Finish { kHeld, kNotNeeded, kShare };
  Result<Finish> FinishUpload(const std::string& supervisor, const std::string& ns, int64_t size,
                              bool needed);
  // After kShare: true when nimbus holds the state from now on (the record
  // saved); false when it is not needed any more (the copy dropped).
  // `sha256`: the snapshot's (recorded with it: a nimbus that leads later
  // serves its copy only if it matches).
  Result<bool> Hold(const std::string& supervisor, const std::string& ns, int64_t size,
                    const std::string& sha256, bool needed);
  const StateFiles& files() const { return files_; }

  // For the task's supervisor (the caller checked that it runs it).
  thrift::StateChunk Read(const std::string& supervisor, const std::string& ns, int64_t offset,
                          int32_t length, bool holder_alive) const;
  Status Claim(const std::string& supervisor, const std::string& ns);

 private:
  // f(namespace, worker index) for each such task.
  static void ForEachTask(const plan::TopologyPlan& plan, const std::string& topology_id,
                          const thrift::Assignment& a,
                          const std::function<void(const std::string&, int)>& f);
  Status Save();

  StateFiles files_;
  MetaStore& store_;
  std::map<std::string, std::string> holders_;  // by namespace; "": nimbus
  // The SHA-256 of each snapshot nimbus holds (absent in records of
  // earlier versions: not checked).
  std::map<std::string, std::string> held_sha256_;
  // The supervisor each namespace nimbus holds came from (since this start).
  std::map<std::string, std::string> taken_from_;
  // Holders whose worker has not reported running the task yet.
  std::set<std::string> not_run_;
  // The last Save failed: what is on disk is older than what is here.
  bool unsaved_ = false;

  void Place(const Placement& placement, bool ran);
};

}  // namespace gale::nimbus
