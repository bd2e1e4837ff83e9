// Bad input is rejected cleanly: broken topology files through `gale
// validate` and `gale submit`, abuse of nimbus's Thrift port (garbage, huge
// frame headers, stalled clients, calls with wrong arguments) and of a
// worker's ZeroMQ port (garbage, truncated and misrouted frames). Real
// gale-nimbus, gale-supervisor and gale-worker processes on loopback
// (test/support/cluster.h); every wait is bounded.
#include "core/common/sha256.h"
#include "core/topology/topology_name.h"
#include "core/transport/zmq_transport.h"
#include "core/tuple/tuple_codec.h"
#include "test/support/cluster.h"
#include "test/support/gale_output.h"
#include "thrift/client.h"

#include <gale/plugin.h>
#include <catch2/catch.hpp>
#include <zmq.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace gale::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

int PortOf(const std::string& host_port) {
  return std::stoi(host_port.substr(host_port.rfind(':') + 1));
}

// ------------------------------------------------------ broken topology files

// The folder of the broken files, as given on the command line: relative to
// the source tree, where the commands run.
const std::string kDir = "test/topologies/cli_broken";

struct BrokenFile {
  const char* file;
  // $F: the file as given on the command line; $A: the absolute path of its
  // folder; $L: the build's plugin folder; $V: this Gale's plugin ABI version.
  const char* expected;
  // False: `expected` is only the start of the message.
  bool exact = true;
};

// Every file of test/topologies/cli_broken with the exact message both
// `gale validate` and `gale submit` print for it (and exit code 2).
const std::vector<BrokenFile> kBrokenFiles = {
    // The file itself.
    {"syntax_error.yaml", "$F:7:6: YAML syntax error: end of map flow not found"},
    {"tab_indent.yaml", "$F:4:2: YAML syntax error: illegal block entry"},
    {"top_level_list.yaml",
     "$F:1:1: expected a map (name, config, plugins, includes, spouts, bolts, streams) at the "
     "top level, got a list"},
    {"unknown_key.yaml",
     "$F:6:5: unknown key 'paralellism' in spout 'sentences' (did you mean 'parallelism'? "
     "expected one of: id, className, parallelism, numTasks, config, window)"},
    {"missing_class_name.yaml", "$F:4:5: missing required key 'className' in spout 'sentences'"},
    {"bad_name.yaml",
     "$F:1:7: invalid topology name 'word/count': it contains '/'; a topology name is 1 to 128 "
     "printable ASCII characters, without white space, '/', '.', ':' or '\\', and does not "
     "start with '-'"},
    {"undefined_property.yaml",
     "$F:6:18: undefined property '${spout.parallelism}' (no --filter file given)"},
    // Components and streams.
    {"duplicate_id.yaml", "$F:7:5: duplicate id 'sentences': already used by the spout at $F:4:5"},
    {"reserved_id.yaml",
     "$F:7:5: bolt id '__acker' is reserved: ids starting with '__' are for system components "
     "such as __acker"},
    {"parallelism_zero.yaml", "$F:6:18: 'parallelism' of spout 'sentences' must be >= 1, got 0"},
    {"parallelism_overflow.yaml",
     "$F:6:18: 'parallelism' of spout 'sentences' is out of range, got int '4294967297'"},
    {"num_tasks_below_parallelism.yaml",
     "$F:10:15: 'numTasks' of bolt 'split' (2) is less than its parallelism (3): every executor "
     "needs at least one task"},
    {"bolt_without_input.yaml", "$F:7:5: bolt 'split' has no input: no stream has 'to: split'"},
    {"spout_as_to.yaml",
     "$F:16:9: spout 'words' cannot be the 'to' of stream 'split -> words': spouts have no "
     "inputs, only bolts do"},
    {"stream_from_unknown.yaml",
     "$F:10:11: stream 'sentence -> split' comes from unknown component 'sentence' (did you mean "
     "'sentences'? known ids: sentences, split)"},
    {"bad_grouping.yaml",
     "$F:12:23: unknown grouping type 'ROUND_ROBIN' in stream 'sentences -> split' (expected one "
     "of: SHUFFLE, FIELDS, ALL, GLOBAL, NONE, DIRECT, LOCAL_OR_SHUFFLE, PARTIAL_KEY)"},
    {"fields_args_not_list.yaml",
     "$F:12:37: 'args' of the grouping of stream 'sentences -> split' must be a list of field "
     "names, got string 'sentence'"},
    // Topology config.
    {"workers_not_int.yaml",
     "$F:4:3: config key 'topology.workers' must be an integer from 1 to 10000, got string '2'"},
    {"workers_zero.yaml",
     "$F:4:3: config key 'topology.workers' must be an integer from 1 to 10000, got int '0'"},
    {"message_timeout_negative.yaml",
     "$F:4:3: config key 'topology.message.timeout.secs' must be a number > 0, got int '-1'"},
    // Plugins.
    {"missing_plugin.yaml",
     "$F:4:5: plugin file not found: 'libno_such_plugin.so' (looked for "
     "$A/libno_such_plugin.so, $L/libno_such_plugin.so)"},
    {"text_file_plugin.yaml",
     "$F:3:5: cannot load plugin '$A/libtext_not_elf.so': $A/libtext_not_elf.so: invalid ELF "
     "header"},
    {"not_a_plugin.yaml",
     "$F:4:5: '$L/libnot_a_plugin.so' is not a Gale plugin: it does not export "
     "gale_plugin_abi_version (include <gale/plugin.h> and register classes with "
     "GALE_REGISTER_SPOUT/GALE_REGISTER_BOLT)"},
    {"wrong_abi.yaml",
     "$F:3:5: plugin '$L/libwrong_abi.so' was built for Gale plugin ABI version 999, but this "
     "Gale uses ABI version $V: rebuild the plugin against this Gale's SDK"},
    {"crashing_plugin.yaml",
     "$F:7:5: plugin code crashed (signal 11, Segmentation fault) while describing component "
     "'crash' "
     "(class CrashingBolt)"},
    {"no_plugins.yaml",
     "$F:4:16: unknown className 'SentenceSpout' for spout 'sentences' (no plugin registers any "
     "class; check 'plugins:')"},
    // Against what the plugins declare.
    {"unknown_class.yaml",
     "$F:5:16: unknown className 'SentenceSpot' for spout 'sentences' (did you mean "
     "'SentenceSpout'? plugins register: ReportBolt, SentenceSpout, SplitSentence, "
     "StatefulSentenceSpout, StatefulWordCount, StatefulWordSum, WindowedWordCount, WordCount)"},
    {"spout_uses_bolt_class.yaml",
     "$F:5:16: spout 'sentences' uses className 'SplitSentence', which is a bolt (registered by "
     "$L/libwordcount.so); a spout needs a spout class"},
    {"undeclared_stream.yaml",
     "$F:12:42: stream 'sentences -> split' subscribes to stream 'sentense', which spout "
     "'sentences' does not declare (it declares: default)"},
    {"unknown_field.yaml",
     "$F:17:37: stream 'split -> count' groups by field 'wrod', which stream 'default' of bolt "
     "'split' does not have (did you mean 'word'? its fields: word)"},
    {"direct_on_non_direct.yaml",
     "$F:12:15: DIRECT grouping of stream 'sentences -> split' needs a direct stream, but stream "
     "'default' of spout 'sentences' is not declared direct (declare it with Direct::kYes)"},
    // Sizes no machine runs (a million threads or task objects in one worker).
    {"parallelism_million.yaml",
     "$F:6:18: 'parallelism' of spout 'sentences' is 1000000; a component runs at most 10000 "
     "executors"},
    {"num_tasks_million.yaml",
     "$F:6:15: 'numTasks' of spout 'sentences' is 1000000; a component has at most 10000 tasks"},
    {"ackers_million.yaml",
     "$F:4:3: config key 'topology.acker.executors' must be an integer from 0 to 10000, got int "
     "'1000000'"},
};

ProcessResult RunGaleIn(const std::string& cwd, std::vector<std::string> args) {
  args.insert(args.begin(), BinDir() + "/gale");
  return RunProcess(args, seconds(60), {{"GALE_PLUGIN_PATH", LibDir()}}, cwd);
}

std::string Expand(const std::string& pattern, const std::string& file) {
  return Replace(Replace(Replace(Replace(pattern, "$F", file), "$A", SourceDir() + "/" + kDir),
                         "$L", LibDir()),
                 "$V", std::to_string(GALE_ABI_VERSION));
}

TEST_CASE("Broken topology files are refused alike by validate and submit, naming the place",
          "[integration][robustness]") {
  // No supervisor: should a broken file get through, nothing runs it.
  TestCluster cluster(0);
  INFO(cluster.Logs());
  namespace fs = std::filesystem;
  // Every file in the folder has a case, and every case a file.
  std::set<std::string> files, cases;
  for (const auto& e : fs::directory_iterator(SourceDir() + "/" + kDir)) {
    if (e.path().extension() == ".yaml") files.insert(e.path().filename().string());
  }
  for (const auto& c : kBrokenFiles) cases.insert(c.file);
  CHECK(files == cases);
  CHECK(kBrokenFiles.size() >= 25);

  for (const auto& c : kBrokenFiles) {
    // The commands run in the source tree, given a relative path, which the
    // messages repeat as given.
    const std::string file = kDir + "/" + c.file;
    const std::string expected = Expand(c.expected, file) + (c.exact ? "\n" : "");
    INFO("file " << file);
    auto v = RunGaleIn(SourceDir(), {"validate", file});
    auto s = RunGaleIn(SourceDir(), {"submit", file, "--nimbus", cluster.nimbus()});
    CHECK(v.exit_code == 2);
    CHECK(s.exit_code == 2);
    CHECK(v.out.empty());
    CHECK(s.out.empty());
    if (c.exact) {
      CHECK(v.err == expected);
    } else {
      CHECK_THAT(v.err, Catch::StartsWith(expected));
    }
    CHECK(s.err == v.err);
  }
  // Files that cannot be read at all.
  for (const std::string& file : {kDir + "/does_not_exist.yaml", kDir}) {
    INFO("file " << file);
    auto v = RunGaleIn(SourceDir(), {"validate", file});
    auto s = RunGaleIn(SourceDir(), {"submit", file, "--nimbus", cluster.nimbus()});
    CHECK(v.exit_code == 2);
    CHECK(s.exit_code == 2);
    CHECK(v.err == file + ": cannot read the topology file: " +
                       (file == kDir ? "Is a directory" : "No such file or directory") + "\n");
    CHECK(s.err == v.err);
  }
  // Nothing reached nimbus.
  auto list = cluster.Gale({"list"});
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find("(no topologies)") != std::string::npos);
}

// ------------------------------------------------------- nimbus's Thrift port

// A plain TCP connection to 127.0.0.1:port; closed when it goes away.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(RawConnection&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RawConnection(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }

  // Sends all of `bytes` (false when the peer is gone).
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // No more bytes from us: a server waiting for the rest of a frame sees EOF.
  void FinishSending() { ::shutdown(fd_, SHUT_WR); }

  // True once the peer has closed the connection (EOF or reset) by
  // `deadline`; whatever it sent before is read and ignored.
  bool ClosedByPeerBy(Clock::time_point deadline) {
    char buf[4096];
    for (;;) {
      const auto left = std::max<int64_t>(
          0, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno != EINTR) return false;
      if (r <= 0) {
        if (left == 0) return false;
        continue;
      }
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET || errno == EPIPE;
    }
  }
  bool ClosedByPeer(milliseconds timeout) { return ClosedByPeerBy(Clock::now() + timeout); }

 private:
  int fd_ = -1;
};

std::string BigEndian32(uint32_t v) {
  const uint32_t be = htonl(v);
  return std::string(reinterpret_cast<const char*>(&be), 4);
}

// The 4-byte big-endian frame length the framed transport sends first.
std::string FrameHeader(uint32_t length) { return BigEndian32(length); }

// The file descriptors a process holds (/proc/<pid>/fd), -1 if unknown.
int64_t OpenFds(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  if (ec) return -1;
  int64_t n = 0;
  for (const auto& entry : it) {
    (void)entry;
    ++n;
  }
  return n;
}

// The resident set of a process, in kB (/proc/<pid>/status), -1 if unknown.
int64_t ResidentKb(pid_t pid, const char* field = "VmRSS:") {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::string(field).size()));
  }
  return -1;
}

// `gale list` works and answers within `limit`.
bool ListAnswersWithin(TestCluster& cluster, milliseconds limit, std::string* why) {
  const auto start = Clock::now();
  auto r = cluster.Gale({"list"}, seconds(30));
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  *why = "exit " + std::to_string(r.exit_code) + " after " + std::to_string(took.count()) +
         " ms: " + r.err;
  return r.exit_code == 0 && r.out.find("(no topologies)") != std::string::npos && took < limit;
}

TEST_CASE("Nimbus drops connections that send random bytes and keeps serving",
          "[integration][robustness]") {
  TestCluster cluster(1, 1);
  INFO(cluster.Logs());
  const int port = PortOf(cluster.nimbus());
  std::mt19937 random(20240611);
  std::uniform_int_distribution<int> byte(0, 255);

  std::vector<RawConnection> connections;
  for (int i = 0; i < 200; ++i) {
    connections.emplace_back(port);
    REQUIRE(connections.back().connected());
    std::string garbage(1024, '\0');
    for (char& c : garbage) c = static_cast<char>(byte(random));
    connections.back().Send(garbage);  // nimbus may drop it before it has all
  }
  // A frame length it is still waiting for ends at EOF: either way, every
  // connection is closed by nimbus, none is answered or kept.
  for (auto& c : connections) c.FinishSending();
  const auto deadline = Clock::now() + seconds(20);
  int closed = 0;
  for (auto& c : connections) closed += c.ClosedByPeerBy(deadline) ? 1 : 0;
  CHECK(closed == 200);
  CHECK(cluster.nimbus_daemon().Running());
  std::string why;
  const bool answered = ListAnswersWithin(cluster, seconds(5), &why);
  INFO(why);
  CHECK(answered);
  CHECK(cluster.Gale({"list"}).out.find("1 supervisor(s)") != std::string::npos);
}

TEST_CASE("Nimbus refuses a frame header claiming 2 GiB without allocating it",
          "[integration][robustness]") {
  TestCluster cluster(1, 1);
  INFO(cluster.Logs());
  const int port = PortOf(cluster.nimbus());
  const pid_t pid = cluster.nimbus_daemon().pid();
  const int64_t rss_before = ResidentKb(pid), peak_before = ResidentKb(pid, "VmHWM:");
  REQUIRE(rss_before > 0);

  int closed = 0;
  for (int i = 0; i < 50; ++i) {
    RawConnection c(port);
    REQUIRE(c.connected());
    c.Send(FrameHeader(0x7FFFFFFF) + std::string("\x80\x01\x00\x01", 4));
    // Dropped at once: we do not close our side.
    if (c.ClosedByPeer(seconds(2))) ++closed;
  }
  const int64_t rss_after = ResidentKb(pid), peak_after = ResidentKb(pid, "VmHWM:");
  INFO("nimbus VmRSS " << rss_before << " kB before, " << rss_after
                       << " kB after 50 connections; VmHWM " << peak_before << " -> " << peak_after
                       << " kB");
  CHECK(closed == 50);
  CHECK(rss_after - rss_before < 50 * 1024);
  CHECK(peak_after - peak_before < 50 * 1024);
  CHECK(cluster.nimbus_daemon().Running());
  std::string why;
  const bool answered = ListAnswersWithin(cluster, seconds(5), &why);
  INFO(why);
  CHECK(answered);
}

// A binary-protocol call message (strict, version 1) up to its first
// argument's header.
std::string CallHeader(const std::string& method) {
  std::string m = BigEndian32(0x80010001);  // version 1, CALL
  m += BigEndian32(static_cast<uint32_t>(method.size())) + method;
  m += BigEndian32(1);  // sequence id
  return m;
}

std::string FieldHeader(uint8_t type, uint16_t id) {
  const uint16_t be = htons(id);
  return std::string(1, static_cast<char>(type)) +
         std::string(reinterpret_cast<const char*>(&be), 2);
}

TEST_CASE("Nimbus allocates no more than a small frame carries, whatever sizes it claims",
          "[integration][robustness]") {
  TestCluster cluster(1, 1);
  INFO(cluster.Logs());
  const int port = PortOf(cluster.nimbus());
  const pid_t pid = cluster.nimbus_daemon().pid();
  constexpr uint8_t kString = 11, kStruct = 12, kList = 15;
  // submitTopology(topology: {components: list<Component> of 1,048,576
  // elements (the protocol's container limit)}), and nothing more.
  std::string list = CallHeader("submitTopology") + FieldHeader(kStruct, 1) +
                     FieldHeader(kList, 2) + std::string(1, static_cast<char>(kStruct)) +
                     BigEndian32(1 << 20);
  // getTopologyInfo(name: a string of 16,000,000 bytes (under the string
  // limit)), and nothing more.
  std::string string =
      CallHeader("getTopologyInfo") + FieldHeader(kString, 1) + BigEndian32(16000000) + "wordcount";
  const int64_t peak_before = ResidentKb(pid, "VmHWM:");
  REQUIRE(peak_before > 0);

  std::vector<RawConnection> connections;
  for (const std::string* message : {&list, &list, &list, &string, &string, &string}) {
    connections.emplace_back(port);
    REQUIRE(connections.back().connected());
    connections.back().Send(FrameHeader(static_cast<uint32_t>(message->size())) + *message);
  }
  // Each claims more than its frame holds: dropped at once, nothing
  // allocated for the claim. We do not close our side.
  const auto deadline = Clock::now() + seconds(5);
  int closed = 0;
  for (auto& c : connections) closed += c.ClosedByPeerBy(deadline) ? 1 : 0;
  const int64_t peak_after = ResidentKb(pid, "VmHWM:");
  INFO("nimbus VmHWM " << peak_before << " kB before, " << peak_after << " kB after "
                       << "3 frames claiming a list of 2^20 components and 3 claiming a 16 MB "
                          "string, each frame under 50 bytes");
  CHECK(closed == 6);
  CHECK(peak_after - peak_before < 50 * 1024);
  CHECK(cluster.nimbus_daemon().Running());
}

TEST_CASE("A client stalled in the middle of a frame does not hold up other clients",
          "[integration][robustness]") {
  TestCluster cluster(1, 1);
  INFO(cluster.Logs());
  const int port = PortOf(cluster.nimbus());
  // One stalls halfway through a frame, one halfway through the header.
  RawConnection half_frame(port), half_header(port);
  REQUIRE(half_frame.connected());
  REQUIRE(half_header.connected());
  REQUIRE(half_frame.Send(FrameHeader(64) + std::string(32, '\x01')));
  REQUIRE(half_header.Send(FrameHeader(64).substr(0, 2)));

  for (int i = 0; i < 5; ++i) {
    std::string why;
    const bool answered = ListAnswersWithin(cluster, seconds(3), &why);
    INFO(why);
    CHECK(answered);
  }
  CHECK(cluster.nimbus_daemon().Running());
}

// nimbus/README.md, "Connections": a frame must come whole within the
// client timeout of its header, and frames being received hold at most the
// budget together.
TEST_CASE("A client trickling a frame is closed at the client timeout though it keeps sending",
          "[integration][robustness]") {
  TestCluster cluster(1, 1, {}, {"--client-timeout-secs", "2"}, {});
  INFO(cluster.Logs());
  RawConnection slow(PortOf(cluster.nimbus()));
  REQUIRE(slow.connected());
  REQUIRE(slow.Send(FrameHeader(1000) + std::string(10, '\x01')));
  // A byte every 300 ms: each read gets one well within any read timeout.
  const auto start = Clock::now();
  bool closed = false;
  while (!closed && Clock::now() - start < seconds(10)) {
    closed = slow.ClosedByPeer(milliseconds(300));
    if (!closed) slow.Send(std::string(1, '\x01'));
  }
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  INFO("closed after " << took.count() << " ms");
  CHECK(closed);
  CHECK(took < seconds(5));
  const std::string log = ReadFile(cluster.dir().path() + "/nimbus.log");
  CHECK(log.find("a frame of 1000 bytes was not whole within 2 s "
                 "(nimbus.thrift.client.timeout.secs)") != std::string::npos);
  std::string why;
  const bool answered = ListAnswersWithin(cluster, seconds(3), &why);
  INFO(why);
  CHECK(answered);
}

TEST_CASE(
    "Large frames beyond the frames' budget close their connections and bound nimbus's memory",
    "[integration][robustness]") {
  TempDir conf;
  const std::string config = conf.Write("nimbus.yaml", "nimbus.thrift.frames.budget.mb: 32\n");
  TestCluster cluster(1, 1, {}, {"--config", config, "--client-timeout-secs", "3"}, {});
  INFO(cluster.Logs());
  const int port = PortOf(cluster.nimbus());
  const pid_t pid = cluster.nimbus_daemon().pid();
  const int64_t peak_before = ResidentKb(pid, "VmHWM:");
  REQUIRE(peak_before > 0);
  // Six frames of 16,000,000 bytes, each sent but for its last MiB: 90 MiB
  // against a budget of 32. A connection nimbus closes fails its send.
  std::vector<RawConnection> connections;
  const std::string body(15 << 20, '\x01');
  for (int i = 0; i < 6; ++i) {
    connections.emplace_back(port);
    REQUIRE(connections.back().connected());
    connections.back().Send(FrameHeader(16000000) + body);
  }
  // Meanwhile other clients are served.
  std::string why;
  const bool answered = ListAnswersWithin(cluster, seconds(3), &why);
  INFO(why);
  CHECK(answered);
  // Those over the budget were closed at once, the rest at the client
  // timeout: none is kept.
  const auto deadline = Clock::now() + seconds(8);
  int closed = 0;
  for (auto& c : connections) closed += c.ClosedByPeerBy(deadline) ? 1 : 0;
  CHECK(closed == 6);
  const int64_t peak_after = ResidentKb(pid, "VmHWM:");
  INFO("nimbus VmHWM " << peak_before << " kB before, " << peak_after << " kB after");
  // At most 32 MiB held (a growing buffer's old copy included), and what
  // the allocator and the connections' threads keep; without the budget,
  // 90 MiB.
  CHECK(peak_after - peak_before < 44 * 1024);
  const std::string log = ReadFile(cluster.dir().path() + "/nimbus.log");
  CHECK(log.find("bytes would take frames being received beyond their budget of 32 MiB "
                 "(nimbus.thrift.frames.budget.mb)") != std::string::npos);
  CHECK(cluster.nimbus_daemon().Running());
}

TEST_CASE("Clients stalled beyond the server's connection limit do not lock others out",
          "[integration][robustness]") {
  TestCluster cluster(1, 1);
  INFO(cluster.Logs());
  const int port = PortOf(cluster.nimbus());
  // More than the 256 connections nimbus serves at once
  // (setConcurrentClientLimit in nimbus/main.cc), each 14 bytes into a frame.
  std::vector<RawConnection> stalled;
  for (int i = 0; i < 300; ++i) {
    stalled.emplace_back(port);
    REQUIRE(stalled.back().connected());
    REQUIRE(stalled.back().Send(FrameHeader(64) + std::string(10, '\x01')));
  }
  std::string why;
  const bool answered = ListAnswersWithin(cluster, seconds(5), &why);
  INFO(why);
  CHECK(answered);
  CHECK(cluster.nimbus_daemon().Running());
}

// nimbus/README.md, "Connections": connections cost nimbus a socket, not a
// thread. 5 000 idle connections, and 100 that each claim a 16,000,000-byte
// frame, send 512 KiB of it and then a byte every 200 ms, while 50 clients
// call getClusterInfo in a loop for 5 s: every call is answered, at a p99
// under 50 ms, and nimbus's resident set grows by what the slow frames hold
// (100 x 512 KiB) and a little per connection.
TEST_CASE("Nimbus serves 50 clients while 5000 connections idle and 100 trickle large frames",
          "[integration][robustness]") {
  // This process holds them all too.
  rlimit files{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  files.rlim_cur = files.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &files) == 0);
  REQUIRE(files.rlim_cur > 5300);
  TestCluster cluster(0, 1);
  INFO(cluster.Logs());
  const int port = PortOf(cluster.nimbus());
  const pid_t pid = cluster.nimbus_daemon().pid();
  const int64_t rss_before = ResidentKb(pid);
  REQUIRE(rss_before > 0);

  std::vector<RawConnection> idle, slow;
  const int64_t fds_before = OpenFds(pid);
  REQUIRE(fds_before > 0);
  for (int i = 0; i < 5000; ++i) {
    idle.emplace_back(port);
    REQUIRE(idle.back().connected());
  }
  // Connected here is not yet accepted there: 5000 connections at once
  // overflow a listen backlog of net.core.somaxconn (4096 on Debian 12),
  // and a connection whose last handshake ACK the kernel dropped stays
  // half-open on nimbus's side (the kernel resends its SYN-ACK, backing
  // off, until the backlog has room). One nimbus never accepted is not
  // nimbus's to close when it stops, and the check at the end saw 4999 of
  // 5000 closed once, with four tests running at a time (CI). So wait
  // (bounded) until nimbus holds all of them.
  const auto accepted_by = Clock::now() + seconds(30);
  while (OpenFds(pid) < fds_before + 5000 && Clock::now() < accepted_by) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  REQUIRE(OpenFds(pid) >= fds_before + 5000);
  const std::string part(512 << 10, '\x01');
  for (int i = 0; i < 100; ++i) {
    slow.emplace_back(port);
    REQUIRE(slow.back().connected());
    REQUIRE(slow.back().Send(FrameHeader(16000000) + part));
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    while (!done) {
      for (auto& c : slow) c.Send(std::string(1, '\x01'));
      std::this_thread::sleep_for(milliseconds(200));
    }
  });

  auto hp = rpc::ParseHostPort(cluster.nimbus());
  REQUIRE(hp.ok());
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::vector<std::string> failures;
  std::vector<std::thread> clients;
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back([&] {
      std::vector<double> mine;
      std::string failed;
      auto conn = rpc::NimbusConnection::Connect(*hp, seconds(10));
      if (!conn.ok()) {
        failed = conn.status().ToString();
      } else {
        const auto end = Clock::now() + seconds(5);
        while (failed.empty() && Clock::now() < end) {
          thrift::ClusterSummary sum;
          const auto start = Clock::now();
          Status s = (*conn)->Call([&](thrift::NimbusClient& c) { c.getClusterInfo(sum); });
          if (!s.ok()) failed = s.ToString();
          mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        }
      }
      std::lock_guard lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      if (!failed.empty()) failures.push_back(failed);
    });
  }
  for (auto& t : clients) t.join();
  const int64_t rss_during = ResidentKb(pid);
  done = true;
  trickle.join();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  REQUIRE(!latencies_ms.empty());
  const double p50 = latencies_ms[latencies_ms.size() / 2],
               p99 = latencies_ms[latencies_ms.size() * 99 / 100];
  std::cerr << "[measure] 50 clients beside 5000 idle and 100 slow connections: "
            << latencies_ms.size() << " getClusterInfo calls in 5 s, p50 " << p50 << " ms, p99 "
            << p99 << " ms; nimbus VmRSS " << rss_before << " -> " << rss_during << " kB\n";
  INFO("calls " << latencies_ms.size() << ", p50 " << p50 << " ms, p99 " << p99
                << " ms; nimbus VmRSS " << rss_before << " -> " << rss_during << " kB");
  CHECK(failures.empty());
  CHECK(p99 < 50);
  // 50 MiB the slow frames hold, and at most 8 KiB per connection.
  CHECK(rss_during - rss_before < 50 * 1024 + 5150 * 8);
  CHECK(cluster.nimbus_daemon().Running());
  // Every slow connection is still open: none was closed before its time.
  int open = 0;
  for (auto& c : slow) open += c.ClosedByPeer(milliseconds(0)) ? 0 : 1;
  CHECK(open == 100);

  // SIGTERM while all those are open and clients keep calling: nimbus
  // closes them and exits 0 within the 5 s grace (not SIGKILLed after it).
  std::atomic<bool> stopping{false};
  std::vector<std::thread> busy;
  for (int i = 0; i < 10; ++i) {
    busy.emplace_back([&] {
      auto conn = rpc::NimbusConnection::Connect(*hp, seconds(10));
      while (conn.ok() && !stopping) {
        thrift::ClusterSummary sum;
        if (!(*conn)->Call([&](thrift::NimbusClient& c) { c.getClusterInfo(sum); }).ok()) break;
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(500));
  const auto stop = Clock::now();
  CHECK(cluster.nimbus_daemon().Stop(seconds(5)) == 0);
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - stop).count();
  std::cerr << "[measure] nimbus stopped in " << took << " ms with 5 100 connections open\n";
  stopping = true;
  for (auto& t : busy) t.join();
  int closed = 0;
  for (auto& c : idle) closed += c.ClosedByPeer(milliseconds(0)) ? 1 : 0;
  CHECK(closed == 5000);
}

// nimbus/README.md, "Connections": nimbus keeps 256 of its file descriptors
// for its own files and children. Under a hard limit of 512 it serves 256
// connections at once; past that it stops accepting and says so (the rest
// wait in the kernel's queue), and accepts again once some close.
TEST_CASE(
    "Nimbus stops accepting near its open-file limit and accepts again when connections close",
    "[integration][robustness]") {
  TempDir dir;
  const int port = FreePort();
  const std::string nimbus = "127.0.0.1:" + std::to_string(port);
  Daemon daemon({"/usr/bin/prlimit", "--nofile=512:512", BinDir() + "/gale-nimbus", "--port",
                 std::to_string(port), "--state-dir", dir.path() + "/nimbus"},
                dir.path() + "/nimbus.log");
  INFO(daemon.Log());
  auto list = [&] {
    return RunProcess({BinDir() + "/gale", "list", "--nimbus", nimbus}, seconds(30)).exit_code;
  };
  REQUIRE(WaitFor([&] { return list() == 0; }, seconds(30)));

  // The first 250 (nimbus takes them all), then 50 more (it takes 6).
  std::vector<RawConnection> first, rest;
  for (int i = 0; i < 300; ++i) {
    auto& into = i < 250 ? first : rest;
    into.emplace_back(port);
    REQUIRE(into.back().connected());  // the kernel's queue takes what nimbus does not
  }
  CHECK(WaitFor(
      [&] {
        return daemon.Log().find("not accepting connections while 256 are open") !=
               std::string::npos;
      },
      seconds(10)));
  first.clear();  // 250 of those nimbus took close
  CHECK(
      WaitFor([&] { return daemon.Log().find("accepting connections again") != std::string::npos; },
              seconds(10)));
  CHECK(list() == 0);
  CHECK(daemon.Running());
}

// What a call threw: the declared exception's name and message.
struct Thrown {
  Status status;
  std::string exception;  // "" when nothing declared was thrown
  std::string msg;
};

Thrown CallNimbus(rpc::NimbusConnection& conn,
                  const std::function<void(thrift::NimbusClient&)>& call) {
  Thrown t;
  t.status = conn.Call([&](thrift::NimbusClient& c) {
    try {
      call(c);
    } catch (const thrift::AlreadyAliveException& e) {
      t.exception = "AlreadyAliveException";
      t.msg = e.msg;
      throw;
    } catch (const thrift::NotAliveException& e) {
      t.exception = "NotAliveException";
      t.msg = e.msg;
      throw;
    } catch (const thrift::InvalidTopologyException& e) {
      t.exception = "InvalidTopologyException";
      t.msg = e.msg;
      throw;
    } catch (const thrift::PluginNotFoundException& e) {
      t.exception = "PluginNotFoundException";
      t.msg = e.msg;
      throw;
    } catch (const thrift::UploadException& e) {
      t.exception = "UploadException";
      t.msg = e.msg;
      throw;
    } catch (const thrift::IllegalStateException& e) {
      t.exception = "IllegalStateException";
      t.msg = e.msg;
      throw;
    }
  });
  return t;
}

// A topology nimbus accepts (one spout of the uploaded word count plugin),
// to be broken one field at a time.
thrift::Topology ValidThriftTopology(const std::string& name, const std::string& plugin_sha) {
  thrift::Topology t;
  t.name = name;
  thrift::Component spout;
  spout.id = "sentences";
  spout.kind = thrift::ComponentKind::SPOUT;
  spout.class_name = "SentenceSpout";
  spout.parallelism = 1;
  thrift::StreamDecl out;
  out.id = "default";
  out.fields = {"sentence"};
  spout.outputs.push_back(out);
  thrift::Component bolt;
  bolt.id = "split";
  bolt.kind = thrift::ComponentKind::BOLT;
  bolt.class_name = "SplitSentence";
  bolt.parallelism = 1;
  out.fields = {"word"};
  bolt.outputs.push_back(out);
  t.components = {spout, bolt};
  thrift::Subscription sub;
  sub.from_component = "sentences";
  sub.to_component = "split";
  sub.grouping.type = thrift::GroupingType::SHUFFLE;
  t.streams.push_back(sub);
  thrift::PluginRef p;
  p.name = "libwordcount.so";
  p.sha256 = plugin_sha;
  t.plugins.push_back(p);
  return t;
}

// What `list` shows of the cluster, without the uptimes.
std::string ClusterState(rpc::NimbusConnection& conn) {
  thrift::ClusterSummary sum;
  Status s = conn.Call([&](thrift::NimbusClient& c) { c.getClusterInfo(sum); });
  if (!s.ok()) return "error: " + s.ToString();
  std::ostringstream out;
  for (const auto& t : sum.topologies) {
    out << t.id << " " << t.name << " " << t.status << " " << t.num_tasks << " " << t.num_executors
        << " " << t.num_workers << "\n";
  }
  out << sum.slots_total << " " << sum.slots_used << " " << sum.supervisors.size() << "\n";
  return out.str();
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("Calls with wrong arguments get their declared exception and change nothing",
          "[integration][robustness]") {
  TestCluster cluster(1, 1);
  INFO(cluster.Logs());
  // A running topology, named wordcount, and its plugin stored by nimbus.
  const std::string file =
      cluster.dir().Write("wc.yaml",
                          "name: wordcount\n"
                          "includes: [ { file: " +
                              SourceDir() + "/topologies/wordcount/wordcount.yaml } ]\n");
  auto r = cluster.Gale({"submit", file, "--inactive"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto sha = Sha256File(LibDir() + "/libwordcount.so");
  REQUIRE(sha.ok());
  const std::string uploads = cluster.dir().path() + "/nimbus/uploads";
  const std::string plugins = cluster.dir().path() + "/nimbus/plugins";
  REQUIRE(FilesIn(plugins) == std::vector<std::string>{*sha});

  auto hp = rpc::ParseHostPort(cluster.nimbus());
  REQUIRE(hp.ok());
  auto connected = rpc::NimbusConnection::Connect(*hp);
  REQUIRE(connected.ok());
  rpc::NimbusConnection& conn = **connected;
  const std::string state_before = ClusterState(conn);
  REQUIRE(state_before.find(" wordcount ") != std::string::npos);

  auto expect = [&](const Thrown& t, const std::string& exception, StatusCode code,
                    const std::string& msg) {
    INFO(t.status.ToString());
    CHECK(t.exception == exception);
    CHECK(t.status.code() == code);
    CHECK(t.msg == msg);
  };

  SECTION("a topology name nimbus does not know") {
    const std::string gone = "no topology named 'x'";
    thrift::TopologyInfo info;
    expect(CallNimbus(conn, [&](auto& c) { c.getTopologyInfo(info, "x"); }), "NotAliveException",
           StatusCode::kNotFound, gone);
    expect(CallNimbus(conn, [&](auto& c) { c.killTopology("x", {}); }), "NotAliveException",
           StatusCode::kNotFound, gone);
    expect(CallNimbus(conn, [&](auto& c) { c.activate("x"); }), "NotAliveException",
           StatusCode::kNotFound, gone);
    expect(CallNimbus(conn, [&](auto& c) { c.deactivate("x"); }), "NotAliveException",
           StatusCode::kNotFound, gone);
    expect(CallNimbus(conn, [&](auto& c) { c.rebalance("x", {}); }), "NotAliveException",
           StatusCode::kNotFound, gone);
  }
  SECTION("a name that is already running") {
    expect(
        CallNimbus(conn,
                   [&](auto& c) { c.submitTopology(ValidThriftTopology("wordcount", *sha), {}); }),
        "AlreadyAliveException", StatusCode::kAlreadyExists,
        "topology 'wordcount' is already running; kill it first or choose another name");
  }
  SECTION("invalid topologies") {
    auto submit = [&](const thrift::Topology& t) {
      return CallNimbus(conn, [&](auto& c) { c.submitTopology(t, {}); });
    };
    auto invalid = [&](const thrift::Topology& t, const std::string& msg) {
      expect(submit(t), "InvalidTopologyException", StatusCode::kInvalidArgument, msg);
    };
    thrift::Topology t = ValidThriftTopology("bad", *sha);
    t.components[0].parallelism = 0;
    invalid(t, "'parallelism' of spout 'sentences' must be >= 1, got 0");
    t = ValidThriftTopology("bad", *sha);
    t.components[1].parallelism = -3;
    invalid(t, "'parallelism' of bolt 'split' must be >= 1, got -3");
    t = ValidThriftTopology("", *sha);
    invalid(t,
            "invalid topology name '': it is empty; a topology name is 1 to 128 printable ASCII "
            "characters, without white space, '/', '.', ':' or '\\', and does not start with "
            "'-'");
    t = ValidThriftTopology("bad", *sha);
    t.components[1].id = "";
    t.streams[0].to_component = "";
    invalid(t, "bolt id must not be empty");
    t = ValidThriftTopology("bad", *sha);
    t.streams[0].grouping.type = static_cast<thrift::GroupingType::type>(42);
    invalid(t, "unknown grouping type 42");
    t = ValidThriftTopology("bad", *sha);
    t.components[0].kind = static_cast<thrift::ComponentKind::type>(7);
    invalid(t, "component 'sentences' has an unknown kind 7");
    t = ValidThriftTopology("bad", *sha);
    t.components[0].__set_num_tasks(-1);
    invalid(t, "component 'sentences' has num_tasks -1; it must be >= 0");
    t = ValidThriftTopology("bad", *sha);
    t.plugins.clear();
    invalid(t, "topology 'bad' names no plugin");
    t = ValidThriftTopology("bad", *sha);
    t.streams[0].grouping.type = thrift::GroupingType::FIELDS;
    t.streams[0].grouping.__set_fields({"nosuch"});
    invalid(t,
            "stream 'sentences -> split' groups by field 'nosuch', which stream 'default' of "
            "spout 'sentences' does not have (its fields: sentence)");
    t = ValidThriftTopology("bad", *sha);
    t.components[0].outputs[0].id = "__ack_init";
    invalid(t,
            "component 'sentences' declares stream '__ack_init' (ids starting with '__' are "
            "Gale's own)");
  }
  SECTION("bad plugin uploads") {
    const std::string zeros(64, '0');
    expect(CallNimbus(conn, [&](auto& c) { c.uploadPluginChunk("nosuch", "bytes"); }),
           "UploadException", StatusCode::kInvalidArgument, "unknown upload id 'nosuch'");
    expect(CallNimbus(conn, [&](auto& c) { c.finishPluginUpload("nosuch"); }), "UploadException",
           StatusCode::kInvalidArgument, "unknown upload id 'nosuch'");
    std::string id;
    for (const std::string& bad :
         {std::string("xyz"), std::string(64, 'A'), zeros + "0", std::string()}) {
      expect(CallNimbus(conn, [&](auto& c) { c.beginPluginUpload(id, bad, 5); }), "UploadException",
             StatusCode::kInvalidArgument,
             "'" + bad + "' is not a SHA-256 (64 lower-case hex digits)");
    }
    for (int64_t size : {int64_t{0}, int64_t{-1}, (int64_t{1} << 30) + 1}) {
      expect(CallNimbus(conn, [&](auto& c) { c.beginPluginUpload(id, zeros, size); }),
             "UploadException", StatusCode::kInvalidArgument,
             "plugin size " + std::to_string(size) + " is out of range (1 byte to 1 GiB)");
    }
    // The bytes do not have the announced hash.
    REQUIRE(CallNimbus(conn, [&](auto& c) { c.beginPluginUpload(id, zeros, 5); }).status.ok());
    REQUIRE(CallNimbus(conn, [&](auto& c) { c.uploadPluginChunk(id, "hello"); }).status.ok());
    expect(CallNimbus(conn, [&](auto& c) { c.finishPluginUpload(id); }), "UploadException",
           StatusCode::kInvalidArgument,
           "uploaded file has SHA-256 " + Sha256Hex("hello") + ", not " + zeros);
    // Fewer bytes than announced.
    REQUIRE(CallNimbus(conn, [&](auto& c) { c.beginPluginUpload(id, zeros, 5); }).status.ok());
    REQUIRE(CallNimbus(conn, [&](auto& c) { c.uploadPluginChunk(id, "hel"); }).status.ok());
    expect(CallNimbus(conn, [&](auto& c) { c.finishPluginUpload(id); }), "UploadException",
           StatusCode::kInvalidArgument, "upload has 3 bytes, but 5 were declared");
    // More bytes than announced: the upload is cancelled.
    REQUIRE(CallNimbus(conn, [&](auto& c) { c.beginPluginUpload(id, zeros, 5); }).status.ok());
    expect(CallNimbus(conn, [&](auto& c) { c.uploadPluginChunk(id, "hello!"); }), "UploadException",
           StatusCode::kInvalidArgument,
           "upload '" + id + "' exceeds its declared size of 5 bytes; upload cancelled");
    expect(CallNimbus(conn, [&](auto& c) { c.finishPluginUpload(id); }), "UploadException",
           StatusCode::kInvalidArgument, "unknown upload id '" + id + "'");
    // Nothing was stored, and no failed upload leaves a file behind.
    bool has = true;
    REQUIRE(CallNimbus(conn, [&](auto& c) { has = c.hasPlugin(zeros); }).status.ok());
    CHECK_FALSE(has);
    INFO("uploads: " << ::Catch::Detail::stringify(FilesIn(uploads)));
    CHECK(FilesIn(uploads).empty());
    CHECK(FilesIn(plugins) == std::vector<std::string>{*sha});
  }
  SECTION("daemon calls for a topology nimbus does not know") {
    thrift::WorkerPlan plan;
    expect(CallNimbus(conn, [&](auto& c) { c.getWorkerPlan(plan, "nosuch-1-1", "sup1", 1); }),
           "NotAliveException", StatusCode::kNotFound, "no topology with id 'nosuch-1-1'");
    thrift::WorkerHeartbeat hb;
    hb.topology_id = "nosuch-1-1";
    hb.supervisor_id = "sup1";
    hb.port = 1;
    thrift::WorkerHeartbeatResponse resp;
    expect(CallNimbus(conn, [&](auto& c) { c.workerHeartbeat(resp, hb); }), "NotAliveException",
           StatusCode::kNotFound, "no topology with id 'nosuch-1-1'");
    std::string chunk;
    expect(CallNimbus(conn,
                      [&](auto& c) { c.downloadPluginChunk(chunk, std::string(64, 'f'), 0, 100); }),
           "PluginNotFoundException", StatusCode::kNotFound,
           "no plugin with SHA-256 '" + std::string(64, 'f') + "'");
  }
  SECTION("a rebalance with impossible numbers") {
    thrift::RebalanceOptions opts;
    opts.__set_num_workers(0);
    expect(CallNimbus(conn, [&](auto& c) { c.rebalance("wordcount", opts); }),
           "InvalidTopologyException", StatusCode::kInvalidArgument,
           "rebalance: workers must be >= 1, got 0");
    opts = {};
    opts.__set_num_executors({{"nosuch", 1}});
    expect(CallNimbus(conn, [&](auto& c) { c.rebalance("wordcount", opts); }),
           "InvalidTopologyException", StatusCode::kInvalidArgument,
           "rebalance: topology 'wordcount' has no component 'nosuch'");
  }
  // The connection is still good, and nothing changed.
  CHECK(ClusterState(conn) == state_before);
  CHECK(FilesIn(plugins) == std::vector<std::string>{*sha});
}

// ------------------------------------------------------------ topology names

// Uploads `path` to nimbus over Thrift, as any client does; its SHA-256.
std::string UploadOverThrift(rpc::NimbusConnection& conn, const std::string& path) {
  auto sha = Sha256File(path);
  REQUIRE(sha.ok());
  const std::string bytes = ReadFile(path);
  std::string id;
  REQUIRE(conn.Call([&](thrift::NimbusClient& c) {
                c.beginPluginUpload(id, *sha, static_cast<int64_t>(bytes.size()));
              })
              .ok());
  if (!id.empty()) {
    REQUIRE(conn.Call([&](thrift::NimbusClient& c) { c.uploadPluginChunk(id, bytes); }).ok());
    REQUIRE(conn.Call([&](thrift::NimbusClient& c) { c.finishPluginUpload(id); }).ok());
  }
  return *sha;
}

const std::string kNameRule =
    "a topology name is 1 to 128 printable ASCII characters, without white space, '/', '.', ':' "
    "or '\\', and does not start with '-'";

struct BadName {
  std::string name;
  std::string yaml;     // how a topology file writes it
  std::string message;  // what nimbus and gale say
};

std::vector<BadName> BadNames() {
  const std::string long_name(240, 'a');
  return {
      {"x sp2", "\"x sp2\"", "invalid topology name 'x sp2': it contains a space; " + kNameRule},
      {"x\ty", "\"x\\ty\"", "invalid topology name 'x\\ty': it contains a tab; " + kNameRule},
      {"x\nINFO forged line", "\"x\\nINFO forged line\"",
       "invalid topology name 'x\\nINFO forged line': it contains a line break ('\\n'); " +
           kNameRule},
      {"x\rforged", "\"x\\rforged\"",
       "invalid topology name 'x\\rforged': it contains a carriage return ('\\r'); " + kNameRule},
      {std::string("cut\0here", 8), "\"cut\\0here\"",
       "invalid topology name 'cut\\x00here': it contains a NUL byte ('\\x00'); " + kNameRule},
      {long_name, long_name,
       "invalid topology name '" + long_name.substr(0, 64) +
           "... (240 characters)': it has 240 characters, more than 128; " + kNameRule},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\"",
       "invalid topology name 'caf\\xc3\\xa9': it contains the non-ASCII byte '\\xc3'; " +
           kNameRule},
      {"a.b", "a.b", "invalid topology name 'a.b': it contains '.'; " + kNameRule},
      {"-x", "\"-x\"", "invalid topology name '-x': it starts with '-'; " + kNameRule},
  };
}

TEST_CASE("Topology names every tool cannot handle are refused by nimbus and gale alike",
          "[integration][robustness]") {
  TestCluster cluster(1, 1);
  INFO(cluster.Logs());
  auto hp = rpc::ParseHostPort(cluster.nimbus());
  REQUIRE(hp.ok());
  auto connected = rpc::NimbusConnection::Connect(*hp);
  REQUIRE(connected.ok());
  rpc::NimbusConnection& conn = **connected;
  const std::string sha = UploadOverThrift(conn, LibDir() + "/libwordcount.so");
  const std::string empty_cluster = ClusterState(conn);
  REQUIRE(empty_cluster == "1 0 1\n");  // no topology; 1 slot, none used, 1 supervisor
  const std::string state_dir = cluster.dir().path() + "/nimbus/topologies";

  for (const BadName& bad : BadNames()) {
    INFO("name '" << topology::PrintableForMessage(bad.name) << "'");
    // Over Thrift, as any client may send it.
    const Thrown t = CallNimbus(
        conn, [&](auto& c) { c.submitTopology(ValidThriftTopology(bad.name, sha), {}); });
    CHECK(t.exception == "InvalidTopologyException");
    CHECK(t.msg == bad.message);
    // Through the CLI: validate, local and submit say the same, at the name.
    const std::string file = cluster.dir().Write(
        "bad.yaml", "name: " + bad.yaml + "\nincludes: [ { file: " + SourceDir() +
                        "/topologies/wordcount/wordcount.yaml } ]\n");
    const std::string expected = file + ":1:7: " + bad.message + "\n";
    for (const char* verb : {"validate", "local", "submit"}) {
      INFO(verb);
      auto r = cluster.Gale({verb, file});
      CHECK(r.exit_code == 2);
      CHECK(r.err == expected);
      CHECK(r.out.empty());
    }
    // Nothing half-applied: no topology, the slot free, no state file.
    CHECK(ClusterState(conn) == empty_cluster);
    CHECK(FilesIn(state_dir).empty());
  }
  auto list = cluster.Gale({"list"});
  CHECK(list.out.find("(no topologies)") != std::string::npos);
  CHECK(list.out.find("1 slot(s): 0 used, 1 free") != std::string::npos);
  // The same after a restart: nothing was stored under a cut name.
  cluster.RestartNimbus();
  CHECK(cluster.Gale({"list"}).out.find("(no topologies)") != std::string::npos);

  // A name at the limit, with punctuation the rule allows, is accepted and
  // really runs: the supervisor takes its id by the same rule.
  const std::string odd = "wc+odd@name~1_" + std::string(128 - 14, 'z');
  REQUIRE(odd.size() == 128);
  auto again = rpc::NimbusConnection::Connect(*hp);
  REQUIRE(again.ok());
  const Thrown ok =
      CallNimbus(**again, [&](auto& c) { c.submitTopology(ValidThriftTopology(odd, sha), {}); });
  INFO(ok.status.ToString());
  REQUIRE(ok.status.ok());
  CHECK(WaitFor([&] { return cluster.Workers().size() == 1; }, seconds(30)));
  CHECK(cluster.Gale({"list"}).out.find(odd) != std::string::npos);
}

// ------------------------------------------------- topologies against plugins

// What `gale validate` says of `file` (relative to the source tree), without
// the file:line:column that nimbus, given no file, cannot say.
std::string ValidateMessage(const std::string& file) {
  auto v = RunGaleIn(SourceDir(), {"validate", file});
  REQUIRE(v.exit_code == 2);
  const std::string prefix = file + ":";
  REQUIRE(v.err.rfind(prefix, 0) == 0);
  const size_t at = v.err.find(": ", prefix.size());
  REQUIRE(at != std::string::npos);
  std::string message = v.err.substr(at + 2);
  REQUIRE(!message.empty());
  message.pop_back();  // the newline
  return message;
}

// `t` with its bolt replaced by bolt `id` of class `class_name`, which the
// plugin `plugin` (also uploaded, as `sha256`) registers.
thrift::Topology WithOddBolt(thrift::Topology t, const std::string& plugin,
                             const std::string& sha256, const std::string& id,
                             const std::string& class_name) {
  thrift::PluginRef p;
  p.name = plugin;
  p.sha256 = sha256;
  t.plugins.push_back(p);
  t.components[1].id = id;
  t.components[1].class_name = class_name;
  t.components[1].outputs.clear();
  t.streams[0].to_component = id;
  return t;
}

TEST_CASE("Nimbus refuses a topology whose classes or streams its plugins do not have",
          "[integration][robustness]") {
  TestCluster cluster(1, 1);
  INFO(cluster.Logs());
  auto hp = rpc::ParseHostPort(cluster.nimbus());
  REQUIRE(hp.ok());
  auto connected = rpc::NimbusConnection::Connect(*hp, seconds(30));
  REQUIRE(connected.ok());
  rpc::NimbusConnection& conn = **connected;
  const std::string sha = UploadOverThrift(conn, LibDir() + "/libwordcount.so");
  const std::string crashing = UploadOverThrift(conn, LibDir() + "/libcrashing.so");
  const std::string empty_cluster = ClusterState(conn);
  REQUIRE(empty_cluster == "1 0 1\n");
  const std::string state_dir = cluster.dir().path() + "/nimbus/topologies";

  auto refused = [&](const thrift::Topology& t, const std::string& message) {
    const Thrown r = CallNimbus(conn, [&](auto& c) { c.submitTopology(t, {}); });
    CHECK(r.exception == "InvalidTopologyException");
    CHECK(r.msg == message);
    // Nothing half-applied.
    CHECK(ClusterState(conn) == empty_cluster);
    CHECK(FilesIn(state_dir).empty());
  };

  SECTION("a className no plugin registers: the message of gale validate") {
    thrift::Topology t = ValidThriftTopology("wc", sha);
    t.components[0].class_name = "SentenceSpot";
    const std::string expected = ValidateMessage(kDir + "/unknown_class.yaml");
    CHECK(
        expected ==
        "unknown className 'SentenceSpot' for spout 'sentences' (did you mean "
        "'SentenceSpout'? plugins register: ReportBolt, SentenceSpout, SplitSentence, "
        "StatefulSentenceSpout, StatefulWordCount, StatefulWordSum, WindowedWordCount, WordCount)");
    refused(t, expected);
  }
  SECTION("a bolt class for a spout") {
    thrift::Topology t = ValidThriftTopology("wc", sha);
    t.components[0].class_name = "SplitSentence";
    // As gale validate says it, with the plugin named as the client named it.
    refused(t,
            "spout 'sentences' uses className 'SplitSentence', which is a bolt (registered by "
            "libwordcount.so); a spout needs a spout class");
  }
  SECTION("output fields other than the plugin declares") {
    thrift::Topology t = ValidThriftTopology("wc", sha);
    t.components[0].outputs[0].fields = {"line"};
    refused(t,
            "spout 'sentences' (className SentenceSpout): stream 'default' is [line] in the "
            "submitted topology, but the plugin declares [sentence]");
    // Grouped by the field only the client claims: gale validate's message.
    t.streams[0].grouping.type = thrift::GroupingType::FIELDS;
    t.streams[0].grouping.__set_fields({"line"});
    const std::string file = cluster.dir().Write(
        "fields.yaml",
        "name: wc\nplugins: [libwordcount.so]\n"
        "spouts: [ { id: sentences, className: SentenceSpout } ]\n"
        "bolts: [ { id: split, className: SplitSentence } ]\n"
        "streams: [ { from: sentences, to: split, grouping: { type: FIELDS, args: [line] } } ]\n");
    const std::string expected = ValidateMessage(file);
    CHECK(expected ==
          "stream 'sentences -> split' groups by field 'line', which stream 'default' of spout "
          "'sentences' does not have (its fields: sentence)");
    refused(t, expected);
  }
  SECTION("streams the plugin does not declare, or left out, or direct when it is not") {
    thrift::Topology t = ValidThriftTopology("wc", sha);
    thrift::StreamDecl extra;
    extra.id = "extra";
    extra.fields = {"x"};
    t.components[1].outputs.push_back(extra);
    t.components[0].outputs[0].__set_direct(true);
    refused(t,
            "spout 'sentences' (className SentenceSpout): stream 'default' is [sentence] direct "
            "in the submitted topology, but the plugin declares [sentence]\n"
            "bolt 'split' (className SplitSentence): the submitted topology declares stream "
            "'extra' [x], which the plugin does not declare (it declares: default)");
    t = ValidThriftTopology("wc", sha);
    t.components[1].outputs.clear();
    refused(t,
            "bolt 'split' (className SplitSentence): the plugin declares stream 'default' "
            "[word], which the submitted topology leaves out");
  }
  SECTION("a plugin that crashes while describing: the message of gale validate") {
    const thrift::Topology t = WithOddBolt(ValidThriftTopology("wc", sha), "libcrashing.so",
                                           crashing, "crash", "CrashingBolt");
    const std::string expected = ValidateMessage(kDir + "/crashing_plugin.yaml");
    CHECK(expected ==
          "plugin code crashed (signal 11, Segmentation fault) while describing component "
          "'crash' (class CrashingBolt)");
    refused(t, expected);
  }
  // Nimbus itself is fine, and a good topology is still accepted and runs.
  CHECK(cluster.nimbus_daemon().Running());
  const Thrown ok =
      CallNimbus(conn, [&](auto& c) { c.submitTopology(ValidThriftTopology("good", sha), {}); });
  INFO(ok.status.ToString());
  REQUIRE(ok.status.ok());
  CHECK(WaitFor([&] { return cluster.Workers().size() == 1; }, seconds(30)));
  CHECK(ClusterState(conn).find(" good ") != std::string::npos);
}

// The child processes of `pid` (of all its threads).
std::vector<std::string> ChildrenOf(pid_t pid) {
  std::vector<std::string> out;
  std::error_code ec;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
    std::istringstream in(ReadFile(t.path().string() + "/children"));
    for (std::string child; in >> child;) out.push_back(child);
  }
  return out;
}

TEST_CASE("Nimbus stops describing a plugin that hangs at its time limit and refuses the topology",
          "[integration][robustness]") {
  TempDir dir;
  const int port = FreePort();
  const std::string address = "127.0.0.1:" + std::to_string(port);
  Daemon nimbus({BinDir() + "/gale-nimbus", "--port", std::to_string(port), "--state-dir",
                 dir.path() + "/nimbus", "--describe-timeout-secs", "1"},
                dir.path() + "/nimbus.log");
  INFO(nimbus.Log());
  auto hp = rpc::ParseHostPort(address);
  REQUIRE(hp.ok());
  std::unique_ptr<rpc::NimbusConnection> conn;
  REQUIRE(WaitFor(
      [&] {
        auto c = rpc::NimbusConnection::Connect(*hp, seconds(30));
        if (c.ok()) conn = std::move(c).value();
        return conn != nullptr;
      },
      seconds(15)));
  const std::string sha = UploadOverThrift(*conn, LibDir() + "/libwordcount.so");
  const std::string hanging = UploadOverThrift(*conn, LibDir() + "/libhanging.so");
  const thrift::Topology t = WithOddBolt(ValidThriftTopology("hangs", sha), "libhanging.so",
                                         hanging, "hang", "HangingBolt");
  const Thrown r = CallNimbus(*conn, [&](auto& c) { c.submitTopology(t, {}); });
  CHECK(r.exception == "InvalidTopologyException");
  CHECK(r.msg ==
        "plugin code did not finish within 1 s (killed) while describing component 'hang' "
        "(class HangingBolt)");
  // The describer was killed and reaped; nimbus goes on, with nothing stored.
  CHECK(ChildrenOf(nimbus.pid()).empty());
  CHECK(nimbus.Running());
  CHECK(ClusterState(*conn) == "0 0 0\n");
  CHECK(FilesIn(dir.path() + "/nimbus/topologies").empty());
}

// ------------------------------------------------------ a worker's ZeroMQ port

// Word count on `workers` workers with an endless spout.
std::string EndlessWordCount(const TempDir& dir, int workers) {
  return dir.Write(
      "wordcount.yaml",
      "name: wordcount\n"
      "includes: [ { file: " +
          SourceDir() +
          "/topologies/wordcount/wordcount.yaml } ]\n"
          "config: { topology.workers: " +
          std::to_string(workers) +
          " }\n"
          "spouts:\n"
          "  - { id: sentences, className: SentenceSpout, config: { sentences.loop: true, "
          "sentences.per.second: 100 } }\n"
          "bolts:\n"
          "  - id: report\n"
          "    className: ReportBolt\n"
          "    config: { report.file: " +
          dir.path() + "/counts.txt, topology.tick.tuple.freq.secs: 1 }\n");
}

// The row of `component` in the component table of `gale info`.
int64_t Column(const std::string& info, const std::string& component, size_t col) {
  std::istringstream in(info);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "executors:") break;
    auto w = Words(line);
    if (!w.empty() && w[0] == component) {
      if (w.size() <= col || !std::isdigit(static_cast<unsigned char>(w[col][0]))) return -1;
      return std::stoll(w[col]);
    }
  }
  return -1;
}
constexpr size_t kEmitted = 3, kErrors = 11;

// N of "worker H:P dropped N ..." in `gale info`, 0 without that line.
int64_t Dropped(const std::string& info, const std::string& worker) {
  const std::string prefix = "worker " + worker + " dropped ";
  const size_t at = info.find(prefix);
  if (at == std::string::npos) return 0;
  return std::stoll(info.substr(at + prefix.size()));
}

// The pid of the gale-worker of this cluster on `port`, -1 if none.
pid_t WorkerPid(const TestCluster& cluster, int port) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return -1;
  pid_t found = -1;
  while (dirent* e = ::readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline");
    std::vector<std::string> argv;
    std::string arg;
    while (std::getline(in, arg, '\0')) argv.push_back(arg);
    if (argv.empty() || argv[0].find("gale-worker") == std::string::npos) continue;
    bool nimbus = false, slot = false;
    for (size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--nimbus" && argv[i + 1] == cluster.nimbus()) nimbus = true;
      if (argv[i] == "--port" && argv[i + 1] == std::to_string(port)) slot = true;
    }
    if (nimbus && slot) found = static_cast<pid_t>(std::stoi(e->d_name));
  }
  ::closedir(proc);
  return found;
}

// What nimbus gives the worker on `port`: its assignment version and the
// topology's CURVE key pair, so that the test can reach the worker and write
// frames it takes, as a peer worker would.
thrift::WorkerPlan PlanOf(TestCluster& cluster, const std::string& name, int port) {
  auto hp = rpc::ParseHostPort(cluster.nimbus());
  REQUIRE(hp.ok());
  auto conn = rpc::NimbusConnection::Connect(*hp);
  REQUIRE(conn.ok());
  thrift::TopologyInfo info;
  REQUIRE((*conn)->Call([&](thrift::NimbusClient& c) { c.getTopologyInfo(info, name); }).ok());
  std::string supervisor;
  for (const auto& e : info.executors) {
    if (e.port == port) supervisor = e.supervisor_id;
  }
  REQUIRE(!supervisor.empty());
  thrift::WorkerPlan plan;
  REQUIRE(
      (*conn)
          ->Call([&](thrift::NimbusClient& c) { c.getWorkerPlan(plan, info.id, supervisor, port); })
          .ok());
  return plan;
}

// A frame as a worker of `plan`'s assignment writes it: its stamp, then the
// codec frame.
std::string Frame(const thrift::WorkerPlan& plan, const std::vector<tuple::WireTuple>& tuples,
                  int64_t version_offset = 0, const std::string& sender = "") {
  std::string out = transport::EncodeStamp(
      plan.topology_id, plan.assignment.version + version_offset, sender, plan.assignment.version);
  tuple::EncodeFrame(tuples, out);
  return out;
}

tuple::WireTuple Wire(int32_t target, int32_t source, uint32_t stream, Values values) {
  tuple::WireTuple w;
  w.target_task = target;
  w.source_task = source;
  w.stream = stream;
  w.values = std::move(values);
  return w;
}

TEST_CASE("A worker drops garbage and misrouted tuples on its port, counts them and goes on",
          "[integration][robustness]") {
  TestCluster cluster(1, 1);
  INFO(cluster.Logs());
  auto r = cluster.Gale({"submit", EndlessWordCount(cluster.dir(), 1)});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::string info;
  REQUIRE(WaitFor(
      [&] {
        info = cluster.Gale({"info", "wordcount"}).out;
        return Column(info, "sentences", kEmitted) > 20;
      },
      seconds(60)));
  INFO(info);
  const auto executors = Executors(info);
  REQUIRE(!executors.empty());
  const std::string worker = executors[0].worker;
  std::map<std::string, int> first_task;
  for (const auto& e : executors) {
    CHECK(e.worker == worker);
    if (!first_task.count(e.component)) first_task[e.component] = e.first_task;
  }
  REQUIRE(first_task.count("sentences"));
  REQUIRE(first_task.count("split"));
  REQUIRE(first_task.count("count"));
  const int sentences = first_task["sentences"], split = first_task["split"],
            count = first_task["count"];
  const pid_t pid = WorkerPid(cluster, PortOf(worker));
  REQUIRE(pid > 0);
  CHECK(Dropped(info, worker) == 0);
  const int64_t emitted_before = Column(info, "sentences", kEmitted);
  const int64_t count_errors_before = Column(info, "count", kErrors);

  const thrift::WorkerPlan plan = PlanOf(cluster, "wordcount", PortOf(worker));
  REQUIRE(plan.__isset.transport_secret_key);  // worker links are encrypted by default
  zmq::context_t context;
  zmq::socket_t push(context, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 1000);
  push.set(zmq::sockopt::sndtimeo, 5000);
  push.set(zmq::sockopt::curve_serverkey, plan.transport_public_key);
  push.set(zmq::sockopt::curve_publickey, plan.transport_public_key);
  push.set(zmq::sockopt::curve_secretkey, plan.transport_secret_key);
  push.connect("tcp://" + worker);
  int sent = 0;
  auto send = [&](const std::string& bytes, int counts) {
    CHECK(push.send(zmq::buffer(bytes), zmq::send_flags::none).has_value());
    sent += counts;
  };
  // The spout emits 100 more than `emitted`, and on the same worker process.
  auto goes_on = [&](int64_t emitted) {
    CHECK(WaitFor(
        [&] {
          return Column(cluster.Gale({"info", "wordcount"}).out, "sentences", kEmitted) >
                 emitted + 100;
        },
        seconds(30)));
    CHECK(WorkerPid(cluster, PortOf(worker)) == pid);
  };
  // Garbage.
  std::mt19937 random(7);
  std::string garbage(1024, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  send(garbage, 1);
  // A valid frame cut short, and an empty message.
  const std::string good =
      Frame(plan, {Wire(split, sentences, 0, {Value(std::string("the cow"))})});
  send(good.substr(0, good.size() - 3), 1);
  send("", 1);
  // Valid frames of tuples the worker must not take: for a task it does
  // not run, from a task that does not exist, on a stream the source does
  // not have, with the wrong number of values.
  send(Frame(plan, {Wire(9999, sentences, 0, {Value(std::string("a b"))}),
                    Wire(-1, sentences, 0, {Value(std::string("a b"))})}),
       2);
  send(Frame(plan, {Wire(split, 9999, 0, {Value(std::string("a b"))})}), 1);
  send(Frame(plan, {Wire(split, sentences, 7, {Value(std::string("a b"))})}), 1);
  send(Frame(plan, {Wire(split, sentences, 0, {Value(std::string("a")), Value(std::string("b"))})}),
       1);
  // A tuple of a stream its target does not subscribe to: count takes
  // split's words, never sentences.
  send(Frame(plan, {Wire(count, sentences, 0, {Value(std::string("not a word"))})}), 1);
  // A well-formed frame from a worker of another assignment (one that was
  // moved away and still sends) or of another topology that had this port.
  send(Frame(plan, {Wire(split, sentences, 0, {Value(std::string("a b"))})}, -1), 1);
  send(Frame(plan, {Wire(split, sentences, 0, {Value(std::string("a b"))})}, +1), 1);
  // One that names a sender that is not a peer of this worker (a moved
  // worker's old process).
  send(Frame(plan, {Wire(split, sentences, 0, {Value(std::string("a b"))})}, 0, "127.0.0.1:1"), 1);
  {
    thrift::WorkerPlan other = plan;
    other.topology_id = "wordcount-99-1764800000";
    send(Frame(other, {Wire(split, sentences, 0, {Value(std::string("a b"))})}), 1);
  }

  int64_t dropped = 0;
  const bool all_dropped = WaitFor(
      [&] {
        info = cluster.Gale({"info", "wordcount"}).out;
        dropped = Dropped(info, worker);
        return dropped >= sent;
      },
      seconds(20));
  INFO("sent " << sent << ", dropped " << dropped << "\n" << info);
  CHECK(all_dropped);
  // The same worker goes on processing; nothing reached user code.
  goes_on(emitted_before);
  info = cluster.Gale({"info", "wordcount"}).out;
  CHECK(Column(info, "count", kErrors) == count_errors_before);
  CHECK(Column(info, "split", kErrors) == 0);
  CHECK(info.find("last errors of") == std::string::npos);

  // Well-formed acker messages whose content is not: a pack of acks whose
  // value is text, and one of 17 bytes (not whole 16-byte acks). They reach
  // the acker (here on the spout executor's thread), which reports each as
  // its own error, and the worker goes on.
  REQUIRE(first_task.count("__acker"));
  const uint32_t split_ack_stream = 1;  // __ack_pack, after split's own "default"
  send(Frame(plan, {Wire(first_task["__acker"], split, split_ack_stream,
                         {Value(std::string("not a pack"))}),
                    Wire(first_task["__acker"], split, split_ack_stream,
                         {Value(Bytes{std::string(17, 'x')})})}),
       0);
  CHECK(WaitFor(
      [&] {
        return Column(cluster.Gale({"info", "wordcount"}).out, "__acker", kErrors) == 2;
      },
      seconds(20)));
  info = cluster.Gale({"info", "wordcount"}).out;
  CHECK(Column(info, "sentences", kErrors) == 0);
  CHECK(Dropped(info, worker) == dropped);
  goes_on(Column(info, "sentences", kEmitted));
}

}  // namespace
}  // namespace gale::testing
