// gale-zmq-ceiling: the raw ZeroMQ ceiling that Gale's transport is compared
// with (W3 in ../shared/reference/performance.md). A PUSH socket sends
// 100-byte records as fast as it can to a PULL socket over TCP on loopback,
// (a) one record per message and (b) 100 records per message; the receiver
// counts records over a fixed window after a warm-up.
//
//   gale-zmq-ceiling [--seconds S] [--warmup S] [--record-bytes N] [--batch N]...
//
// Prints one line of key=value pairs per variant, which scripts/bench.sh reads:
//   variant=batch100 records_per_message=100 record_bytes=100 window_secs=5.000
//   records_per_sec=... messages_per_sec=... mb_per_sec=... cpu_secs_per_sec=...
// CPU is the whole process (both sides, their I/O threads) over the window.
//
// Threading: the sender runs on its own thread with its own ZeroMQ context
// (so each side has its own I/O thread, as two processes would); the
// receiver runs on the main thread. Each socket stays on its thread.
#include <sys/resource.h>
#include <zmq.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  double seconds = 5;
  double warmup = 1;
  size_t record_bytes = 100;
  std::vector<size_t> batches;  // records per message; default {1, 100}
};

struct Result {
  double secs = 0;
  double records = 0;
  double messages = 0;
  double cpu_secs = 0;
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void Fail(const char* what) {
  std::fprintf(stderr, "gale-zmq-ceiling: %s: %s\n", what, zmq_strerror(zmq_errno()));
  std::exit(1);
}

void SetInt(void* socket, int option, int value) {
  if (zmq_setsockopt(socket, option, &value, sizeof value) != 0) Fail("zmq_setsockopt");
}

// Sends messages of `bytes` bytes to `endpoint` until `stop` is set. A send
// that would wait on the high-water mark returns after 100 ms to look at
// `stop` again.
void SendLoop(const std::string& endpoint, size_t bytes, const std::atomic<bool>& stop) {
  void* context = zmq_ctx_new();
  void* push = zmq_socket(context, ZMQ_PUSH);
  SetInt(push, ZMQ_SNDHWM, 1000);  // Gale's TransportOptions default
  SetInt(push, ZMQ_SNDTIMEO, 100);
  SetInt(push, ZMQ_LINGER, 0);
  if (zmq_connect(push, endpoint.c_str()) != 0) Fail("zmq_connect");
  std::vector<char> payload(bytes, 'x');
  while (!stop.load(std::memory_order_relaxed)) {
    if (zmq_send(push, payload.data(), payload.size(), 0) < 0 && zmq_errno() != EAGAIN) {
      Fail("zmq_send");
    }
  }
  zmq_close(push);
  zmq_ctx_term(context);
}

Result Run(const Options& options, size_t batch) {
  void* context = zmq_ctx_new();
  void* pull = zmq_socket(context, ZMQ_PULL);
  SetInt(pull, ZMQ_RCVHWM, 1000);
  SetInt(pull, ZMQ_RCVTIMEO, 5000);
  SetInt(pull, ZMQ_LINGER, 0);
  if (zmq_bind(pull, "tcp://127.0.0.1:*") != 0) Fail("zmq_bind");
  char endpoint[256];
  size_t len = sizeof endpoint;
  if (zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0) Fail("ZMQ_LAST_ENDPOINT");

  std::atomic<bool> stop{false};
  const size_t bytes = batch * options.record_bytes;
  std::thread sender(SendLoop, std::string(endpoint), bytes, std::cref(stop));

  zmq_msg_t msg;
  zmq_msg_init(&msg);
  const auto start = std::chrono::steady_clock::now();
  auto window_start = start;
  bool measuring = false;
  double records = 0, messages = 0, cpu_start = 0;
  Result result;
  for (uint64_t n = 0;; ++n) {
    if (zmq_msg_recv(&msg, pull, 0) < 0) Fail("zmq_msg_recv");
    records += static_cast<double>(zmq_msg_size(&msg) / options.record_bytes);
    messages += 1;
    if (n % 64 != 0) continue;  // look at the clock now and then only
    if (!measuring && Since(start) >= options.warmup) {
      measuring = true;
      window_start = std::chrono::steady_clock::now();
      cpu_start = CpuSeconds();
      records = messages = 0;
    } else if (measuring && Since(window_start) >= options.seconds) {
      result = {Since(window_start), records, messages, CpuSeconds() - cpu_start};
      break;
    }
  }
  zmq_msg_close(&msg);
  stop.store(true);
  sender.join();
  zmq_close(pull);
  zmq_ctx_term(context);
  return result;
}

void PrintResult(size_t batch, size_t record_bytes, const Result& r) {
  std::printf(
      "variant=batch%zu records_per_message=%zu record_bytes=%zu window_secs=%.3f "
      "records_per_sec=%.0f messages_per_sec=%.0f mb_per_sec=%.1f cpu_secs_per_sec=%.3f\n",
      batch, batch, record_bytes, r.secs, r.records / r.secs, r.messages / r.secs,
      r.records * static_cast<double>(record_bytes) / r.secs / 1e6, r.cpu_secs / r.secs);
  std::fflush(stdout);
}

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (a == "--seconds") {
      o.seconds = std::atof(v);
    } else if (a == "--warmup") {
      o.warmup = std::atof(v);
    } else if (a == "--record-bytes") {
      o.record_bytes = static_cast<size_t>(std::atol(v));
    } else if (a == "--batch") {
      o.batches.push_back(static_cast<size_t>(std::atol(v)));
    } else {
      return false;
    }
  }
  if (o.batches.empty()) o.batches = {1, 100};
  for (size_t b : o.batches) {
    if (b == 0) return false;
  }
  return o.seconds > 0 && o.warmup >= 0 && o.record_bytes > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: gale-zmq-ceiling [--seconds S] [--warmup S] [--record-bytes N] "
                 "[--batch RECORDS_PER_MESSAGE]...\n");
    return 2;
  }
  for (size_t batch : options.batches) {
    PrintResult(batch, options.record_bytes, Run(options, batch));
  }
  return 0;
}
