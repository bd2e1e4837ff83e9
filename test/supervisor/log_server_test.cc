// The supervisor's log server (supervisor/log_server.h) on a directory of
// real files, the retention sweep, and the worker's rotating log
// (core/common/logging.h, in a child process so this one keeps its stderr).
#include "supervisor/log_server.h"

#include "core/common/logging.h"
#include "test/support/process.h"

#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

namespace gale::supervisor {
namespace {

using testing::ReadFile;
using testing::TempDir;

http::HttpResponse Get(const std::string& dir, const std::string& target) {
  http::HttpRequest r;
  r.method = "GET";
  r.target = target;
  return ServeLogRequest(dir, r);
}

TEST_CASE("Worker log names are parsed back, and nothing else is", "[supervisor][logs]") {
  CHECK(WorkerLogName("wc-1-1796350799", 6700) == "worker-wc-1-1796350799-6700.log");
  WorkerLogFile f;
  REQUIRE(ParseWorkerLogName("worker-wc-1-1796350799-6700.log.2", &f));
  CHECK(f.topology_id == "wc-1-1796350799");
  CHECK(f.port == 6700);
  CHECK(f.rotation == 2);
  REQUIRE(ParseWorkerLogName("worker-a-6700.log", &f));
  CHECK(f.rotation == 0);
  for (const char* bad : {"worker-.log", "worker-a.log", "worker-a-x.log", "worker-a-1.txt",
                          "worker-a-1.log.x", "other-a-1.log", "worker-../a-1.log",
                          "worker-a/b-1.log", "worker-a-1.log.", "worker-a-123456.log"}) {
    INFO(bad);
    CHECK(!ParseWorkerLogName(bad, &f));
  }
}

TEST_CASE("The log server lists and serves worker logs, and only them", "[supervisor][logs]") {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 1000; ++i) content += "line " + std::to_string(i) + "\n";
  dir.Write("worker-t-1-2-6700.log", content);
  dir.Write("worker-t-1-2-6700.log.1", "older\n");
  dir.Write("worker-t-1-2-6701.log", "other worker\n");
  dir.Write("worker-u-1-2-6700.log", "other topology\n");
  dir.Write("secret.txt", "no");

  auto list = Get(dir.path(), "/api/v1/logs?topology=t-1-2");
  CHECK(list.status == 200);
  CHECK(list.body.find("\"file\":\"worker-t-1-2-6700.log.1\",\"port\":6700,\"rotation\":1") !=
        std::string::npos);
  CHECK(list.body.find("worker-t-1-2-6701.log") != std::string::npos);
  CHECK(list.body.find("worker-u") == std::string::npos);
  // Oldest first per worker: .log.1 before .log.
  CHECK(list.body.find("6700.log.1") < list.body.find("6700.log\""));

  // The tail by default; ranges; the size and start headers.
  auto tail = Get(dir.path(), "/api/v1/log?topology=t-1-2&port=6700&length=20");
  CHECK(tail.status == 200);
  CHECK(tail.body == content.substr(content.size() - 20));
  CHECK(tail.Header("X-Log-Size") == std::to_string(content.size()));
  CHECK(tail.Header("X-Log-Start") == std::to_string(content.size() - 20));
  auto range = Get(dir.path(), "/api/v1/log?file=worker-t-1-2-6700.log&start=7&length=7");
  CHECK(range.body == "line 1\n");
  auto past = Get(dir.path(), "/api/v1/log?file=worker-t-1-2-6700.log&start=999999");
  CHECK(past.status == 200);
  CHECK(past.body.empty());
  CHECK(Get(dir.path(), "/api/v1/log?file=worker-t-1-2-6700.log.1").body == "older\n");

  // Nothing outside worker logs; bad numbers; unknown files.
  CHECK(Get(dir.path(), "/api/v1/log?file=secret.txt").status == 400);
  CHECK(Get(dir.path(), "/api/v1/log?file=../secret.txt").status == 400);
  CHECK(Get(dir.path(), "/api/v1/log?file=worker-..%2Fsecret-1.log").status == 400);
  CHECK(Get(dir.path(), "/api/v1/log?topology=t&port=x").status == 400);
  CHECK(Get(dir.path(), "/api/v1/log?file=worker-t-1-2-6700.log&start=-1").status == 400);
  CHECK(Get(dir.path(), "/api/v1/log?file=worker-t-9-9-6700.log").status == 404);
  CHECK(Get(dir.path(), "/api/v1/logs?topology=a%2Fb").status == 400);
  CHECK(Get(dir.path(), "/etc/passwd").status == 404);
}

TEST_CASE("Old logs of topologies no longer here are removed, others kept", "[supervisor][logs]") {
  TempDir dir;
  const std::string old_gone = dir.Write("worker-gone-1-1-6700.log", "x");
  const std::string old_gone_rotated = dir.Write("worker-gone-1-1-6700.log.1", "x");
  const std::string new_gone = dir.Write("worker-gone-1-1-6701.log", "x");
  const std::string old_here = dir.Write("worker-here-1-1-6700.log", "x");
  const std::string other = dir.Write("notes.txt", "x");
  const time_t two_hours_ago = ::time(nullptr) - 7200;
  struct utimbuf t {
    two_hours_ago, two_hours_ago
  };
  for (const auto& f : {old_gone, old_gone_rotated, old_here, other}) ::utime(f.c_str(), &t);

  auto removed = RemoveOldLogs(dir.path(), {"here-1-1"}, std::chrono::hours(1));
  CHECK(removed ==
        std::vector<std::string>{"worker-gone-1-1-6700.log", "worker-gone-1-1-6700.log.1"});
  namespace fs = std::filesystem;
  CHECK(!fs::exists(old_gone));
  CHECK(fs::exists(new_gone));  // written recently
  CHECK(fs::exists(old_here));  // its topology still runs here
  CHECK(fs::exists(other));     // not a worker log
}

TEST_CASE("LogToFile rotates the process's log by size and keeps max files", "[logs]") {
  TempDir dir;
  const std::string path = dir.path() + "/w.log";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (!LogToFile(path, 1000, 3).ok()) ::_exit(3);
    for (int i = 0; i < 200; ++i) WriteLogLine("line " + std::to_string(i) + " of the log\n");
    // A plugin's own stderr goes to the current file too.
    ::write(STDERR_FILENO, "raw\n", 4);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  namespace fs = std::filesystem;
  CHECK(fs::exists(path));
  CHECK(fs::exists(path + ".1"));
  CHECK(fs::exists(path + ".2"));
  CHECK(!fs::exists(path + ".3"));
  for (const auto& f : {path, path + ".1", path + ".2"}) CHECK(fs::file_size(f) < 1000 + 40);
  const std::string current = ReadFile(path);
  CHECK(current.find("line 199 of the log\n") != std::string::npos);
  CHECK(current.substr(current.size() - 4) == "raw\n");
  // Whole lines only, in order across the files.
  const std::string older = ReadFile(path + ".1");
  CHECK(older.back() == '\n');
  CHECK(older.find("line 0 of") == std::string::npos);  // rotated out long ago
}

}  // namespace
}  // namespace gale::supervisor
