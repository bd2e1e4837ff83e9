#include "nimbus/cli/logs_command.h"

#include "core/http/http.h"
#include "thrift/client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace gale::cli {
namespace {

struct WorkerLog {
  std::string host;  // the worker's (and its supervisor's) host
  int port = 0;      // the worker's slot
  std::string supervisor_id;
  int logviewer_port = 0;
  int64_t offset = -1;  // --follow: bytes of the current file printed so far
  bool keep = false;    // --component: whether the last entry was kept
  std::string name() const { return host + ":" + std::to_string(port); }
};

// The complete lines of `text` that --component keeps, appended to `lines`;
// the bytes consumed (a trailing partial line is left for the next read).
size_t KeepLines(WorkerLog& w, const std::string& text, const LogsOptions& o,
                 std::vector<std::string>& lines) {
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string line = text.substr(start, nl - start);
    if (!o.component.empty()) {
      // Continuation lines of an entry (indented) follow it.
      const bool continuation = !line.empty() && line[0] == ' ';
      if (!continuation) w.keep = LineOfComponent(line, o.component);
      if (!w.keep) continue;
    }
    lines.push_back(std::move(line));
  }
  return start;
}

// A tail's body without its partial first line, unless it starts the file.
std::string WholeLines(const http::HttpResponse& r) {
  if (std::atoll(r.Header("X-Log-Start").c_str()) == 0) return r.body;
  const size_t nl = r.body.find('\n');
  return nl == std::string::npos ? "" : r.body.substr(nl + 1);
}

Result<http::HttpResponse> Fetch(const WorkerLog& w, const std::string& topology_id,
                                 const std::string& range) {
  const std::string target =
      "/api/v1/log?topology=" + topology_id + "&port=" + std::to_string(w.port) + range;
  GALE_ASSIGN_OR_RETURN(http::HttpResponse r, http::Get(w.host, w.logviewer_port, target));
  if (r.status != 200) {
    return Status::Unavailable("the log server of " + w.supervisor_id + " answered " +
                               std::to_string(r.status) + ": " + r.body.substr(0, 200));
  }
  return r;
}

}  // namespace

bool LineOfComponent(const std::string& line, const std::string& component) {
  // "HH:MM:SS.mmm LEVEL [pid] tag] message": the tag is the 4th word.
  std::istringstream in(line);
  std::string time, level, pid, tag;
  if (!(in >> time >> level >> pid >> tag) || tag.size() < 2 || tag.back() != ']') return false;
  tag.pop_back();
  const size_t colon = tag.rfind(':');
  if (colon == std::string::npos || tag.substr(0, colon) != component) return false;
  const std::string task = tag.substr(colon + 1);
  return !task.empty() &&
         std::all_of(task.begin(), task.end(), [](unsigned char c) { return std::isdigit(c); });
}

int Logs(const ClusterArgs& c, const std::string& name, const LogsOptions& o, std::ostream& out,
         std::ostream& err) {
  auto conn = ConnectNimbus(c, err);
  if (!conn) return 1;
  thrift::TopologyInfo info;
  thrift::ClusterSummary cluster;
  Status s = conn->Call([&](thrift::NimbusClient& n) { n.getTopologyInfo(info, name); });
  if (s.ok()) s = conn->Call([&](thrift::NimbusClient& n) { n.getClusterInfo(cluster); });
  if (!s.ok()) {
    err << "gale logs: " << s.message() << "\n";
    return 1;
  }
  std::map<std::string, int> logviewer;  // supervisor id -> port
  for (const auto& sup : cluster.supervisors) logviewer[sup.id] = sup.logviewer_port;

  std::map<std::string, WorkerLog> workers;  // by host:port
  std::set<std::string> components;
  for (const auto& e : info.executors) {
    components.insert(e.component_id);
    if (e.host.empty() || (!o.component.empty() && e.component_id != o.component)) continue;
    WorkerLog w{e.host, e.port, e.supervisor_id, logviewer[e.supervisor_id]};
    workers.emplace(w.name(), w);
  }
  if (!o.component.empty() && !components.count(o.component)) {
    err << "gale logs: topology '" << name << "' has no component '" << o.component << "'\n";
    return 2;
  }
  if (!o.worker.empty()) {
    if (!workers.count(o.worker)) {
      err << "gale logs: '" << o.worker << "' is not a worker of topology '" << name << "'";
      if (!workers.empty()) {
        err << "; its workers" << (o.component.empty() ? "" : " running " + o.component) << " are";
        for (const auto& [n, w] : workers) err << " " << n;
      }
      err << "\n";
      return 2;
    }
    WorkerLog only = workers[o.worker];
    workers = {{o.worker, only}};
  }
  if (workers.empty()) {
    err << "gale logs: topology '" << name << "' has no worker running yet\n";
    return 1;
  }

  const bool prefix = workers.size() > 1;
  int failures = 0;
  for (auto& [n, w] : workers) {
    if (w.logviewer_port == 0) {
      err << "gale logs: supervisor " << w.supervisor_id << " of worker " << n
          << " runs no log server (see its logviewer.port)\n";
      ++failures;
      continue;
    }
    // The tail: enough bytes for the lines asked for (more when filtering).
    const int64_t per_line = o.component.empty() ? 300 : 3000;
    const int64_t length =
        std::min<int64_t>(16 << 20, std::max<int64_t>(64 << 10, o.lines * per_line));
    auto r = Fetch(w, info.id, "&length=" + std::to_string(length));
    if (!r.ok()) {
      err << "gale logs: worker " << n << ": " << r.status().message() << "\n";
      ++failures;
      continue;
    }
    const int64_t start = std::atoll(r->Header("X-Log-Start").c_str());
    std::vector<std::string> lines;
    if (start == 0) {
      // The whole file came, shorter than the tail asked for (a young log,
      // or one just rotated): the tail goes on at the end of the previous
      // file, if there is one (the server names the current file).
      auto older = Fetch(
          w, info.id, "&file=" + r->Header("X-Log-File") + ".1&length=" + std::to_string(length));
      if (older.ok()) {
        KeepLines(w, WholeLines(*older), o, lines);  // w.keep carries into the current file
      }
    }
    const std::string text = WholeLines(*r);
    const size_t used = KeepLines(w, text, o, lines);
    const size_t from = lines.size() > static_cast<size_t>(o.lines) ? lines.size() - o.lines : 0;
    for (size_t i = from; i < lines.size(); ++i) {
      out << (prefix ? n + " | " : "") << lines[i] << "\n";
    }
    w.offset = start + static_cast<int64_t>(used);
  }
  out.flush();
  if (!o.follow) return failures ? 1 : 0;

  // --follow: every second, what each log gained; a log that shrank was
  // rotated, and is read again from its start.
  while (true) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    for (auto& [n, w] : workers) {
      if (w.offset < 0) continue;
      auto r = Fetch(w, info.id,
                     "&start=" + std::to_string(w.offset) + "&length=" + std::to_string(4 << 20));
      if (!r.ok()) continue;  // a restarting supervisor: try again next round
      const int64_t size = std::atoll(r->Header("X-Log-Size").c_str());
      if (size < w.offset) {
        w.offset = 0;
        continue;
      }
      std::vector<std::string> lines;
      w.offset += static_cast<int64_t>(KeepLines(w, r->body, o, lines));
      for (const auto& line : lines) out << (prefix ? n + " | " : "") << line << "\n";
    }
    out.flush();
  }
}

}  // namespace gale::cli
