// FileSink: appends one line per input to rotating files, fsyncs each batch
// and acks its inputs only after the fsync. See connectors/files/README.md.
#include "connectors/common/backoff.h"
#include "connectors/common/ticks.h"

#include <gale/gale.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace gale::connectors::files {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// The highest sequence number among "<prefix>.<n><suffix>" in `dir`; 0 if none.
uint64_t LastSequence(const std::string& dir, const std::string& prefix,
                      const std::string& suffix) {
  uint64_t last = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() + 1 + suffix.size() || name.rfind(prefix + ".", 0) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string digits =
        name.substr(prefix.size() + 1, name.size() - prefix.size() - 1 - suffix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    last = std::max<uint64_t>(last, std::stoull(digits));
  }
  return last;
}

}  // namespace

class FileSink : public gale::Bolt {
 public:
  // Ticks, so that a partial batch is written once it is filesink.batch.ms (200) old
  // even when no input comes (a topology.tick.tuple.freq.secs in the
  // topology file wins).
  gale::Config ComponentConfiguration() const override { return connectors::TicksEvery(0.1); }
  void Prepare(const gale::TopologyContext& context, gale::OutputCollector& collector) override {
    collector_ = &collector;
    logger_ = &context.logger();
    const gale::Config& c = context.config();
    Configure(c);
    prefix_ = c.GetString("filesink.prefix",
                          context.component_id() + "-" + std::to_string(context.task_id()));
    connectors::WarnWithoutTicks(c, *logger_,
                                 "a partial batch is written only when the next input comes");
    written_ = context.RegisterCounter("filesink.lines");
    syncs_ = context.RegisterCounter("filesink.fsyncs");
  }

  void Execute(const gale::Tuple& input) override {
    const auto now = Clock::now();
    if (input.IsTick()) {
      if (!batch_.empty() && now - batch_start_ >= batch_age_) Flush(now);
      return;
    }
    if (batch_.empty()) batch_start_ = now;
    AppendLine(input);
    batch_.push_back(input);
    if (batch_.size() >= batch_size_ || now - batch_start_ >= batch_age_) Flush(now);
  }

  void Cleanup() override {
    if (!batch_.empty()) Flush(Clock::now());
    CloseFile();
  }

  // Checks the config: gale validate, submit and local refuse a bad one.
  void DeclareOutputFields(gale::OutputDeclarer& declarer) const override {
    FileSink().Configure(declarer.config());
  }

 private:
  // Reads the settings; throws std::invalid_argument on a missing or bad one.
  void Configure(const gale::Config& c) {
    dir_ = c.GetString("filesink.dir", "");
    if (dir_.empty()) throw std::invalid_argument("FileSink: filesink.dir is not set");
    suffix_ = c.GetString("filesink.suffix", ".txt");
    field_ = c.GetString("filesink.field", "");
    const int64_t rotate = c.GetInt("filesink.rotate.bytes", 128LL << 20);
    const int64_t batch = c.GetInt("filesink.batch.size", 1000);
    batch_age_ = std::chrono::milliseconds(c.GetInt("filesink.batch.ms", 200));
    if (batch <= 0 || rotate <= 0) {
      throw std::invalid_argument(
          "FileSink: filesink.batch.size and filesink.rotate.bytes must be > 0");
    }
    rotate_bytes_ = static_cast<uint64_t>(rotate);
    batch_size_ = static_cast<size_t>(batch);
  }

  void AppendLine(const gale::Tuple& input) {
    if (!field_.empty()) {
      const gale::Value& v = input.Get(field_);
      buffer_ += v.type() == gale::ValueType::kString ? v.AsString() : v.ToString();
    } else {
      for (size_t i = 0; i < input.size(); ++i) {
        if (i) buffer_ += '\t';
        const gale::Value& v = input.Get(i);
        buffer_ += v.type() == gale::ValueType::kString ? v.AsString() : v.ToString();
      }
    }
    buffer_ += '\n';
  }

  void Flush(Clock::time_point now) {
    std::string error;
    if (!backoff_.Ready(now)) {
      error = "waiting to retry";
    } else if (fd_ < 0 && !OpenNext(&error)) {
      backoff_.Failed(now);
    } else if (!WriteAndSync(&error)) {
      backoff_.Failed(now);
      CloseFile();  // the next batch starts a new file: no torn line to append to
    } else {
      backoff_.Succeeded();
      for (const auto& t : batch_) collector_->Ack(t);
      written_.Inc(static_cast<int64_t>(batch_.size()));
      syncs_.Inc();
      if (size_ >= rotate_bytes_) CloseFile();
      batch_.clear();
      buffer_.clear();
      return;
    }
    if (error != "waiting to retry") {
      logger_->Error(error);
      collector_->ReportError(error);
    }
    for (const auto& t : batch_) collector_->Fail(t);
    batch_.clear();
    buffer_.clear();
  }

  bool OpenNext(std::string* error) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    const uint64_t seq = LastSequence(dir_, prefix_, suffix_) + 1;
    char digits[32];
    std::snprintf(digits, sizeof digits, "%06llu", static_cast<unsigned long long>(seq));
    path_ = dir_ + "/" + prefix_ + "." + digits + suffix_;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      *error = "FileSink: cannot create " + path_ + ": " + std::strerror(errno);
      return false;
    }
    size_ = 0;
    // The new name is durable once the directory is.
    const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return true;
  }

  bool WriteAndSync(std::string* error) {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        *error = "FileSink: cannot write " + path_ + ": " + std::strerror(errno);
        return false;
      }
      done += static_cast<size_t>(n);
    }
    size_ += buffer_.size();
    if (::fdatasync(fd_) != 0) {
      *error = "FileSink: cannot fsync " + path_ + ": " + std::strerror(errno);
      return false;
    }
    return true;
  }

  void CloseFile() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  gale::OutputCollector* collector_ = nullptr;
  const gale::Logger* logger_ = nullptr;
  gale::Counter written_, syncs_;

  std::string dir_, prefix_, suffix_, field_;
  uint64_t rotate_bytes_ = 0;
  size_t batch_size_ = 0;
  std::chrono::milliseconds batch_age_{0};

  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
  std::vector<gale::Tuple> batch_;  // copies, acked or failed after the write
  std::string buffer_;              // their lines
  Clock::time_point batch_start_{};
  Backoff backoff_;
};

GALE_REGISTER_BOLT(FileSink);

}  // namespace gale::connectors::files
