#include "test/support/cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <exception>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace gale::testing {

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

Daemon::Daemon(std::vector<std::string> argv, const std::string& log) : log_(log) {
  std::vector<char*> args;
  for (auto& s : argv) args.push_back(s.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  const int rc = ::posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
}

Daemon::~Daemon() {
  if (pid_ > 0) Stop();
}

bool Daemon::Running() {
  if (pid_ <= 0) return false;
  int status;
  return ::waitpid(pid_, &status, WNOHANG) == 0;
}

void Daemon::Kill(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

int Daemon::Wait(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) {  // reaped already (Running())
      status = 0;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int Daemon::Stop(std::chrono::seconds grace) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGCONT);  // in case a test stopped it
  ::kill(pid_, SIGTERM);
  const int status = Wait(grace);
  if (pid_ <= 0) return status;
  ::kill(pid_, SIGKILL);
  int killed = 0;
  ::waitpid(pid_, &killed, 0);
  pid_ = -1;
  return WIFEXITED(killed) ? WEXITSTATUS(killed) : 128 + WTERMSIG(killed);
}

std::string Daemon::Log() const { return ReadFile(log_); }

void TestCluster::StartNimbus(size_t i) {
  std::vector<std::string> argv{BinDir() + "/gale-nimbus",
                                "--port",
                                std::to_string(nimbus_ports_.at(i)),
                                "--state-dir",
                                dir_.path() + "/" + NimbusName(i),
                                "--supervisor-timeout-secs",
                                "3",
                                "--worker-timeout-secs",
                                "5"};
  argv.insert(argv.end(), nimbus_args_.begin(), nimbus_args_.end());
  nimbus_daemons_.resize(std::max(nimbus_daemons_.size(), i + 1));
  nimbus_daemons_[i] =
      std::make_unique<Daemon>(std::move(argv), dir_.path() + "/" + NimbusName(i) + ".log");
  // It answers, through the leader when it follows.
  const std::string self = "127.0.0.1:" + std::to_string(nimbus_ports_[i]);
  if (!WaitFor(
          [&] {
            std::vector<std::string> argv{BinDir() + "/gale", "list"};
            argv.insert(argv.end(), gale_args_.begin(), gale_args_.end());
            argv.insert(argv.end(), {"--nimbus", self});
            return RunProcess(argv, std::chrono::seconds(5), {{"GALE_PLUGIN_PATH", LibDir()}})
                       .exit_code == 0;
          },
          std::chrono::seconds(30))) {
    throw std::runtime_error(NimbusName(i) + " did not come up:\n" + Logs());
  }
}

std::string TestCluster::nimbus() const {
  std::string out;
  for (int p : nimbus_ports_) out += (out.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(p));
  return out;
}

void TestCluster::LoseSupervisor(const std::string& id) {
  const auto workers = Workers();
  supervisors_.at(static_cast<size_t>(std::stoi(id.substr(3)) - 1))->Kill(SIGKILL);
  for (const auto& w : workers) {
    if (w.supervisor == id) ::kill(w.pid, SIGKILL);
  }
}

void TestCluster::RestartSupervisor(const std::string& id) {
  const size_t i = static_cast<size_t>(std::stoi(id.substr(3)) - 1);
  supervisors_.at(i)->Stop();  // reaps the killed one
  supervisors_[i] = std::make_unique<Daemon>(supervisor_argv_[i], dir_.path() + "/" + id + ".log");
}

void TestCluster::RestartNimbus(size_t i) {
  if (nimbus_daemons_.at(i)) nimbus_daemons_[i]->Stop();  // reaps the killed one
  StartNimbus(i);
}

std::vector<WorkerProcess> TestCluster::Workers() const {
  std::vector<WorkerProcess> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::string cmdline = ReadFile(entry.path().string() + "/cmdline");
    std::vector<std::string> args;
    std::string arg;
    for (char c : cmdline) {
      if (c == '\0') {
        args.push_back(arg);
        arg.clear();
      } else {
        arg.push_back(c);
      }
    }
    if (args.empty() || args[0].find("gale-worker") == std::string::npos) continue;
    WorkerProcess w{static_cast<pid_t>(std::stoi(name)), 0, ""};
    bool ours = false;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--port") w.port = std::stoi(args[i + 1]);
      if (args[i] == "--supervisor-id") w.supervisor = args[i + 1];
      if (args[i] == "--plugin-dir" && args[i + 1].rfind(dir_.path() + "/", 0) == 0) ours = true;
    }
    // A zombie (killed, not yet reaped by its supervisor) has no cmdline,
    // so it never shows here.
    if (ours) out.push_back(w);
  }
  return out;
}

TestCluster::TestCluster(int supervisors, int slots, std::vector<std::string> supervisor_args)
    : TestCluster(supervisors, slots, std::move(supervisor_args), std::vector<std::string>{},
                  std::vector<std::string>{}) {}

TestCluster::TestCluster(int supervisors, int slots, std::vector<std::string> supervisor_args,
                         std::vector<std::string> nimbus_args, std::vector<std::string> gale_args)
    : nimbus_ports_{FreePort()},
      nimbus_args_(std::move(nimbus_args)),
      gale_args_(std::move(gale_args)) {
  StartNimbus(0);
  StartSupervisors(supervisors, slots, supervisor_args);
}

TestCluster::TestCluster(int supervisors, int slots, std::vector<std::string> nimbus_args,
                         int nimbuses, const std::vector<std::string>& supervisor_args,
                         std::vector<std::string> gale_args)
    : nimbus_args_(std::move(nimbus_args)), gale_args_(std::move(gale_args)) {
  for (int i = 0; i < nimbuses; ++i) nimbus_ports_.push_back(FreePort());
  for (size_t i = 0; i < nimbus_ports_.size(); ++i) StartNimbus(i);
  StartSupervisors(supervisors, slots, supervisor_args);
}

void TestCluster::StartSupervisors(int supervisors, int slots,
                                   const std::vector<std::string>& supervisor_args) {
  for (int i = 0; i < supervisors; ++i) {
    std::string ports;
    for (int s = 0; s < slots; ++s) ports += (s ? "," : "") + std::to_string(FreePort());
    const std::string id = "sup" + std::to_string(i + 1);
    std::vector<std::string> argv{BinDir() + "/gale-supervisor",
                                  "--nimbus",
                                  nimbus(),
                                  "--ports",
                                  ports,
                                  "--id",
                                  id,
                                  "--state-dir",
                                  dir_.path() + "/" + id,
                                  "--logviewer-port",
                                  "0"};
    argv.insert(argv.end(), supervisor_args.begin(), supervisor_args.end());
    supervisor_argv_.push_back(argv);
    supervisors_.push_back(
        std::make_unique<Daemon>(std::move(argv), dir_.path() + "/" + id + ".log"));
  }
  const std::string want = std::to_string(supervisors) + " supervisor(s)";
  if (!WaitFor([&] { return Gale({"list"}).out.find(want) != std::string::npos; },
               std::chrono::seconds(15))) {
    throw std::runtime_error("supervisors did not register:\n" + Logs());
  }
}

TestCluster::~TestCluster() {
  // A failed assertion, or an exception on its way out of the test (Catch
  // counts it as a failure only once it is caught).
  if (FailedAssertions() > failures_at_start_ || std::uncaught_exceptions() > unwinding_at_start_) {
    try {
      std::cerr << Diagnosis();
    } catch (const std::exception& e) {  // the daemons must still be stopped
      std::cerr << "(no diagnosis of the cluster: " << e.what() << ")\n";
    }
  }
  for (auto& s : supervisors_) s->Stop();
  for (auto& n : nimbus_daemons_) {
    if (n) n->Stop();
  }
}

ProcessResult TestCluster::Gale(std::vector<std::string> args, std::chrono::seconds timeout) {
  std::vector<std::string> argv{BinDir() + "/gale"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!args.empty() && args[0] != "validate" && args[0] != "local") {
    argv.insert(argv.begin() + 2, gale_args_.begin(), gale_args_.end());
  }
  if (args.empty() || (args[0] != "validate" && args[0] != "local")) {
    argv.push_back("--nimbus");
    argv.push_back(nimbus());
  }
  return RunProcess(argv, timeout, {{"GALE_PLUGIN_PATH", LibDir()}});
}

std::string TestCluster::Logs() const {
  std::string out;
  for (size_t i = 0; i < nimbus_ports_.size(); ++i) {
    out += "--- " + NimbusName(i) + ".log\n" + ReadFile(dir_.path() + "/" + NimbusName(i) + ".log");
  }
  for (size_t i = 0; i < supervisors_.size(); ++i) {
    const std::string id = "sup" + std::to_string(i + 1);
    out += "--- " + id + ".log\n" + ReadFile(dir_.path() + "/" + id + ".log");
  }
  return out;
}

std::string TestCluster::Diagnosis() {
  constexpr auto kWait = std::chrono::seconds(10);
  std::string out = "=== the cluster when the test failed\n";
  const ProcessResult list = Gale({"list"}, kWait);
  out += "--- gale list\n" + list.out + list.err;
  // Each topology: the lines between the header and the first blank line
  // end with its id, "<name>-<n>-<secs>" (a long name runs into the next
  // column).
  std::istringstream lines(list.out);
  std::string line;
  std::getline(lines, line);
  while (list.exit_code == 0 && std::getline(lines, line) && !line.empty() && line[0] != '(') {
    std::string name = line.substr(line.rfind(' ') + 1);
    for (int dash = 0; dash < 2 && name.rfind('-') != std::string::npos; ++dash) {
      name.resize(name.rfind('-'));
    }
    const ProcessResult info = Gale({"info", name}, kWait);
    out += "--- gale info " + name + "\n" + info.out + info.err;
  }
  out += Logs();
  constexpr size_t kTail = 16 * 1024;
  for (const std::string& path : WorkerLogFiles()) {
    const std::string log = ReadFile(path);
    out += "--- " + path;
    out += log.size() > kTail ? " (its last " + std::to_string(kTail) + " bytes)\n" +
                                    log.substr(log.size() - kTail)
                              : "\n" + log;
  }
  return out + "=== end of the cluster\n";
}

std::vector<std::string> TestCluster::WorkerLogFiles() const {
  std::vector<std::string> out;
  std::error_code ec;  // a folder removed while it is read ends the walk, never throws
  for (std::filesystem::recursive_directory_iterator it(dir_.path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().filename().string().rfind("worker-", 0) == 0) out.push_back(it->path().string());
  }
  return out;
}

std::string TestCluster::WorkerLogs() const {
  std::string out;
  for (const std::string& path : WorkerLogFiles()) out += ReadFile(path);
  return out;
}

}  // namespace gale::testing
