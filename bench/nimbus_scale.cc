// gale-bench-nimbus-scale: one nimbus under the heartbeats of a large
// cluster, simulated (issue 19's scale test; scripts/bench-nimbus-scale.sh
// runs it). Fake supervisors heartbeat their slots every second over Thrift,
// and for every slot nimbus assigns them, a fake worker fetches its plan
// (getWorkerPlan, once per assignment version) and heartbeats every second
// with stats for its executors, as gale-worker does. Nothing is started: the
// load on nimbus is the calls, their sizes and their rate.
//
//   gale-bench-nimbus-scale --nimbus HOST:PORT --nimbus-pid PID
//       [--supervisors 1000] [--ports 4] [--connections 50] [--seconds 60]
//
// Prints "registered N supervisors" once every supervisor has heartbeated
// (submit the topologies then), a line per second (calls made, workers
// heartbeating, nimbus CPU and RSS) and a summary of the seconds in which
// every assigned worker heartbeated: calls per second and latency
// percentiles per call, nimbus's CPU-s/s and peak RSS, and whether every
// supervisor and worker kept its one-second beat.
#include "thrift/client.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using gale::thrift::NimbusClient;

struct Options {
  std::string nimbus;
  int nimbus_pid = 0;
  int supervisors = 1000;
  int ports = 4;
  int connections = 50;
  int seconds = 60;
};

enum Call { kSupervisorBeat, kGetPlan, kWorkerBeat, kCalls };
const char* const kCallNames[] = {"supervisorHeartbeat", "getWorkerPlan", "workerHeartbeat"};

// A fake worker on one slot: what nimbus told it to run.
struct FakeWorker {
  std::string topology_id;
  int64_t version = -1;
  int32_t index = -1;  // in the assignment's workers
  std::vector<gale::thrift::ExecutorAssignment> executors;
  int64_t beats = 0;
};

struct FakeSupervisor {
  std::string id;
  std::vector<int32_t> ports;
  std::map<int32_t, FakeWorker> workers;  // by port: the slots nimbus assigned
};

// Latencies in microseconds, per call, per second of the run.
struct Recorder {
  std::mutex mu;
  std::map<int64_t, std::vector<double>> by_second[kCalls];
  std::map<int64_t, int64_t> workers_beating;  // second -> worker heartbeats sent
  std::map<int64_t, int64_t> late_rounds;      // second -> rounds that took over 1 s
  std::atomic<int64_t> errors{0};
  void Add(Call c, int64_t second, double micros) {
    std::lock_guard lock(mu);
    by_second[c][second].push_back(micros);
  }
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// utime + stime of `pid` in seconds, and its RSS in MiB.
std::pair<double, double> CpuAndRss(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const size_t close = text.rfind(')');
  double cpu = 0;
  if (close != std::string::npos) {
    std::istringstream fields(text.substr(close + 2));
    std::string f;
    long long utime = 0, stime = 0;
    for (int n = 3; n <= 15 && fields >> f; ++n) {
      if (n == 14) utime = std::atoll(f.c_str());
      if (n == 15) stime = std::atoll(f.c_str());
    }
    cpu = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  double rss = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atof(line.c_str() + 6) / 1024;
  }
  return {cpu, rss};
}

gale::thrift::ExecutorStats Stats(int64_t beats) {
  gale::thrift::ExecutorStats s;
  s.emitted = s.transferred = s.acked = s.executed = beats * 1000;
  s.failed = 0;
  s.execute_ms_avg = 0.01;
  s.complete_ms_avg = 1.5;
  return s;
}

// One connection's share of the supervisors, beating once a second.
void RunConnection(const gale::rpc::HostPort& nimbus, std::vector<FakeSupervisor>& mine,
                   Clock::time_point start, Clock::time_point end, Recorder& rec,
                   std::atomic<int>& registered) {
  std::unique_ptr<gale::rpc::NimbusConnection> conn;
  auto timed = [&](Call c, const std::function<void(NimbusClient&)>& call) {
    if (!conn) {
      auto again = gale::rpc::NimbusConnection::Connect(nimbus, std::chrono::seconds(10));
      if (!again.ok()) {
        ++rec.errors;
        return false;
      }
      conn = std::move(again).value();
    }
    const auto t0 = Clock::now();
    const gale::Status s = conn->Call(call);
    const auto t1 = Clock::now();
    const int64_t second = std::chrono::duration_cast<std::chrono::seconds>(t0 - start).count();
    if (!s.ok()) {
      ++rec.errors;
      if (s.code() == gale::StatusCode::kUnavailable) conn.reset();
      return false;
    }
    rec.Add(c, second, std::chrono::duration<double, std::micro>(t1 - t0).count());
    return true;
  };
  bool counted = false;
  for (auto round = start; round < end; round += std::chrono::seconds(1)) {
    std::this_thread::sleep_until(round);
    const int64_t second = std::chrono::duration_cast<std::chrono::seconds>(round - start).count();
    int64_t worker_beats = 0;
    for (FakeSupervisor& sup : mine) {
      gale::thrift::SupervisorHeartbeat hb;
      hb.supervisor_id = sup.id;
      hb.host = "10.1." + std::to_string(std::stoi(sup.id.substr(4)) / 250) + "." +
                std::to_string(std::stoi(sup.id.substr(4)) % 250 + 1);
      hb.ports = sup.ports;
      for (const auto& [port, w] : sup.workers) hb.running_ports.push_back(port);
      std::vector<gale::thrift::SlotAssignment> slots;
      if (!timed(kSupervisorBeat, [&](NimbusClient& c) { c.supervisorHeartbeat(slots, hb); })) {
        continue;
      }
      std::map<int32_t, FakeWorker> next;
      for (const auto& slot : slots) {
        FakeWorker& w = next[slot.port];
        auto old = sup.workers.find(slot.port);
        if (old != sup.workers.end() && old->second.topology_id == slot.topology_id &&
            old->second.version == slot.assignment_version) {
          w = old->second;
          continue;
        }
        w.topology_id = slot.topology_id;
        w.version = slot.assignment_version;
      }
      sup.workers = std::move(next);
      for (auto& [port, w] : sup.workers) {
        if (w.index < 0) {
          gale::thrift::WorkerPlan plan;
          if (!timed(kGetPlan, [&](NimbusClient& c) {
                c.getWorkerPlan(plan, w.topology_id, sup.id, port);
              })) {
            continue;
          }
          const auto& a = plan.assignment;
          for (size_t i = 0; i < a.workers.size(); ++i) {
            if (a.workers[i].supervisor_id == sup.id && a.workers[i].port == port) {
              w.index = static_cast<int32_t>(i);
            }
          }
          w.version = a.version;
          for (const auto& ea : a.executors) {
            if (ea.worker == w.index) w.executors.push_back(ea);
          }
        }
        if (w.index < 0) continue;
        gale::thrift::WorkerHeartbeat whb;
        whb.topology_id = w.topology_id;
        whb.supervisor_id = sup.id;
        whb.port = port;
        whb.assignment_version = w.version;
        whb.executors = w.executors;
        ++w.beats;
        for (size_t i = 0; i < w.executors.size(); ++i) whb.stats.push_back(Stats(w.beats));
        whb.__set_incarnation(1);
        gale::thrift::WorkerHeartbeatResponse resp;
        if (timed(kWorkerBeat, [&](NimbusClient& c) { c.workerHeartbeat(resp, whb); })) {
          ++worker_beats;
          if (!resp.assigned || resp.assignment_version != w.version) w.index = -1;
        }
      }
    }
    if (!counted) {
      counted = true;
      ++registered;
    }
    std::lock_guard lock(rec.mu);
    rec.workers_beating[second] += worker_beats;
    if (Clock::now() - round > std::chrono::seconds(1)) ++rec.late_rounds[second];
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--nimbus") o.nimbus = value;
    else if (flag == "--nimbus-pid") o.nimbus_pid = std::atoi(value.c_str());
    else if (flag == "--supervisors") o.supervisors = std::atoi(value.c_str());
    else if (flag == "--ports") o.ports = std::atoi(value.c_str());
    else if (flag == "--connections") o.connections = std::atoi(value.c_str());
    else if (flag == "--seconds") o.seconds = std::atoi(value.c_str());
    else {
      std::cerr << "gale-bench-nimbus-scale: unknown option " << flag << "\n";
      return 2;
    }
  }
  auto nimbus = gale::rpc::ParseHostPort(o.nimbus);
  if (!nimbus.ok() || o.nimbus_pid <= 0 || o.supervisors < 1 || o.ports < 1 || o.connections < 1 ||
      o.seconds < 2) {
    std::cerr << "usage: gale-bench-nimbus-scale --nimbus HOST:PORT --nimbus-pid PID "
                 "[--supervisors N] [--ports N] [--connections N] [--seconds N]\n";
    return 2;
  }
  o.connections = std::min(o.connections, o.supervisors);
  std::vector<std::vector<FakeSupervisor>> shares(static_cast<size_t>(o.connections));
  for (int s = 0; s < o.supervisors; ++s) {
    FakeSupervisor sup;
    char id[32];
    std::snprintf(id, sizeof id, "sim-%05d", s);
    sup.id = id;
    for (int p = 0; p < o.ports; ++p) sup.ports.push_back(6700 + p);
    shares[static_cast<size_t>(s % o.connections)].push_back(std::move(sup));
  }
  Recorder rec;
  std::atomic<int> registered{0};
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  const auto end = start + std::chrono::seconds(o.seconds);
  std::vector<std::thread> threads;
  for (auto& share : shares) {
    threads.emplace_back(
        [&, s = &share] { RunConnection(*nimbus, *s, start, end, rec, registered); });
  }
  // Once a second: what happened in the second before, and nimbus's CPU.
  std::map<int64_t, std::pair<double, double>> usage;  // second -> (CPU-s/s, RSS MiB)
  auto [cpu_before, rss_before] = CpuAndRss(o.nimbus_pid);
  bool said_registered = false;
  for (int64_t second = 1; Clock::now() < end + std::chrono::seconds(1); ++second) {
    std::this_thread::sleep_until(start + std::chrono::seconds(second));
    const auto [cpu, rss] = CpuAndRss(o.nimbus_pid);
    usage[second - 1] = {cpu - cpu_before, rss};
    cpu_before = cpu;
    if (!said_registered && registered.load() == o.connections) {
      said_registered = true;
      std::cout << "registered " << o.supervisors << " supervisors" << std::endl;
    }
    std::lock_guard lock(rec.mu);
    const int64_t s = second - 1;
    std::cout << "second " << s << ": " << rec.by_second[kSupervisorBeat][s].size()
              << " supervisor beats, " << rec.workers_beating[s] << " worker beats, "
              << rec.by_second[kGetPlan][s].size() << " plans; nimbus " << usage[s].first
              << " CPU-s/s, " << usage[s].second << " MiB" << std::endl;
  }
  for (auto& t : threads) t.join();

  // The steady seconds: the assigned workers all beat (their count is at
  // its maximum), no plan fetched.
  int64_t most = 0;
  for (const auto& [s, n] : rec.workers_beating) most = std::max(most, n);
  std::vector<int64_t> steady;
  for (const auto& [s, n] : rec.workers_beating) {
    if (most > 0 && n == most && rec.by_second[kGetPlan][s].empty()) steady.push_back(s);
  }
  std::cout << "\nsummary: " << o.supervisors << " supervisors x " << o.ports << " slots over "
            << o.connections << " connections; " << most << " workers heartbeating in "
            << steady.size() << " steady seconds; " << rec.errors.load() << " failed calls\n";
  int64_t late = 0;
  for (const auto& [s, n] : rec.late_rounds) late += n;
  std::cout << "rounds over 1 s (a connection's supervisors and workers could not all beat in "
               "their second): "
            << late << "\n";
  for (int c = 0; c < kCalls; ++c) {
    std::vector<double> all, in_steady;
    for (const auto& [s, v] : rec.by_second[c]) {
      all.insert(all.end(), v.begin(), v.end());
      if (std::find(steady.begin(), steady.end(), s) != steady.end()) {
        in_steady.insert(in_steady.end(), v.begin(), v.end());
      }
    }
    const auto& v = c == kGetPlan ? all : in_steady;
    const double per_second =
        c == kGetPlan ? 0 : static_cast<double>(v.size()) / std::max<size_t>(1, steady.size());
    std::printf("%-20s %8zu calls%s  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", kCallNames[c],
                v.size(),
                c == kGetPlan
                    ? " (all)"
                    : (" (" + std::to_string(static_cast<int>(per_second)) + "/s steady)").c_str(),
                Percentile(v, 0.5) / 1000, Percentile(v, 0.99) / 1000,
                v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()) / 1000);
  }
  double cpu_sum = 0, rss_max = 0;
  for (int64_t s : steady) cpu_sum += usage[s].first;
  for (const auto& [s, u] : usage) rss_max = std::max(rss_max, u.second);
  std::printf("nimbus: %.2f CPU-s/s in the steady seconds, peak RSS %.0f MiB (%.0f MiB before)\n",
              steady.empty() ? 0.0 : cpu_sum / static_cast<double>(steady.size()), rss_max,
              rss_before);
  return rec.errors.load() == 0 ? 0 : 1;
}
