#include "connectors/files/offsets_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gale::connectors::files {
namespace {

constexpr std::string_view kHeader = "# gale FileSpout offsets v1";

bool ParseNumber(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string SystemError(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

// Writes all of `data` to `fd`, retrying short writes.
bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string FormatOffsets(const Offsets& offsets) {
  std::ostringstream out;
  out << kHeader << "\n";
  for (const auto& [name, o] : offsets) out << o.committed << " " << o.inode << " " << name << "\n";
  return out.str();
}

bool ParseOffsets(const std::string& text, const std::string& where, Offsets* out,
                  std::string* error) {
  out->clear();
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const auto at = where + ":" + std::to_string(number) + ": ";
    const size_t a = line.find(' ');
    const size_t b = a == std::string::npos ? a : line.find(' ', a + 1);
    FileOffset o;
    if (b == std::string::npos || b + 1 >= line.size() ||
        !ParseNumber(std::string_view(line).substr(0, a), &o.committed) ||
        !ParseNumber(std::string_view(line).substr(a + 1, b - a - 1), &o.inode)) {
      *error = at + "expected '<offset> <inode> <file name>', got '" + line + "'";
      return false;
    }
    if (!out->emplace(line.substr(b + 1), o).second) {
      *error = at + "file '" + line.substr(b + 1) + "' is listed twice";
      return false;
    }
  }
  return true;
}

bool ReadOffsets(const std::string& path, Offsets* out, std::string* error) {
  out->clear();
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return true;
    *error = SystemError("cannot read offsets file", path);
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseOffsets(text.str(), path, out, error);
}

bool WriteOffsets(const std::string& path, const Offsets& offsets, std::string* error) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = SystemError("cannot create offsets file", tmp);
    return false;
  }
  if (!WriteAll(fd, FormatOffsets(offsets)) || ::fsync(fd) != 0) {
    *error = SystemError("cannot write offsets file", tmp);
    ::close(fd);
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = SystemError("cannot rename offsets file to", path);
    return false;
  }
  // The rename is durable only once the directory is.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace gale::connectors::files
