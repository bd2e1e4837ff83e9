// supervisor/state_exporter.h
//
// The supervisor's half of moving RocksDB state with its tasks
// (nimbus/state_mover.h): it asks nimbus, about every second, which of the
// databases in its state directory belong to tasks that run on another
// supervisor now, sends each to nimbus once no worker of its own has it open
// (RocksDB's lock: opening waits for the old worker to let go), and empties
// its copy once nimbus has taken it.
//
// Threading: a thread of its own, with its own nimbus session, so that a
// large database or a worker slow to let go never delays heartbeats.
#pragma once

#include "supervisor/nimbus_session.h"
#include "supervisor/supervisor_config.h"

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace gale::supervisor {

class StateExporter {
 public:
  // `rocksdb_dir`: where this supervisor's workers keep RocksDB state.
  StateExporter(NimbusAddress nimbus, std::string supervisor_id, std::string rocksdb_dir);
  // Stops the thread (an upload in progress is cut short; nimbus keeps the
  // state with this supervisor until a whole one arrives).
  ~StateExporter();
  StateExporter(const StateExporter&) = delete;
  StateExporter& operator=(const StateExporter&) = delete;

 private:
  void Run();
  Status Export(const std::string& ns);
  bool Sleep(std::chrono::milliseconds d);  // false once stopping

  NimbusSession session_;
  const std::string supervisor_id_, rocksdb_dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::string last_problem_;  // logged once until it changes
  std::thread thread_;        // last: starts once the rest is ready
};

}  // namespace gale::supervisor
