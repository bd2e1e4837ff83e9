#include "worker/local_mode.h"

#include "core/common/clock.h"
#include "core/plan/load_topology.h"
#include "core/plan/topology_plan.h"
#include "core/runtime/worker_runtime.h"
#include "core/state/checkpoint.h"
#include "worker/shutdown.h"

#include <signal.h>
#include <unistd.h>
#include <ctime>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <thread>

namespace gale::worker {
namespace {

// SIGINT and SIGTERM received so far.
std::atomic<int> g_signals{0};
static_assert(std::atomic<int>::is_always_lock_free);
extern "C" void OnSignal(int) { g_signals.fetch_add(1); }

const char* RoleName(plan::Role r) {
  switch (r) {
    case plan::Role::kSpout: return "spout";
    case plan::Role::kBolt: return "bolt";
    case plan::Role::kAcker: return "acker";
  }
  return "?";
}

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

void PrintTable(const std::vector<runtime::ComponentStats>& stats, double secs, std::ostream& out) {
  // As wide as the longest component id ($checkpointspout is 16), plus one.
  int width = 16;
  for (const auto& c : stats) width = std::max(width, static_cast<int>(c.component.size()) + 1);
  out << "\n";
  out << std::left << std::setw(width) << "component" << std::setw(7) << "kind" << std::right
      << std::setw(6) << "execs" << std::setw(6) << "tasks" << std::setw(11) << "emitted"
      << std::setw(12) << "transferred" << std::setw(11) << "acked" << std::setw(9) << "failed"
      << std::setw(11) << "executed" << std::setw(13) << "exec-lat-ms" << std::setw(13)
      << "complete-ms" << std::setw(8) << "errors"
      << "\n";
  for (const auto& c : stats) {
    const auto& s = c.stats;
    out << std::left << std::setw(width) << c.component << std::setw(7) << RoleName(c.role)
        << std::right << std::setw(6) << c.executors << std::setw(6) << c.tasks << std::setw(11)
        << s.emitted << std::setw(12) << s.transferred << std::setw(11) << s.acked << std::setw(9)
        << s.failed << std::setw(11) << s.executed << std::setw(13)
        << (c.role == plan::Role::kSpout ? "-" : Fixed(s.execute_latency_ms(), 4)) << std::setw(13)
        << (c.role == plan::Role::kSpout ? Fixed(s.complete_latency_ms(), 3) : "-") << std::setw(8)
        << s.error_count << "\n";
  }
  out << "ran " << Fixed(secs, 2) << " s\n";
  for (const auto& c : stats) {
    for (const auto& e : c.stats.last_errors) {
      out << "last error of " << c.component << " (task " << e.task << "): " << e.message << "\n";
    }
  }
}

}  // namespace

int RunLocal(const LocalOptions& options, std::ostream& out, std::ostream& err) {
  auto loaded = plan::LoadForCommand(options.file, options.filter_file,
                                     plan::PluginIsolation::kInProcess, err);
  if (!loaded) return 2;
  // Each run its own id (two runs in one second too), RocksDB state in
  // ./gale-state.
  state::SetRunDefaults(loaded->spec.config,
                        loaded->spec.name + "-local-" + std::to_string(::time(nullptr)) + "-" +
                            std::to_string(::getpid()),
                        "gale-state");
  auto plan = plan::TopologyPlan::Build(loaded->spec);
  if (!plan.ok()) {
    err << plan.status().message() << "\n";
    return 2;
  }
  // A component writing to a peer that went away gets EPIPE, as in a
  // cluster worker (cluster_worker.cc), not a silent death by SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  auto worker = runtime::WorkerRuntime::Create(**plan, *loaded->registry, SystemClock::Get());
  if (!worker.ok()) {
    err << "cannot start topology '" << loaded->spec.name << "': " << worker.status().message()
        << "\n";
    return 1;
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (!options.quiet) {
    err << "running topology '" << loaded->spec.name << "' in local mode ("
        << (*plan)->executors().size() << " executors, " << (*plan)->task_count() << " tasks)"
        << (options.duration_secs > 0 ? " for " + Fixed(options.duration_secs, 1) + " s" : "")
        << "\n";
  }
  (*worker)->Start();
  // Quiescence must hold on two checks in a row, 20 ms apart.
  int quiet_checks = 0;
  std::string fatal;
  while (g_signals.load() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    fatal = (*worker)->Fatal();
    if (!fatal.empty()) break;
    if (options.duration_secs > 0) {
      if (elapsed() >= options.duration_secs) break;
      continue;
    }
    quiet_checks = (*worker)->Quiescent() ? quiet_checks + 1 : 0;
    if (quiet_checks >= 2) break;
  }
  // Executors get topology.worker.shutdown.secs to stop; a signal during
  // the stop (the second one, when a signal began it) ends the wait.
  const int signals_at_stop = g_signals.load();
  const double shutdown_secs = (*plan)->settings().worker_shutdown_secs;
  if (signals_at_stop > 0 && !options.quiet) {
    err << "interrupted: stopping (waiting up to " << Fixed(shutdown_secs, 1)
        << " s for the executors; interrupt again to exit at once)\n";
  }
  const auto interrupted_again = [&] {
    const int n = g_signals.load();
    return n > signals_at_stop || n >= 2;
  };
  const auto stuck = (*worker)->StopUntil(ShutdownDeadline(shutdown_secs), interrupted_again);
  const bool cut_short = interrupted_again();
  PrintTable((*worker)->Stats(), elapsed(), out);
  if (!fatal.empty()) {
    err << "topology '" << loaded->spec.name << "' stopped: " << fatal << "\n";
  }
  if (!stuck.empty()) {
    // Their threads cannot be joined, nor the runtime destroyed under them.
    err << "topology '" << loaded->spec.name
        << "': " << StuckMessage(stuck, shutdown_secs, cut_short) << "\n";
    out.flush();
    err.flush();
    ExitLeavingThreads(kExitExecutorsStuck);
  }
  return fatal.empty() ? 0 : 1;
}

}  // namespace gale::worker
