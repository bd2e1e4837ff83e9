#include "core/multilang/resources.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace gale::multilang {

namespace fs = std::filesystem;

namespace {

// Runs `argv`; its stderr goes to `err_file`. Returns the error text on failure.
Status Run(const std::vector<std::string>& argv, const std::string& what) {
  const std::string err_file = fs::temp_directory_path().string() + "/gale-tar-" +
                               std::to_string(::getpid()) + "-" +
                               std::to_string(reinterpret_cast<uintptr_t>(&argv)) + ".err";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    std::error_code ec;
    fs::remove(err_file, ec);
    return Status::Internal(what + ": cannot run tar: " + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  std::ifstream in(err_file);
  std::stringstream text;
  text << in.rdbuf();
  std::error_code ec;
  fs::remove(err_file, ec);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  std::string msg = text.str();
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  return Status::Internal(what + ": tar failed" + (msg.empty() ? "" : ": " + msg));
}

}  // namespace

Status PackResources(const std::string& dir, const std::string& tar_path) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound("resources folder '" + dir + "' not found");
  }
  return Run({"tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
              "--dereference", "--exclude=__pycache__", "--exclude=*.pyc", "-C", dir, "-cf",
              tar_path, "."},
             "packing resources folder '" + dir + "'");
}

Status UnpackResources(const std::string& tar_path, const std::string& dest) {
  std::error_code ec;
  if (fs::is_directory(dest, ec)) return Status::Ok();
  const std::string tmp = dest + ".tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::Internal("cannot create '" + tmp + "': " + ec.message());
  Status s = Run({"tar", "--no-same-owner", "-C", tmp, "-xf", tar_path},
                 "unpacking resources '" + tar_path + "'");
  if (!s.ok()) {
    fs::remove_all(tmp, ec);
    return s;
  }
  fs::rename(tmp, dest, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    if (fs::is_directory(dest)) return Status::Ok();  // another worker was first
    return Status::Internal("cannot rename '" + tmp + "' to '" + dest + "'");
  }
  return Status::Ok();
}

}  // namespace gale::multilang
