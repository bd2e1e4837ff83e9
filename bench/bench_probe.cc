// gale-bench-probe: measures one running benchmark topology over a fixed
// window, from the files its components write (topologies/bench/README.md)
// and from /proc. scripts/bench.sh runs it once per workload.
//
//   gale-bench-probe measure --dir DIR --pids PID[,PID...] --warmup S --window S
//                            [--start-timeout S]
//   gale-bench-probe free-ports N      N TCP ports on 127.0.0.1 for daemons (test/support/ports.h)
//   gale-bench-probe core-rtt          the machine's cross-core round trip now
//   gale-bench-probe spsc [SECS]       8-byte messages/s through a lock-free ring between two cores
//
// measure:
// 1. Waits until a count in DIR is above zero: tuples are flowing (the
//    *.acked files of sentence spouts when there are any, as a tree then
//    went all the way; else the *.count files of the last bolts).
// 2. Waits --warmup seconds, then reads, at t0 and at t1 = t0 + --window:
//    the CPU time (utime + stime, every thread) of each pid, and every
//    latency histogram (*.hist) in DIR.
// 3. Reads the count files, which hold "<steady nanos> <count> ..." lines,
//    and interpolates each count at t0 and t1 (steady_clock is one clock
//    for every process of the machine).
//
// Prints key=value lines: window_secs, cpu_secs_per_sec (the pids),
// machine_cpu_secs_per_sec (every process, from /proc/stat), sink_per_sec (sum
// of the *.count files), sink_per_sec_range (its lowest and highest rate over
// the window's whole seconds, "LO,HI"; windows of 2 s or more), acked_per_sec and failed (sum of
// the *.acked files), complete_ms_mean (the acked trees' summed complete latency over their count,
// or over the trees it was measured for when the *.acked files say so, when they carry it),
// latency_samples, p50_ms, p99_ms, p999_ms (the histograms' growth over the window, merged). A
// figure that has no files is left out. Exits 1 when a pid is gone or a count file does not cover
// the window.
//
// core-rtt: two threads, pinned to the first two CPUs this process may use,
// pass a counter back and forth through two cache lines; prints
// core_rtt_ns, the median over 5 rounds of 100,000 round trips, and
// cpus=A,B. That is what every hand-off between two threads costs at least,
// and on a VM it moves with where the host runs the vCPUs (on the 2-core
// development VM: ~125 ns on most runs, ~570 ns at times, for minutes),
// so scripts/bench.sh prints it next to every workload.
#include "latency_histogram.h"
#include "test/support/ports.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Options {
  std::string dir;
  std::vector<int> pids;
  double warmup = 5;
  double window = 10;
  double start_timeout = 60;
};

struct Sample {
  int64_t nanos;
  double count;   // second column
  double extra;   // third column (failed, in *.acked), 0 when absent
  double extra2;  // fourth column (summed complete nanos, in *.acked), 0 when absent
  double extra3;  // fifth column (trees whose complete latency was measured), 0 when absent
};

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "gale-bench-probe: %s\n", message.c_str());
  std::exit(1);
}

void Sleep(double secs) { std::this_thread::sleep_for(std::chrono::duration<double>(secs)); }

std::vector<fs::path> FilesEndingWith(const std::string& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > suffix.size() && name.ends_with(suffix)) out.push_back(e.path());
  }
  return out;
}

std::vector<Sample> ReadSeries(const fs::path& file) {
  std::vector<Sample> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    Sample x{0, 0, 0, 0, 0};
    if (!(s >> x.nanos >> x.count)) continue;  // a line being written
    s >> x.extra >> x.extra2 >> x.extra3;
    out.push_back(x);
  }
  return out;
}

// The series' value at `t`, interpolated between the samples around it.
std::optional<Sample> At(const std::vector<Sample>& series, int64_t t) {
  for (size_t i = 1; i < series.size(); ++i) {
    const Sample& a = series[i - 1];
    const Sample& b = series[i];
    if (a.nanos <= t && t <= b.nanos) {
      const double f = b.nanos == a.nanos ? 0
                                          : static_cast<double>(t - a.nanos) /
                                                static_cast<double>(b.nanos - a.nanos);
      return Sample{t, a.count + f * (b.count - a.count), a.extra + f * (b.extra - a.extra),
                    a.extra2 + f * (b.extra2 - a.extra2), a.extra3 + f * (b.extra3 - a.extra3)};
    }
  }
  return std::nullopt;
}

// utime + stime of `pid` in seconds, or nullopt when it is gone.
std::optional<double> CpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  const size_t paren = stat.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return std::nullopt;
  // After the name come field 3 (the state) to field 15: utime and stime
  // are fields 14 and 15, in clock ticks.
  std::istringstream s(stat.substr(paren + 1));
  std::vector<std::string> fields(16);
  for (int i = 3; i <= 15; ++i) {
    if (!(s >> fields[i])) return std::nullopt;
  }
  if (fields[3] == "Z") return std::nullopt;  // exited, not yet reaped
  const double ticks = std::atof(fields[14].c_str()) + std::atof(fields[15].c_str());
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double TotalCpu(const std::vector<int>& pids) {
  double total = 0;
  for (int pid : pids) {
    auto c = CpuSeconds(pid);
    if (!c) Die("process " + std::to_string(pid) + " is gone");
    total += *c;
  }
  return total;
}

// CPU seconds every process of the machine used since boot: the first line
// of /proc/stat, without idle and iowait.
double MachineCpuSeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user, nice, system, idle, iowait, irq, softirq, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq)) {
    Die("cannot read /proc/stat");
  }
  in >> steal;
  return (user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

bench::LatencyHistogram ReadHistogram(const fs::path& file) {
  bench::LatencyHistogram h;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    size_t index;
    unsigned long long count;
    if (s >> index >> count) h.AddBucket(index, count);
  }
  return h;
}

std::map<std::string, bench::LatencyHistogram> ReadHistograms(const std::string& dir) {
  std::map<std::string, bench::LatencyHistogram> out;
  for (const auto& f : FilesEndingWith(dir, ".hist")) out[f.filename().string()] = ReadHistogram(f);
  return out;
}

// Tuples flow once a count is above zero: an acked count when there are
// *.acked files (a tree went all the way), else a last bolt's count.
bool Flowing(const std::string& dir) {
  auto files = FilesEndingWith(dir, ".acked");
  if (files.empty()) files = FilesEndingWith(dir, ".count");
  for (const auto& f : files) {
    for (const auto& s : ReadSeries(f)) {
      if (s.count > 0) return true;
    }
  }
  return false;
}

// The summed series of the files ending with `suffix` at each of `times`
// (ascending), read once per file; nullopt when there are no such files.
// Waits (up to 5 s) for every file to have a sample after the last time.
std::optional<std::vector<Sample>> SumsAt(const std::string& dir, const std::string& suffix,
                                          const std::vector<int64_t>& times) {
  const auto files = FilesEndingWith(dir, suffix);
  if (files.empty()) return std::nullopt;
  std::vector<Sample> total(times.size(), Sample{0, 0, 0, 0, 0});
  for (const auto& f : files) {
    std::vector<Sample> series;
    std::optional<Sample> first, last;
    for (int tries = 0; tries < 50; ++tries) {
      series = ReadSeries(f);
      first = At(series, times.front());
      last = At(series, times.back());
      if (first && last) break;
      if (!first && !series.empty() && series.front().nanos > times.front()) break;  // too late
      Sleep(0.1);
    }
    if (!first || !last) Die(f.string() + " has no samples around both ends of the window");
    for (size_t k = 0; k < times.size(); ++k) {
      const Sample x = *At(series, times[k]);  // inside [first, last]: covered
      total[k].nanos = times[k];
      total[k].count += x.count;
      total[k].extra += x.extra;
      total[k].extra2 += x.extra2;
      total[k].extra3 += x.extra3;
    }
  }
  return total;
}

// The growth of the summed series over [t0, t1], as {count, extra, extra2,
// extra3}.
std::optional<Sample> Growth(const std::string& dir, const std::string& suffix, int64_t t0,
                             int64_t t1) {
  const auto sums = SumsAt(dir, suffix, {t0, t1});
  if (!sums) return std::nullopt;
  const Sample& a = (*sums)[0];
  const Sample& b = (*sums)[1];
  return Sample{t1, b.count - a.count, b.extra - a.extra, b.extra2 - a.extra2, b.extra3 - a.extra3};
}

// `n` distinct ports on 127.0.0.1, free now, from outside the kernel's
// ephemeral range and handed to no other caller on this machine for a long
// while (test/support/ports.h).
int PrintFreePorts(int n) {
  const std::vector<int> ports = gale::testing::FreePorts(n);
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i] < 0) Die("no free port on 127.0.0.1");
    std::printf("%s%d", i ? " " : "", ports[i]);
  }
  std::printf("\n");
  return 0;
}

bool Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// The first two CPUs this process may use.
std::vector<int> TwoCpus(const char* what) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) Die("sched_getaffinity failed");
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c) {
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  }
  if (cpus.size() < 2) Die(std::string(what) + " needs two CPUs; this process may use one");
  return cpus;
}

// spsc: the least a hand-off between two cores can cost per message, the
// bar issue 20 sets W1 against. A lock-free ring of 1 024 8-byte slots
// (each side caches the other's index, refreshing it only when the ring
// looks full or empty), producer and consumer spinning, pinned to two
// CPUs; prints spsc_msgs_per_sec over `secs` after a quarter as long to
// warm up, and cpus=A,B.
int SpscRing(double secs) {
  const std::vector<int> cpus = TwoCpus("spsc");
  constexpr uint64_t kSize = 1024;  // a power of two
  struct alignas(64) Index {
    std::atomic<uint64_t> v{0};
  };
  std::vector<uint64_t> slots(kSize);
  Index head, tail;  // the consumer's and the producer's
  std::atomic<bool> stop{false}, pinned{true};
  std::atomic<uint64_t> received{0};
  std::thread consumer([&] {
    if (!Pin(cpus[1])) pinned = false;
    uint64_t h = 0, t = 0, sum = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (h == t) {
        t = tail.v.load(std::memory_order_acquire);
        if (h == t) continue;
      }
      sum += slots[h & (kSize - 1)];
      head.v.store(++h, std::memory_order_release);
      if ((h & 4095) == 0) received.store(h, std::memory_order_relaxed);
    }
    received.store(h + (sum == 1 ? 1 : 0), std::memory_order_relaxed);  // keeps `sum` alive
  });
  if (!Pin(cpus[0])) pinned = false;
  uint64_t t = 0, h = 0;
  const int64_t start = SteadyNanos();
  const int64_t warm = start + static_cast<int64_t>(secs * 0.25e9);
  const int64_t end = warm + static_cast<int64_t>(secs * 1e9);
  uint64_t at_warm = 0;
  bool warmed = false;
  for (;;) {
    if ((t & 4095) == 0) {
      const int64_t now = SteadyNanos();
      if (!warmed && now >= warm) {
        at_warm = received.load(std::memory_order_relaxed);
        warmed = true;
      }
      if (now >= end) break;
    }
    if (t - h == kSize) {
      h = head.v.load(std::memory_order_acquire);
      if (t - h == kSize) continue;
    }
    slots[t & (kSize - 1)] = t;
    tail.v.store(++t, std::memory_order_release);
  }
  const uint64_t at_end = received.load(std::memory_order_relaxed);
  const int64_t measured = SteadyNanos() - warm;
  stop = true;
  consumer.join();
  if (!pinned) Die("cannot pin a thread to a CPU");
  std::printf("spsc_msgs_per_sec=%.0f cpus=%d,%d\n",
              static_cast<double>(at_end - at_warm) * 1e9 / static_cast<double>(measured), cpus[0],
              cpus[1]);
  return 0;
}

int CoreRoundTrip() {
  const std::vector<int> cpus = TwoCpus("core-rtt");
  constexpr int64_t kTrips = 100000;
  constexpr int kRounds = 5;
  struct alignas(64) Line {
    std::atomic<int64_t> v{0};
  };
  Line ping, pong;
  std::atomic<bool> pinned{true};
  std::thread echo([&] {
    if (!Pin(cpus[1])) pinned = false;
    for (int64_t i = 1; i <= kTrips * kRounds; ++i) {
      while (ping.v.load(std::memory_order_acquire) != i) {}
      pong.v.store(i, std::memory_order_release);
    }
  });
  if (!Pin(cpus[0])) pinned = false;
  std::vector<double> ns;
  int64_t i = 0;
  for (int r = 0; r < kRounds; ++r) {
    const int64_t start = SteadyNanos();
    for (int64_t n = 0; n < kTrips; ++n) {
      ping.v.store(++i, std::memory_order_release);
      while (pong.v.load(std::memory_order_acquire) != i) {}
    }
    ns.push_back(static_cast<double>(SteadyNanos() - start) / kTrips);
  }
  echo.join();
  if (!pinned) Die("cannot pin a thread to a CPU");
  std::sort(ns.begin(), ns.end());
  std::printf("core_rtt_ns=%.0f cpus=%d,%d\n", ns[kRounds / 2], cpus[0], cpus[1]);
  return 0;
}

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--dir") {
      o.dir = v;
    } else if (a == "--pids") {
      std::istringstream s(v);
      std::string pid;
      while (std::getline(s, pid, ',')) {
        if (!pid.empty()) o.pids.push_back(std::atoi(pid.c_str()));
      }
    } else if (a == "--warmup") {
      o.warmup = std::atof(v.c_str());
    } else if (a == "--window") {
      o.window = std::atof(v.c_str());
    } else if (a == "--start-timeout") {
      o.start_timeout = std::atof(v.c_str());
    } else {
      return false;
    }
  }
  return argc % 2 == 0 && !o.dir.empty() && !o.pids.empty() && o.window > 0 && o.warmup >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "free-ports" && argc == 3 && std::atoi(argv[2]) > 0) {
    return PrintFreePorts(std::atoi(argv[2]));
  }
  if (command == "core-rtt" && argc == 2) return CoreRoundTrip();
  if (command == "spsc" && (argc == 2 || (argc == 3 && std::atof(argv[2]) > 0))) {
    return SpscRing(argc == 3 ? std::atof(argv[2]) : 2.0);
  }
  Options o;
  if (command != "measure" || !ParseArgs(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: gale-bench-probe measure --dir DIR --pids PID[,PID...] --warmup S "
                 "--window S [--start-timeout S]\n"
                 "       gale-bench-probe free-ports N\n"
                 "       gale-bench-probe core-rtt\n"
                 "       gale-bench-probe spsc [SECS]\n");
    return 2;
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(o.start_timeout);
  while (!Flowing(o.dir)) {
    TotalCpu(o.pids);  // dies when a process is gone
    if (std::chrono::steady_clock::now() > deadline) Die("no tuples arrived in " + o.dir);
    Sleep(0.05);
  }
  Sleep(o.warmup);

  const int64_t t0 = SteadyNanos();
  const double cpu0 = TotalCpu(o.pids);
  const double machine0 = MachineCpuSeconds();
  const auto hist0 = ReadHistograms(o.dir);
  Sleep(o.window);
  const int64_t t1 = SteadyNanos();
  const double cpu1 = TotalCpu(o.pids);
  const double machine1 = MachineCpuSeconds();
  auto hist1 = ReadHistograms(o.dir);
  const double secs = static_cast<double>(t1 - t0) / 1e9;

  std::printf("window_secs=%.3f\n", secs);
  std::printf("cpu_secs_per_sec=%.3f\n", (cpu1 - cpu0) / secs);
  std::printf("machine_cpu_secs_per_sec=%.3f\n", (machine1 - machine0) / secs);
  // The sink at t0, at each whole second after it, and at t1: the rate over
  // the window, and in each whole second of it (a run that changed pace
  // midway, a VM's host moving its vCPUs, shows as a wide range).
  const int64_t kSecond = 1'000'000'000;
  const int64_t whole = (t1 - t0) / kSecond;
  std::vector<int64_t> times;
  for (int64_t k = 0; k <= whole; ++k) times.push_back(t0 + k * kSecond);
  times.push_back(t1);
  if (auto sink = SumsAt(o.dir, ".count", times)) {
    std::printf("sink_per_sec=%.0f\n", (sink->back().count - sink->front().count) / secs);
    if (whole >= 2) {
      double lo = 0, hi = 0;
      for (int64_t k = 0; k < whole; ++k) {
        const double r = (*sink)[k + 1].count - (*sink)[k].count;
        lo = k == 0 ? r : std::min(lo, r);
        hi = std::max(hi, r);
      }
      std::printf("sink_per_sec_range=%.0f,%.0f\n", lo, hi);
    }
  }
  if (auto acked = Growth(o.dir, ".acked", t0, t1)) {
    std::printf("acked_per_sec=%.0f\n", acked->count / secs);
    std::printf("failed=%.0f\n", acked->extra);
    // Complete latency of the trees acked in the window (from the emit,
    // as Storm's complete latency, not from the intended time).
    // Over the sampled trees when the files say how many were sampled.
    const double measured = acked->extra3 > 0 ? acked->extra3 : acked->count;
    if (measured > 0 && acked->extra2 > 0) {
      std::printf("complete_ms_mean=%.4f\n", acked->extra2 / measured / 1e6);
    }
  }
  if (!hist1.empty()) {
    bench::LatencyHistogram merged;
    for (auto& [name, h] : hist1) {
      auto before = hist0.find(name);
      if (before != hist0.end()) h.Subtract(before->second);
      merged.Merge(h);
    }
    std::printf("latency_samples=%llu\n", static_cast<unsigned long long>(merged.total()));
    if (merged.total() > 0) {
      std::printf("p50_ms=%.3f\n", merged.Percentile(0.50) / 1e6);
      std::printf("p99_ms=%.3f\n", merged.Percentile(0.99) / 1e6);
      std::printf("p999_ms=%.3f\n", merged.Percentile(0.999) / 1e6);
    }
  }
  return 0;
}
