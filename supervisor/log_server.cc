#include "supervisor/log_server.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

namespace gale::supervisor {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDefaultLength = 64 * 1024;
constexpr int64_t kMaxLength = 16 << 20;

bool SafeId(const std::string& s) {
  return !s.empty() && s.size() <= 256 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  }) && s.find("..") == std::string::npos;
}

bool Digits(const std::string& s, size_t max_len) {
  return !s.empty() && s.size() <= max_len &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

http::HttpResponse Error(int status, const std::string& message) {
  http::HttpResponse r;
  r.status = status;
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  r.body = "{\"error\":\"" + std::string(status == 404 ? "Not Found" : "Bad Request") +
           "\",\"errorMessage\":\"" + escaped + "\"}";
  return r;
}

http::HttpResponse ListLogs(const std::string& dir, const std::string& topology) {
  if (!SafeId(topology)) return Error(400, "malformed topology id");
  std::vector<std::pair<WorkerLogFile, struct stat>> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    WorkerLogFile f;
    struct stat st;
    if (!ParseWorkerLogName(e.path().filename().string(), &f) || f.topology_id != topology ||
        ::stat(e.path().c_str(), &st) != 0) {
      continue;
    }
    files.emplace_back(f, st);
  }
  // Per worker, oldest first: the order to read them in.
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    if (a.first.port != b.first.port) return a.first.port < b.first.port;
    return a.first.rotation > b.first.rotation;
  });
  std::string body = "{\"topology\":\"" + topology + "\",\"files\":[";
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& [f, st] = files[i];
    if (i) body += ',';
    body += "{\"file\":\"" + f.name + "\",\"port\":" + std::to_string(f.port) +
            ",\"rotation\":" + std::to_string(f.rotation) +
            ",\"size\":" + std::to_string(st.st_size) +
            ",\"modified\":" + std::to_string(st.st_mtime) + "}";
  }
  http::HttpResponse r;
  r.body = body + "]}";
  return r;
}

http::HttpResponse ReadLog(const std::string& dir, const http::ParsedTarget& q) {
  std::string name = q.Query("file", "");
  if (name.empty()) {
    const std::string topology = q.Query("topology", ""), port = q.Query("port", "");
    if (!SafeId(topology) || !Digits(port, 5)) {
      return Error(400, "give file=NAME, or topology=ID and port=PORT");
    }
    name = WorkerLogName(topology, std::stoi(port));
  }
  WorkerLogFile f;
  if (!ParseWorkerLogName(name, &f)) return Error(400, "'" + name + "' is not a worker log name");
  const std::string path = dir + "/" + name;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Error(404, "no log " + name + " here");
  }
  const std::string start_text = q.Query("start", ""), length_text = q.Query("length", "");
  if ((!start_text.empty() && !Digits(start_text, 15)) ||
      (!length_text.empty() && !Digits(length_text, 15))) {
    return Error(400, "start and length are byte counts");
  }
  const int64_t size = st.st_size;
  const int64_t length =
      std::min<int64_t>(kMaxLength, length_text.empty() ? kDefaultLength : std::stoll(length_text));
  int64_t start =
      start_text.empty() ? std::max<int64_t>(0, size - length) : int64_t{std::stoll(start_text)};
  start = std::min(start, size);
  std::ifstream in(path, std::ios::binary);
  in.seekg(start);
  std::string data(static_cast<size_t>(std::min(length, size - start)), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  http::HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(data);
  r.headers = {{"X-Log-Size", std::to_string(size)},
               {"X-Log-Start", std::to_string(start)},
               {"X-Log-File", name}};
  return r;
}

}  // namespace

std::string WorkerLogName(const std::string& topology_id, int port) {
  return "worker-" + topology_id + "-" + std::to_string(port) + ".log";
}

bool ParseWorkerLogName(const std::string& name, WorkerLogFile* out) {
  if (name.rfind("worker-", 0) != 0 || name.find('/') != std::string::npos) return false;
  std::string rest = name.substr(7);
  int rotation = 0;
  const size_t log = rest.rfind(".log");
  if (log == std::string::npos) return false;
  const std::string suffix = rest.substr(log + 4);
  if (!suffix.empty()) {
    if (suffix[0] != '.' || !Digits(suffix.substr(1), 3)) return false;
    rotation = std::stoi(suffix.substr(1));
  }
  rest = rest.substr(0, log);
  const size_t dash = rest.rfind('-');
  if (dash == std::string::npos || !Digits(rest.substr(dash + 1), 5)) return false;
  const std::string topology = rest.substr(0, dash);
  if (!SafeId(topology)) return false;
  out->name = name;
  out->topology_id = topology;
  out->port = std::stoi(rest.substr(dash + 1));
  out->rotation = rotation;
  return true;
}

http::HttpResponse ServeLogRequest(const std::string& logs_dir, const http::HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return Error(400, "the log server only answers GET");
  }
  auto target = http::ParseTarget(request.target);
  if (!target.ok()) return Error(400, target.status().message());
  const auto& seg = target->segments;
  if (seg.size() == 3 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "logs") {
    return ListLogs(logs_dir, target->Query("topology", ""));
  }
  if (seg.size() == 3 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "log") {
    return ReadLog(logs_dir, *target);
  }
  return Error(404, "no endpoint; use /api/v1/logs?topology=ID or /api/v1/log?file=NAME");
}

std::vector<std::string> RemoveOldLogs(const std::string& logs_dir,
                                       const std::set<std::string>& keep,
                                       std::chrono::seconds age) {
  std::vector<std::string> removed;
  const auto now = fs::file_time_type::clock::now();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(logs_dir, ec)) {
    WorkerLogFile f;
    if (!ParseWorkerLogName(e.path().filename().string(), &f) || keep.count(f.topology_id)) {
      continue;
    }
    std::error_code tec;
    const auto written = fs::last_write_time(e.path(), tec);
    if (tec || now - written < age) continue;
    if (fs::remove(e.path(), tec)) removed.push_back(f.name);
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

}  // namespace gale::supervisor
