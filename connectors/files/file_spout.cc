// FileSpout: tails the files of a directory that match a glob, one tuple
// per line, and records in an offsets file how far each file's lines are
// acked. See connectors/files/README.md for the config keys and guarantees.
#include "connectors/common/backoff.h"
#include "connectors/files/line_offsets.h"
#include "connectors/files/offsets_file.h"

#include <gale/gale.h>

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace gale::connectors::files {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxQueuedLines = 1024;  // lines read ahead of the emits, all files together

std::string Errno() { return std::strerror(errno); }

// One watched file, keyed by its inode so that a rename (log rotation)
// keeps its place.
struct File {
  uint64_t id = 0;  // unique in this run: acks of a replaced file's lines are ignored
  uint64_t inode = 0;
  std::string name;
  LineOffsets offsets;
  uint64_t size = 0;          // at the last scan
  uint64_t read_pos = 0;      // bytes taken into memory: emitted, queued, or in `partial`
  std::string partial;        // bytes after the last newline read
  Clock::time_point changed;  // when size last changed
  bool seen = true;           // found by the last scan
};

struct Line {
  uint64_t file_id;
  uint64_t begin, end;
  std::string text;
  std::string file_name;
};

}  // namespace

class FileSpout : public gale::Spout {
 public:
  void Open(const gale::TopologyContext& context, gale::SpoutOutputCollector& collector) override {
    collector_ = &collector;
    logger_ = &context.logger();
    const gale::Config& c = context.config();
    Configure(c);
    tasks_ = context.component_tasks().size();
    task_index_ = static_cast<size_t>(context.task_index());
    const std::string offsets_dir = c.GetString("filespout.offsets.dir", dir_);
    offsets_path_ = offsets_dir + "/.gale-offsets-" + context.component_id() + "-" +
                    std::to_string(task_index_);
    lines_counter_ = context.RegisterCounter("filespout.lines");
    logger_->Info("watching ", dir_, "/", glob_, ", offsets in ", offsets_path_,
                  done_dir_.empty() ? "" : ", finished files moved to " + done_dir_);
    next_emit_ = Clock::now();
  }

  void NextTuple() override {
    const auto now = Clock::now();
    if (!loaded_ && !LoadOffsets(now)) return;
    if (now >= next_scan_) {
      Scan(now);
      next_scan_ = now + poll_;
    }
    MaybeCommit(now, false);
    if (interval_.count() > 0) {
      if (now < next_emit_) return;
      next_emit_ += interval_;
      if (next_emit_ < now - std::chrono::seconds(1)) next_emit_ = now;
    }
    if (!replay_.empty()) {
      const uint64_t id = replay_.front();
      replay_.pop_front();
      auto it = pending_.find(id);
      if (it != pending_.end()) Emit(id, it->second);
      return;
    }
    if (queue_.empty()) ReadMore();
    if (queue_.empty()) return;
    Line line = std::move(queue_.front());
    queue_.pop_front();
    auto f = files_.find(line.file_id);
    if (f == files_.end() || !f->second.offsets.Emitted(line.begin, line.end)) return;
    const uint64_t id = next_id_++;
    auto [it, _] = pending_.emplace(id, std::move(line));
    Emit(id, it->second);
  }

  void Ack(gale::MessageId id) override {
    auto it = pending_.find(id.value);
    if (it == pending_.end()) return;
    auto f = files_.find(it->second.file_id);
    if (f != files_.end()) {
      const uint64_t before = f->second.offsets.committed();
      f->second.offsets.Acked(it->second.begin);
      if (f->second.offsets.committed() != before) dirty_ = true;
    }
    pending_.erase(it);
  }

  void Fail(gale::MessageId id) override {
    if (pending_.count(id.value)) replay_.push_back(id.value);
  }

  void Close() override { MaybeCommit(Clock::now(), true); }

  bool IsExhausted() const override {
    if (!exhaust_ || !scanned_ || dirty_ || !queue_.empty() || !replay_.empty() ||
        !pending_.empty()) {
      return false;
    }
    for (const auto& [id, f] : files_) {
      if (f.read_pos < f.size || !f.partial.empty()) return false;
      if (!done_dir_.empty()) return false;  // not yet moved
    }
    return true;
  }

  // Also checks the config (a throw here makes gale validate, submit and
  // local refuse the topology, so a bad key never reaches a worker).
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    FileSpout().Configure(declarer.config());
    declarer.Declare({"line", "file", "offset"});
  }

 private:
  // Reads the settings; throws std::invalid_argument on a missing or bad one.
  void Configure(const gale::Config& c) {
    dir_ = c.GetString("filespout.dir", "");
    if (dir_.empty()) throw std::invalid_argument("FileSpout: filespout.dir is not set");
    glob_ = c.GetString("filespout.glob", "*");
    done_dir_ = c.GetString("filespout.done.dir", "");
    done_idle_ = std::chrono::milliseconds(
        static_cast<int64_t>(c.GetDouble("filespout.done.idle.secs", 10) * 1000));
    poll_ = std::chrono::milliseconds(c.GetInt("filespout.poll.ms", 500));
    commit_every_ = std::chrono::milliseconds(c.GetInt("filespout.commit.ms", 200));
    exhaust_ = c.GetBool("filespout.exhaust", false);
    const int64_t max_line = c.GetInt("filespout.max.line.bytes", 1 << 20);
    const double rate = c.GetDouble("filespout.per.second", 0);
    interval_ = rate > 0 ? std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate))
                         : std::chrono::nanoseconds(0);
    if (poll_.count() <= 0 || commit_every_.count() < 0 || max_line <= 0) {
      throw std::invalid_argument(
          "FileSpout: filespout.poll.ms and filespout.max.line.bytes must be > 0, "
          "filespout.commit.ms >= 0");
    }
    max_line_ = static_cast<size_t>(max_line);
  }

  void Emit(uint64_t id, const Line& line) {
    collector_->Emit({line.text, line.file_name, static_cast<int64_t>(line.begin)},
                     gale::MessageId{id});
    lines_counter_.Inc();
  }

  void Report(const std::string& message) {
    logger_->Error(message);
    collector_->ReportError(message);
  }

  bool LoadOffsets(Clock::time_point now) {
    if (!load_backoff_.Ready(now)) return false;
    std::string error;
    if (!ReadOffsets(offsets_path_, &stored_, &error)) {
      const auto delay = load_backoff_.Failed(now);
      Report("FileSpout " + error + " (retrying in " + std::to_string(delay.count()) + " ms)");
      return false;
    }
    load_backoff_.Succeeded();
    loaded_ = true;
    logger_->Info("offsets of ", stored_.size(), " files loaded from ", offsets_path_);
    return true;
  }

  // The files of the directory this task reads, by inode.
  bool ListDir(std::map<uint64_t, std::pair<std::string, uint64_t>>* found) {
    std::error_code ec;
    fs::directory_iterator it(dir_, ec);
    if (ec) {
      if (!dir_error_)
        Report("FileSpout: cannot list filespout.dir '" + dir_ + "': " + ec.message());
      dir_error_ = true;
      return false;
    }
    dir_error_ = false;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.' || name.find('\n') != std::string::npos) continue;
      if (::fnmatch(glob_.c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
      struct stat st;
      if (::stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      const uint64_t inode = static_cast<uint64_t>(st.st_ino);
      // By inode, not name: a renamed file stays with its task.
      if (inode % tasks_ != task_index_) continue;
      (*found)[inode] = {name, static_cast<uint64_t>(st.st_size)};
    }
    return true;
  }

  void Scan(Clock::time_point now) {
    std::map<uint64_t, std::pair<std::string, uint64_t>> found;
    if (!ListDir(&found)) return;
    std::unordered_map<uint64_t, uint64_t> by_inode;  // inode -> file id
    for (auto& [id, f] : files_) {
      f.seen = false;
      by_inode[f.inode] = id;
    }
    for (const auto& [inode, entry] : found) {
      const auto& [name, size] = entry;
      auto known = by_inode.find(inode);
      if (known != by_inode.end()) {
        File& f = files_[known->second];
        f.seen = true;
        if (f.name != name) {
          logger_->Info("file ", f.name, " was renamed to ", name);
          f.name = name;
          dirty_ = true;
        }
        if (size < f.read_pos) {
          Report("FileSpout: " + dir_ + "/" + name + " shrank from " + std::to_string(f.read_pos) +
                 " to " + std::to_string(size) +
                 " bytes (truncated): reading it again from the start");
          Forget(known->second);
          AddFile(inode, name, size, 0, now);
          continue;
        }
        if (size != f.size) {
          f.size = size;
          f.changed = now;
        }
        continue;
      }
      uint64_t start = 0;
      for (const auto& [stored_name, o] : stored_) {
        if (o.inode == inode) start = o.committed;
      }
      if (start > size) {
        Report("FileSpout: " + dir_ + "/" + name + " is shorter (" + std::to_string(size) +
               " bytes) than its committed offset " + std::to_string(start) +
               ": reading it from the start");
        start = 0;
      }
      AddFile(inode, name, size, start, now);
    }
    // Files that went away (deleted, or renamed out of the glob) are dropped
    // once none of their lines is in flight.
    std::vector<uint64_t> gone;
    for (auto& [id, f] : files_) {
      if (!f.seen && f.offsets.idle()) gone.push_back(id);
    }
    for (uint64_t id : gone) Forget(id);
    if (!scanned_) dirty_ = true;  // drops entries of files that are gone
    scanned_ = true;
    MoveFinished(now);
  }

  void AddFile(uint64_t inode, const std::string& name, uint64_t size, uint64_t start,
               Clock::time_point now) {
    File f;
    f.id = next_file_id_++;
    f.inode = inode;
    f.name = name;
    f.offsets = LineOffsets(start);
    f.size = size;
    f.read_pos = start;
    f.changed = now;
    files_.emplace(f.id, std::move(f));
    dirty_ = true;
  }

  void Forget(uint64_t id) {
    files_.erase(id);
    std::erase_if(queue_, [&](const Line& l) { return l.file_id == id; });
    dirty_ = true;
  }

  // Whether the file counts as complete: its unterminated last line may be
  // emitted and (with a done folder) it may be moved.
  bool Finished(const File& f, Clock::time_point now) const {
    if (f.read_pos < f.size) return false;
    if (exhaust_) return true;
    return !done_dir_.empty() && now - f.changed >= done_idle_;
  }

  // Reads a chunk of the first file (in name order) with unread bytes.
  void ReadMore() {
    if (queue_.size() >= kMaxQueuedLines) return;
    const auto now = Clock::now();
    std::vector<File*> order;
    for (auto& [id, f] : files_) order.push_back(&f);
    std::sort(order.begin(), order.end(),
              [](const File* a, const File* b) { return a->name < b->name; });
    for (File* f : order) {
      if (f->read_pos < f->size) {
        ReadChunk(*f);
        if (!queue_.empty()) return;
      } else if (!f->partial.empty() && Finished(*f, now)) {
        QueuePartial(*f);
        return;
      }
    }
  }

  void ReadChunk(File& f) {
    const std::string path = dir_ + "/" + f.name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      Report("FileSpout: cannot open " + path + ": " + Errno());
      f.size = f.read_pos;  // until the next scan
      return;
    }
    std::string buf(kReadChunk, '\0');
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(f.read_pos));
    const int saved = errno;
    ::close(fd);
    if (n < 0) {
      errno = saved;
      Report("FileSpout: cannot read " + path + ": " + Errno());
      f.size = f.read_pos;
      return;
    }
    if (n == 0) {
      f.size = f.read_pos;
      return;
    }
    buf.resize(static_cast<size_t>(n));
    const uint64_t chunk_start = f.read_pos;
    f.read_pos += static_cast<uint64_t>(n);
    if (f.read_pos > f.size) {  // it grew since the last scan
      f.size = f.read_pos;
      f.changed = Clock::now();
    }
    size_t from = 0;
    while (true) {
      const size_t nl = buf.find('\n', from);
      if (nl == std::string::npos) break;
      std::string text = std::move(f.partial);
      f.partial.clear();
      text.append(buf, from, nl - from);
      const uint64_t end = chunk_start + nl + 1;
      const uint64_t begin = end - text.size() - 1;
      QueueLine(f, begin, end, std::move(text));
      from = nl + 1;
    }
    f.partial.append(buf, from, std::string::npos);
    if (f.partial.size() >= max_line_) {
      QueuePartial(f);  // too long to hold: a line of its own, the rest follows
    }
  }

  // The bytes after the last newline, as a line.
  void QueuePartial(File& f) {
    const uint64_t begin = f.read_pos - f.partial.size();
    std::string text = std::move(f.partial);
    f.partial.clear();
    QueueLine(f, begin, f.read_pos, std::move(text));
  }

  void QueueLine(File& f, uint64_t begin, uint64_t end, std::string text) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    queue_.push_back(Line{f.id, begin, end, std::move(text), f.name});
  }

  void MoveFinished(Clock::time_point now) {
    if (done_dir_.empty()) return;
    std::vector<uint64_t> done;
    for (auto& [id, f] : files_) {
      if (f.seen && f.partial.empty() && f.offsets.idle() && f.offsets.committed() == f.size &&
          Finished(f, now) && std::none_of(queue_.begin(), queue_.end(), [&](const Line& l) {
            return l.file_id == id;
          })) {
        done.push_back(id);
      }
    }
    for (uint64_t id : done) {
      const File& f = files_[id];
      std::error_code ec;
      fs::create_directories(done_dir_, ec);
      std::string target = done_dir_ + "/" + f.name;
      for (int n = 1; fs::exists(target); ++n)
        target = done_dir_ + "/" + f.name + "." + std::to_string(n);
      const std::string from = dir_ + "/" + f.name;
      if (::rename(from.c_str(), target.c_str()) != 0) {
        Report("FileSpout: cannot move " + from + " to " + target + ": " + Errno());
        continue;
      }
      logger_->Info("finished ", from, ": moved to ", target);
      Forget(id);
    }
  }

  void MaybeCommit(Clock::time_point now, bool force) {
    if (!dirty_ || !loaded_ || !scanned_) return;
    if (!force && (now - last_commit_ < commit_every_ || !commit_backoff_.Ready(now))) return;
    Offsets out;
    for (const auto& [id, f] : files_) out[f.name] = {f.inode, f.offsets.committed()};
    std::string error;
    if (!WriteOffsets(offsets_path_, out, &error)) {
      const auto delay = commit_backoff_.Failed(now);
      Report("FileSpout " + error + " (retrying in " + std::to_string(delay.count()) + " ms)");
      return;
    }
    commit_backoff_.Succeeded();
    stored_ = std::move(out);
    dirty_ = false;
    last_commit_ = now;
  }

  gale::SpoutOutputCollector* collector_ = nullptr;
  const gale::Logger* logger_ = nullptr;
  gale::Counter lines_counter_;

  // Settings.
  std::string dir_, glob_, done_dir_, offsets_path_;
  std::chrono::milliseconds done_idle_{0}, poll_{0}, commit_every_{0};
  bool exhaust_ = false;
  size_t max_line_ = 0;
  size_t tasks_ = 1, task_index_ = 0;
  std::chrono::nanoseconds interval_{0};

  // State.
  bool loaded_ = false, scanned_ = false, dirty_ = false, dir_error_ = false;
  Offsets stored_;                  // as last read or written
  std::map<uint64_t, File> files_;  // by file id
  uint64_t next_file_id_ = 1;
  std::deque<Line> queue_;                      // read, not yet emitted
  std::unordered_map<uint64_t, Line> pending_;  // message id -> line in flight
  std::deque<uint64_t> replay_;                 // failed message ids, emitted again first
  uint64_t next_id_ = 1;
  Clock::time_point next_scan_{}, last_commit_{}, next_emit_{};
  Backoff load_backoff_, commit_backoff_;
};

GALE_REGISTER_SPOUT(FileSpout);

}  // namespace gale::connectors::files
