// gale-worker: runs a topology's executors.
//   gale-worker local FILE.yaml [--duration S] [--filter F]    (what `gale local` does)
//   gale-worker --nimbus H:P --topology-id ID --supervisor-id S --host H --port P --plugin-dir D
//               [--log-file F --log-max-bytes N --log-max-files K] [--death-note F]
//                                                            (started by a supervisor)
#include "core/common/logging.h"
#include "worker/cluster_worker.h"
#include "worker/death_note.h"
#include "worker/local_mode.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "local") == 0) {
    gale::worker::LocalOptions o;
    o.file = argv[2];
    for (int i = 3; i + 1 < argc; i += 2) {
      if (std::strcmp(argv[i], "--duration") == 0) o.duration_secs = std::atof(argv[i + 1]);
      if (std::strcmp(argv[i], "--filter") == 0) o.filter_file = argv[i + 1];
    }
    return gale::worker::RunLocal(o, std::cout, std::cerr);
  }
  gale::worker::ClusterWorkerOptions o;
  std::string log_file;
  int64_t log_max_bytes = 0;
  int log_max_files = 5;
  std::string death_note;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "gale-worker: " << k << " needs a value\n";
      return 2;
    }
    const std::string v = argv[++i];
    if (k == "--nimbus") o.nimbus = v;
    else if (k == "--topology-id") o.topology_id = v;
    else if (k == "--supervisor-id") o.supervisor_id = v;
    else if (k == "--host") o.host = v;
    else if (k == "--port") o.port = std::atoi(v.c_str());
    else if (k == "--plugin-dir") o.plugin_dir = v;
    else if (k == "--log-file") log_file = v;
    else if (k == "--log-max-bytes") log_max_bytes = std::atoll(v.c_str());
    else if (k == "--log-max-files") log_max_files = std::atoi(v.c_str());
    else if (k == "--death-note") death_note = v;
    else {
      std::cerr << "gale-worker: unknown option '" << k << "'\n";
      return 2;
    }
  }
  if (!log_file.empty()) {
    // stdout and stderr (the engine's lines, plugins' loggers, anything a
    // plugin prints) go to the log, rotated past --log-max-bytes.
    const gale::Status s = gale::LogToFile(log_file, log_max_bytes, log_max_files);
    if (!s.ok()) std::cerr << "gale-worker: " << s.message() << "\n";
  }
  if (!death_note.empty()) {
    const gale::Status s = gale::worker::InstallDeathNote(death_note);
    if (!s.ok()) std::cerr << "gale-worker: " << s.message() << "\n";
  }
  return gale::worker::RunClusterWorker(o);
}
