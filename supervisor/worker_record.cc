#include "supervisor/worker_record.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace gale::supervisor {
namespace {

std::string RecordPath(const std::string& state_dir, int port) {
  return state_dir + "/slots/" + std::to_string(port);
}

}  // namespace

std::optional<uint64_t> ProcessStartTicks(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and ')'; fields
  // after the last ')' start with the state (field 3).
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int n = 3; n <= 22 && fields >> field; ++n) {
    if (n == 3 && field == "Z") return std::nullopt;
    if (n == 22) return std::stoull(field);
  }
  return std::nullopt;
}

Status WriteWorkerRecord(const std::string& state_dir, int port, const WorkerRecord& record) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(state_dir + "/slots", ec);
  if (ec) return Status::Internal("cannot create " + state_dir + "/slots: " + ec.message());
  const std::string path = RecordPath(state_dir, port);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << record.pid << ' ' << record.start_ticks << ' ' << record.version << ' '
        << record.topology_id << '\n';
    if (!out.flush()) return Status::Internal("cannot write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::Internal("cannot rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

std::optional<WorkerRecord> ReadWorkerRecord(const std::string& state_dir, int port) {
  const std::string path = RecordPath(state_dir, port);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  WorkerRecord r;
  std::string rest;
  if (!(in >> r.pid >> r.start_ticks >> r.version >> r.topology_id) || r.pid <= 0 || (in >> rest)) {
    RemoveWorkerRecord(state_dir, port);
    return std::nullopt;
  }
  return r;
}

void RemoveWorkerRecord(const std::string& state_dir, int port) {
  std::error_code ec;
  std::filesystem::remove(RecordPath(state_dir, port), ec);
}

bool StillRunning(const WorkerRecord& record) {
  const auto ticks = ProcessStartTicks(record.pid);
  return ticks && *ticks == record.start_ticks;
}

}  // namespace gale::supervisor
