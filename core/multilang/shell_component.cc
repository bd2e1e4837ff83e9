#include "core/multilang/shell_component.h"

#include "core/common/logging.h"
#include "core/multilang/codec.h"
#include "core/multilang/shell_process.h"
#include "core/runtime/polled.h"

#include <gale/bolt.h>
#include <gale/spout.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unordered_map>

namespace gale::multilang {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

bool IsShellSpoutClass(std::string_view c) { return c == kShellSpout || c == kFluxShellSpout; }
bool IsShellClass(std::string_view c) {
  return IsShellSpoutClass(c) || c == kShellBolt || c == kFluxShellBolt;
}

std::string EncodeCommand(const std::vector<std::string>& argv) {
  Node n = Node::List();
  for (const auto& a : argv) n.list.push_back(Node::Str(a));
  return ToJson(n);
}

std::string EncodeOutputFields(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& streams) {
  Node n = Node::Map();
  for (const auto& [stream, fields] : streams) {
    Node f = Node::List();
    for (const auto& x : fields) f.list.push_back(Node::Str(x));
    n.Add(stream, std::move(f));
  }
  return ToJson(n);
}

Result<std::vector<std::string>> CommandOf(const Config& config) {
  const std::string text = config.GetString(kCommandKey, "");
  if (text.empty()) {
    return Status::InvalidArgument(
        "a shell component needs a command (`command: [python3, x.py]`)");
  }
  auto n = ParseJson(text);
  if (!n.ok() || !n->is_list() || n->list.empty()) {
    return Status::InvalidArgument(std::string(kCommandKey) +
                                   " must be a non-empty JSON list of strings, got " + text);
  }
  std::vector<std::string> out;
  for (const auto& a : n->list) {
    if (!a.is_string()) {
      return Status::InvalidArgument(std::string(kCommandKey) +
                                     " must be a JSON list of strings, got " + text);
    }
    out.push_back(a.s);
  }
  return out;
}

Result<std::vector<std::string>> StringListOf(const Config& config, std::string_view key) {
  std::vector<std::string> out;
  const std::string text = config.GetString(key, "");
  if (text.empty()) return out;
  auto n = ParseJson(text);
  if (!n.ok() || !n->is_list()) {
    return Status::InvalidArgument(std::string(key) + " must be a JSON list of strings, got " +
                                   text);
  }
  for (const auto& x : n->list) {
    if (!x.is_string()) {
      return Status::InvalidArgument(std::string(key) + " must be a JSON list of strings, got " +
                                     text);
    }
    out.push_back(x.s);
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::vector<std::string>>>> OutputFieldsOf(
    const Config& config) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  const std::string text = config.GetString(kOutputFieldsKey, "");
  if (text.empty()) return out;
  auto n = ParseJson(text);
  if (!n.ok() || !n->is_map()) {
    return Status::InvalidArgument(std::string(kOutputFieldsKey) +
                                   " must be a JSON map of stream to fields, got " + text);
  }
  for (const auto& [stream, fields] : n->map) {
    std::vector<std::string> f;
    if (!fields.is_list()) {
      return Status::InvalidArgument(std::string(kOutputFieldsKey) + ": stream '" + stream +
                                     "' must map to a list of field names");
    }
    for (const auto& x : fields.list) {
      if (!x.is_string()) {
        return Status::InvalidArgument(std::string(kOutputFieldsKey) + ": stream '" + stream +
                                       "' must map to a list of field names");
      }
      f.push_back(x.s);
    }
    out.emplace_back(stream, std::move(f));
  }
  return out;
}

namespace {

bool Executable(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

bool LooksLikeScript(const std::string& arg) {
  if (arg.empty() || arg[0] == '-') return false;
  if (arg.find('/') != std::string::npos) return true;
  for (const char* ext : {".py", ".js", ".mjs", ".rb", ".pl", ".sh", ".php", ".lua", ".R"}) {
    const std::string e(ext);
    if (arg.size() > e.size() && arg.compare(arg.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

}  // namespace

std::string DefaultResourcesDir(const std::string& yaml_file) {
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(yaml_file), ec).parent_path();
  if (fs::is_directory(dir / "resources", ec)) dir /= "resources";
  return dir.lexically_normal().string();
}

std::vector<std::string> CheckCommand(const std::vector<std::string>& argv,
                                      const std::string& dir) {
  std::vector<std::string> out;
  if (argv.empty()) return {"the command is empty"};
  const std::string& prog = argv[0];
  if (prog.find('/') != std::string::npos) {
    const fs::path p = fs::path(prog).is_absolute() ? fs::path(prog) : fs::path(dir) / prog;
    if (!fs::exists(p)) {
      out.push_back("program '" + prog + "' not found (looked for " + p.string() + ")");
    } else if (!Executable(p)) {
      out.push_back("program '" + prog + "' is not an executable file (" + p.string() + ")");
    }
  } else {
    const char* path = std::getenv("PATH");
    std::string rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
    bool found = false;
    size_t start = 0;
    while (!found && start <= rest.size()) {
      size_t colon = rest.find(':', start);
      if (colon == std::string::npos) colon = rest.size();
      const std::string d = rest.substr(start, colon - start);
      if (Executable(fs::path(d.empty() ? "." : d) / prog)) found = true;
      start = colon + 1;
    }
    if (!found) out.push_back("program '" + prog + "' not found on PATH (" + rest + ")");
  }
  for (size_t i = 1; i < argv.size(); ++i) {
    if (!LooksLikeScript(argv[i])) continue;
    const fs::path p =
        fs::path(argv[i]).is_absolute() ? fs::path(argv[i]) : fs::path(dir) / argv[i];
    if (!fs::exists(p)) out.push_back("script '" + argv[i] + "' not found in " + dir);
  }
  return out;
}

namespace {

// The message's "command" member.
std::string_view CommandName(const Node& m) {
  const Node* c = m.Find("command");
  return c && c->is_string() ? std::string_view(c->s) : std::string_view();
}

std::string IdKey(const Node& id) {
  if (id.is_string()) return id.s;
  return ToJson(id);
}

Values ToValues(const Node& tuple) {
  Values v;
  for (const auto& x : tuple.list) v.push_back(ToValue(x));
  return v;
}

Node TaskIdsNode(TaskIds ids) {
  Node n = Node::List();
  n.list.reserve(ids.size());
  for (int32_t t : ids) n.list.push_back(Node::Int(t));
  return n;
}

// What a bolt and a spout share: the subprocess, its handshake, its death
// and restart, and the messages both sides may send (log, error, metrics).
class ShellRunner {
 public:
  explicit ShellRunner(bool spout) : spout_(spout) {}
  virtual ~ShellRunner() { Stop(); }

 protected:
  const char* noun() const { return spout_ ? "shell spout" : "shell bolt"; }

  // Reads the config, starts the subprocess. Throws on failure (so Open or
  // Prepare fails: the command cannot run at all).
  void Init(const TopologyContext& context) {
    context_ = &context;
    const Config& config = context.config();
    tag_ = context.component_id() + ":" + std::to_string(context.task_id());
    auto argv = CommandOf(config);
    if (!argv.ok()) throw std::invalid_argument(argv.status().message());
    command_.argv = *argv;
    command_.cwd = config.GetString(kResourcesDirKey, "");
    command_.tag = tag_;
    const std::string ser = config.GetString(kSerializerKey, "json");
    if (!ParseSerializer(ser, &command_.serializer)) {
      throw std::invalid_argument(std::string(kSerializerKey) + " must be json or msgpack, got '" +
                                  ser + "'");
    }
    const double secs = config.Contains(kSubprocessTimeoutKey)
                            ? config.GetDouble(kSubprocessTimeoutKey, 30)
                            : config.GetDouble(kWorkerTimeoutKey, 30);
    timeout_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(secs));
    heartbeat_ = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(config.GetDouble(kHeartbeatKey, 1.0)));
    Status s = Launch();
    if (!s.ok()) throw std::runtime_error(s.message());
  }

  // Spawn + handshake. On failure the process is gone and the status says why.
  Status Launch() {
    std::string cmdline;
    for (const auto& a : command_.argv) cmdline += (cmdline.empty() ? "" : " ") + a;
    cmdline_ = cmdline;
    auto p = ShellProcess::Start(command_);
    if (!p.ok()) {
      // Not even spawned: reported, and tried again after the backoff.
      backoff_ =
          std::max<Clock::duration>(std::min(backoff_ * 2, kMaxBackoff), std::chrono::seconds(1));
      restart_at_ = Clock::now() + backoff_;
      const std::string msg = Where() + ": " + p.status().message();
      if (reporter_) reporter_(msg + "; trying again in " + Secs(backoff_));
      return Status(p.status().code(), msg);
    }
    proc_ = std::move(*p);
    if (waker_) proc_->SetWaker(waker_);
    started_ = Clock::now();
    // pidDir: a folder of our own, where it leaves a file named by its pid.
    char tmpl[] = "/tmp/gale-multilang-XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    pid_dir_ = dir ? dir : "/tmp";
    Node hello = Node::Map();
    Node conf = Node::Map();
    for (const auto& [k, v] : context_->config().entries()) conf.Add(k, FromValue(v));
    hello.Add("conf", std::move(conf));
    hello.Add("pidDir", Node::Str(pid_dir_));
    Node ctx = Node::Map();
    Node t2c = Node::Map();
    std::map<int32_t, std::string> tasks;
    for (int32_t t : context_->component_tasks()) tasks[t] = context_->component_id();
    for (const auto& src : context_->sources()) {
      for (int32_t t : context_->GetComponentTasks(src.component)) tasks[t] = src.component;
    }
    if (auto all = StringListOf(context_->config(), kComponentsKey); all.ok()) {
      for (const auto& c : *all) {
        for (int32_t t : context_->GetComponentTasks(c)) tasks[t] = c;
      }
    }
    for (const auto& [t, c] : tasks) t2c.Add(std::to_string(t), Node::Str(c));
    ctx.Add("task->component", std::move(t2c));
    ctx.Add("taskid", Node::Int(context_->task_id()));
    ctx.Add("componentid", Node::Str(context_->component_id()));
    Node outs = Node::Map();
    auto fields = OutputFieldsOf(context_->config());
    if (fields.ok()) {
      for (const auto& [stream, f] : *fields) {
        Node l = Node::List();
        for (const auto& x : f) l.list.push_back(Node::Str(x));
        outs.Add(stream, std::move(l));
      }
    }
    ctx.Add("stream->outputfields", std::move(outs));
    hello.Add("context", std::move(ctx));
    Status s = proc_->Send(hello, [&] { return Alive(); });
    // The first answer must be {"pid": N}.
    std::optional<Node> pid;
    inbox_.clear();
    while (s.ok() && !pid) {
      proc_->WaitUntil(Clock::now() + std::chrono::milliseconds(100));
      std::vector<Node> got;
      proc_->Take(got);
      for (auto& m : got) {
        if (pid) {
          inbox_.push_back(std::move(m));  // what came right after: handled with the rest
          continue;
        }
        const Node* p = m.Find("pid");
        if (!p || !p->is_int()) {
          s = Status::InvalidArgument("its first message must be {\"pid\": N}, got " +
                                      ToJson(m).substr(0, 200));
          break;
        }
        pid = *p;
      }
      if (s.ok() && !pid) s = Alive();
    }
    if (!s.ok()) {
      const std::string why = Down(s.message());
      return Status::Unavailable(why);
    }
    GALE_LOG(kInfo) << Where() << ": started `" << cmdline_ << "` (pid " << pid->i << ", "
                    << SerializerName(command_.serializer) << ")"
                    << (command_.cwd.empty() ? "" : " in " + command_.cwd);
    return Status::Ok();
  }

  std::string Where() const { return std::string(noun()) + " '" + tag_ + "'"; }

  // Error when the subprocess is gone or has said nothing for the timeout
  // while we waited for it.
  Status Alive() const {
    if (!proc_) return Status::Unavailable("it is not running");
    if (proc_->broken()) return Status::Unavailable(proc_->broken_reason());
    if (Clock::now() - proc_->last_message() > timeout_) {
      return Status::Timeout("it did not answer for " + Secs(timeout_) + " (" +
                             std::string(kSubprocessTimeoutKey) + ")");
    }
    return Status::Ok();
  }

  static std::string Secs(Clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", std::chrono::duration<double>(d).count());
    return buf;
  }

  // Kills it, reports why (with its stderr's last lines) as this task's
  // error, and schedules a restart. Returns the report.
  std::string Down(const std::string& why) {
    if (!proc_ || dying_) return why;
    dying_ = true;
    const pid_t pid = proc_->pid();
    std::string how =
        proc_->broken() ? proc_->WaitExit(std::chrono::milliseconds(1000)) : proc_->ExitStatus();
    if (how.empty()) {
      how = proc_->Kill();
      how = "killed (" + how + ")";
    }
    out_.clear();
    proc_->JoinReaders();  // its stderr ends with the group: the tail is complete
    // What it wrote before it went counts (its last acks and emits); the
    // rest of what it held is failed by Lost().
    std::vector<Node> last;
    proc_->Take(last);
    if (!last.empty()) HandleLast(last);
    const std::string tail = proc_->StderrTail();
    proc_.reset();
    dying_ = false;
    std::error_code ec;
    fs::remove_all(pid_dir_, ec);
    const bool long_run = Clock::now() - started_ > std::chrono::seconds(10);
    backoff_ = long_run ? std::chrono::seconds(1) : std::min(backoff_ * 2, kMaxBackoff);
    if (backoff_ < std::chrono::seconds(1)) backoff_ = std::chrono::seconds(1);
    restart_at_ = Clock::now() + backoff_;
    std::string msg = Where() + ": subprocess `" + cmdline_ + "` (pid " + std::to_string(pid) +
                      ") failed: " + why + "; " + how + "; restarting it in " + Secs(backoff_);
    msg += tail.empty() ? "; it wrote nothing to stderr" : "; its last stderr lines:" + tail;
    Lost();
    if (reporter_) reporter_(msg);
    return msg;
  }

  // Restarts a dead subprocess once its backoff passed. True when running.
  bool EnsureRunning() {
    if (proc_) return true;
    if (Clock::now() < restart_at_ || !context_) return false;
    Status s = Launch();
    return s.ok();
  }

  // Called after the process is gone: drop what referred to it.
  virtual void Lost() = 0;
  // The messages it wrote before it went (nothing is written back now).
  virtual void HandleLast(std::vector<Node>& messages) = 0;

  // The common messages; false for another command.
  bool HandleCommon(const Node& m, std::string_view cmd) {
    if (cmd == "log") {
      const Node* msg = m.Find("msg");
      const Node* level = m.Find("level");
      const int lv = level && level->is_int() ? static_cast<int>(level->i) : 2;
      const std::string text = msg ? (msg->is_string() ? msg->s : ToJson(*msg)) : "";
      if (lv <= 1) {
        GALE_LOG(kDebug) << "[" << tag_ << "] " << text;
      } else if (lv == 2) {
        GALE_LOG(kInfo) << "[" << tag_ << "] " << text;
      } else if (lv == 3) {
        GALE_LOG(kWarn) << "[" << tag_ << "] " << text;
      } else {
        GALE_LOG(kError) << "[" << tag_ << "] " << text;
      }
      return true;
    }
    if (cmd == "error") {
      const Node* msg = m.Find("msg");
      if (reporter_) reporter_(msg ? (msg->is_string() ? msg->s : ToJson(*msg)) : "error");
      return true;
    }
    if (cmd == "metrics") {
      const Node* name = m.Find("name");
      const Node* params = m.Find("params");
      if (!name || !name->is_string()) return true;
      auto it = counters_.find(name->s);
      if (it == counters_.end()) {
        it = counters_.emplace(name->s, context_->RegisterCounter(name->s)).first;
      }
      int64_t by = 1;
      if (params && params->is_int()) by = params->i;
      if (params && params->kind == Node::Kind::kDouble) by = static_cast<int64_t>(params->d);
      it->second.Inc(by);
      return true;
    }
    return false;
  }

  // Queues a message; written once 64 KiB are queued or at Flush(), so a
  // batch of inputs goes to the subprocess in a few writes (the protocol
  // is unchanged: messages are only written together).
  Status Send(const Node& m) {
    if (dying_) return Status::Unavailable("it is going");
    AppendFrame(command_.serializer, m, out_);
    if (out_.size() >= kFlushBytes) return Flush();
    return Status::Ok();
  }
  Status Flush() {
    if (dying_) return Status::Unavailable("it is going");
    if (out_.empty() || !proc_) return Status::Ok();
    Status s = proc_->SendRaw(out_, [&] { return Alive(); });
    out_.clear();
    return s;
  }

  void Stop() {
    if (proc_) {
      proc_.reset();
      std::error_code ec;
      fs::remove_all(pid_dir_, ec);
    }
  }

  static constexpr Clock::duration kMaxBackoff = std::chrono::seconds(30);

  const bool spout_;
  const TopologyContext* context_ = nullptr;
  std::string tag_, cmdline_, pid_dir_;
  ShellCommand command_;
  Clock::duration timeout_ = std::chrono::seconds(30);
  Clock::duration heartbeat_ = std::chrono::seconds(1);
  std::unique_ptr<ShellProcess> proc_;
  Clock::time_point started_{}, restart_at_{};
  Clock::duration backoff_ = std::chrono::milliseconds(500);
  std::vector<Node> inbox_;
  std::function<void()> waker_;
  std::function<void(const std::string&)> reporter_;
  static constexpr size_t kFlushBytes = 64 * 1024;
  bool dying_ = false;  // in Down(): sends fail, Down() does nothing
  std::string out_;     // messages not yet written
  std::map<std::string, Counter, std::less<>> counters_;
};

void DeclareFromConfig(OutputDeclarer& declarer) {
  auto streams = OutputFieldsOf(declarer.config());
  if (!streams.ok()) throw std::invalid_argument(streams.status().message());
  auto direct = StringListOf(declarer.config(), kDirectStreamsKey);
  if (!direct.ok()) throw std::invalid_argument(direct.status().message());
  for (const auto& [stream, fields] : *streams) {
    const bool is_direct = std::find(direct->begin(), direct->end(), stream) != direct->end();
    declarer.DeclareStream(stream, Fields(std::vector<std::string>(fields)),
                           is_direct ? Direct::kYes : Direct::kNo);
  }
}

class ShellBolt final : public Bolt, public runtime::Polled, private ShellRunner {
 public:
  ShellBolt() : ShellRunner(false) {}

  void SetWaker(std::function<void()> wake) override { waker_ = std::move(wake); }

  void Prepare(const TopologyContext& context, OutputCollector& collector) override {
    collector_ = &collector;
    reporter_ = [this](const std::string& m) { collector_->ReportError(m); };
    Init(context);
    last_heartbeat_ = Clock::now();
  }

  void Execute(const Tuple& input) override {
    if (!EnsureRunning()) {
      // Held for the restarted subprocess (failing them at once would have
      // the spout replay them into this again, in a loop); past
      // kMaxHeld they are failed. Ticks are dropped.
      if (input.IsTick()) return;
      if (held_.size() < kMaxHeld) {
        held_.push_back(std::make_unique<Tuple>(input));
      } else {
        collector_->Fail(input);
      }
      Counts();
      return;
    }
    SendTuple(input);
    Counts();
  }

  void Counts() {
    pending_count_.store(pending_.size(), std::memory_order_release);
    held_count_.store(held_.size(), std::memory_order_release);
  }

  void SendTuple(const Tuple& input) {
    const std::string id = std::to_string(next_id_++);
    Node m = Node::Map();
    m.Add("id", Node::Str(id));
    m.Add("comp", Node::Str(input.source_component()));
    m.Add("stream", Node::Str(input.source_stream()));
    m.Add("task", Node::Int(input.source_task()));
    Node tuple = Node::List();
    tuple.list.reserve(input.size());
    for (const Value& v : input.values()) tuple.list.push_back(FromValue(v));
    m.Add("tuple", std::move(tuple));
    // A copy: the input's storage is recycled after its batch, and ack
    // values live in the tuple object we anchor to and ack.
    if (pending_.empty()) {
      last_activity_.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
    }
    pending_.emplace(id, std::make_unique<Tuple>(input));
    Status s = Send(m);
    if (!s.ok()) {
      Down(s.message());
      return;
    }
    Drain();
  }

  void Poll() override {
    PollOnce();
    Counts();
  }

  void PollOnce() {
    if (!EnsureRunning()) return;
    if (!held_.empty()) {
      std::vector<std::unique_ptr<Tuple>> held;
      held.swap(held_);
      for (const auto& t : held) {
        if (proc_) {
          SendTuple(*t);
        } else {
          held_.push_back(std::make_unique<Tuple>(*t));
        }
      }
    }
    Drain();
    if (!proc_) return;
    const auto now = Clock::now();
    if (!heartbeat_pending_ && now - last_heartbeat_ >= heartbeat_) {
      Node hb = Node::Map();
      hb.Add("id", Node::Str("__heartbeat"));
      hb.Add("comp", Node::Str("__system"));
      hb.Add("stream", Node::Str("__heartbeat"));
      hb.Add("task", Node::Int(-1));
      hb.Add("tuple", Node::List());
      Status s = Send(hb);
      if (!s.ok()) {
        Down(s.message());
        return;
      }
      heartbeat_pending_ = true;
      last_heartbeat_ = now;
    }
    if (Status f = Flush(); !f.ok()) {
      Down(f.message());
      return;
    }
    // Judged by the reader thread's clock of its last message: a busy
    // subprocess that answers late but within the timeout lives, however
    // long this thread took to come round.
    if (heartbeat_pending_ && now - std::max(last_heartbeat_, proc_->last_message()) > timeout_) {
      Down("no answer to a heartbeat for " + Secs(timeout_) + " (" +
           std::string(kSubprocessTimeoutKey) + ")");
    }
  }

  void DeclareOutputFields(OutputDeclarer& declarer) const override { DeclareFromConfig(declarer); }

  void Cleanup() override { Stop(); }

  // Inputs it holds or has sent and not had answered, while it answered
  // something in the last second (a subprocess that never acks, with acking
  // off, would otherwise keep gale local from ever stopping).
  bool Busy() const override {
    if (held_count_.load(std::memory_order_acquire) > 0) return true;
    if (pending_count_.load(std::memory_order_acquire) == 0) return false;
    const auto since =
        Clock::now().time_since_epoch().count() - last_activity_.load(std::memory_order_acquire);
    return since < std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)).count();
  }

 private:
  void Drain() {
    if (!proc_) return;
    proc_->Take(inbox_);
    if (!inbox_.empty()) {
      last_activity_.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
      std::vector<Node> batch;
      batch.swap(inbox_);
      Handle(batch);
      batch.clear();
      if (inbox_.empty()) inbox_.swap(batch);  // keep the capacity
    }
    if (proc_ && proc_->broken()) Down(proc_->broken_reason());
  }

  void Handle(std::vector<Node>& messages) {
    for (size_t k = 0; k < messages.size(); ++k) {
      if (!proc_) return;
      const Node& m = messages[k];
      const std::string_view cmd = CommandName(m);
      if (cmd == "emit") {
        Emit(m);
      } else if (cmd == "ack" || cmd == "fail") {
        const Node* id = m.Find("id");
        if (!id) continue;
        auto it = pending_.find(IdKey(*id));
        if (it == pending_.end()) continue;  // acked twice, or before a restart
        if (cmd == "ack") {
          collector_->Ack(*it->second);
        } else {
          collector_->Fail(*it->second);
        }
        pending_.erase(it);
      } else if (cmd == "sync") {
        heartbeat_pending_ = false;
      } else if (!HandleCommon(m, cmd)) {
        Down("it sent an unknown command: " + ToJson(m).substr(0, 200));
        return;
      }
    }
    messages.clear();
  }

  void Emit(const Node& m) {
    const Node* tuple = m.Find("tuple");
    const Node* stream = m.Find("stream");
    const Node* task = m.Find("task");
    const Node* anchors = m.Find("anchors");
    const Node* need = m.Find("need_task_ids");
    const bool direct = task && task->is_int();
    const bool want_ids = !direct && !(need && need->kind == Node::Kind::kBool && !need->b);
    Node ids = Node::List();
    try {
      if (!tuple || !tuple->is_list()) {
        throw std::invalid_argument("an emit needs \"tuple\": a list of values");
      }
      anchors_.clear();
      if (anchors && anchors->is_list()) {
        for (const auto& a : anchors->list) {
          auto it = pending_.find(IdKey(a));
          if (it != pending_.end()) anchors_.push_back(it->second.get());
        }
      }
      const std::string_view s =
          stream && stream->is_string() ? std::string_view(stream->s) : kDefaultStream;
      if (direct) {
        collector_->EmitDirect(static_cast<int32_t>(task->i), Stream{s}, anchors_,
                               ToValues(*tuple));
      } else {
        ids = TaskIdsNode(collector_->Emit(Stream{s}, anchors_, ToValues(*tuple)));
      }
    } catch (const std::exception& e) {
      collector_->ReportError(Where() + ": bad emit from its subprocess: " + e.what());
    }
    if (want_ids) {
      // It waits for them: write at once.
      Status st = Send(ids);
      if (st.ok()) st = Flush();
      if (!st.ok()) Down(st.message());
    }
  }

  void HandleLast(std::vector<Node>& messages) override { Handle(messages); }

  void Lost() override {
    // Whatever it held is failed now, so its spouts replay it.
    for (auto& [id, t] : pending_) collector_->Fail(*t);
    pending_.clear();
    heartbeat_pending_ = false;
    last_heartbeat_ = Clock::now();
  }

  static constexpr size_t kMaxHeld = 10000;
  OutputCollector* collector_ = nullptr;
  uint64_t next_id_ = 1;
  std::unordered_map<std::string, std::unique_ptr<Tuple>> pending_;
  std::vector<std::unique_ptr<Tuple>> held_;  // inputs that came while it was down
  // For Busy(), read by gale local's thread.
  std::atomic<size_t> pending_count_{0}, held_count_{0};
  std::atomic<Clock::rep> last_activity_{0};
  Anchors anchors_;
  bool heartbeat_pending_ = false;
  Clock::time_point last_heartbeat_{};
};

class ShellSpout final : public Spout, private ShellRunner {
 public:
  ShellSpout() : ShellRunner(true) {}

  void Open(const TopologyContext& context, SpoutOutputCollector& collector) override {
    collector_ = &collector;
    reporter_ = [this](const std::string& m) { collector_->ReportError(m); };
    Init(context);
  }

  void NextTuple() override { Command("next"); }
  void Activate() override { Command("activate"); }
  void Deactivate() override { Command("deactivate"); }

  void Ack(MessageId id) override { Reply("ack", id); }
  void Fail(MessageId id) override { Reply("fail", id); }

  void DeclareOutputFields(OutputDeclarer& declarer) const override { DeclareFromConfig(declarer); }
  void Close() override { Stop(); }

 private:
  // Sends a command and waits for every sync it owes (the acks and fails
  // sent since need theirs too: they are not waited for one by one).
  void Command(const char* what) {
    if (handling_ || !EnsureRunning()) return;
    Node m = Node::Map();
    m.Add("command", Node::Str(what));
    Status s = Send(m);
    if (s.ok()) s = Flush();
    if (!s.ok()) {
      Down(s.message());
      return;
    }
    ++syncs_owed_;
    while (proc_ && syncs_owed_ > 0) {
      proc_->Take(inbox_);
      if (inbox_.empty()) {
        Status alive = Alive();
        if (!alive.ok()) {
          Down(alive.message());
          return;
        }
        proc_->WaitUntil(Clock::now() + std::chrono::milliseconds(100));
        continue;
      }
      std::vector<Node> batch;
      batch.swap(inbox_);
      Handle(batch);
    }
  }

  void Reply(const char* what, MessageId id) {
    auto it = ids_.find(id.value);
    if (it == ids_.end() || !proc_) return;  // from before a restart
    Node m = Node::Map();
    m.Add("command", Node::Str(what));
    m.Add("id", std::move(it->second));
    ids_.erase(it);
    Status s = Send(m);
    if (!s.ok()) {
      if (!handling_) Down(s.message());
      return;
    }
    ++syncs_owed_;
  }

  void Handle(std::vector<Node>& messages) {
    handling_ = true;
    for (size_t k = 0; k < messages.size() && proc_; ++k) {
      const Node& m = messages[k];
      const std::string_view cmd = CommandName(m);
      if (cmd == "sync") {
        if (syncs_owed_ > 0) --syncs_owed_;
      } else if (cmd == "emit") {
        Emit(m);
      } else if (!HandleCommon(m, cmd)) {
        handling_ = false;
        Down("it sent an unknown command: " + ToJson(m).substr(0, 200));
        return;
      }
    }
    handling_ = false;
    messages.clear();
    if (proc_ && proc_->broken()) Down(proc_->broken_reason());
  }

  void Emit(const Node& m) {
    const Node* tuple = m.Find("tuple");
    const Node* stream = m.Find("stream");
    const Node* task = m.Find("task");
    const Node* id = m.Find("id");
    const Node* need = m.Find("need_task_ids");
    const bool direct = task && task->is_int();
    const bool want_ids = !direct && !(need && need->kind == Node::Kind::kBool && !need->b);
    Node out = Node::List();
    try {
      if (!tuple || !tuple->is_list()) {
        throw std::invalid_argument("an emit needs \"tuple\": a list of values");
      }
      const std::string_view s =
          stream && stream->is_string() ? std::string_view(stream->s) : kDefaultStream;
      std::optional<MessageId> mid;
      if (id && !id->is_null()) {
        mid = MessageId{next_id_++};
        ids_.emplace(mid->value, *id);  // before the emit: without ackers Ack runs inside it
      }
      if (direct) {
        if (mid) {
          collector_->EmitDirect(static_cast<int32_t>(task->i), Stream{s}, ToValues(*tuple), *mid);
        } else {
          collector_->EmitDirect(static_cast<int32_t>(task->i), Stream{s}, ToValues(*tuple));
        }
      } else if (mid) {
        out = TaskIdsNode(collector_->Emit(Stream{s}, ToValues(*tuple), *mid));
      } else {
        out = TaskIdsNode(collector_->Emit(Stream{s}, ToValues(*tuple)));
      }
    } catch (const std::exception& e) {
      collector_->ReportError(Where() + ": bad emit from its subprocess: " + e.what());
    }
    if (want_ids) {
      Status st = Send(out);
      if (st.ok()) st = Flush();
      if (!st.ok()) Down(st.message());
    }
  }

  void HandleLast(std::vector<Node>& messages) override {
    const bool was = handling_;
    Handle(messages);
    handling_ = was;
  }

  void Lost() override {
    ids_.clear();
    syncs_owed_ = 0;
  }

  SpoutOutputCollector* collector_ = nullptr;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Node> ids_;  // our message id -> the subprocess's
  int64_t syncs_owed_ = 0;
  bool handling_ = false;
};

std::unique_ptr<Bolt> MakeShellBolt() { return std::make_unique<ShellBolt>(); }
std::unique_ptr<Spout> MakeShellSpout() { return std::make_unique<ShellSpout>(); }

}  // namespace

const std::vector<PluginClass>& BuiltinClasses() {
  static const std::vector<PluginClass> classes = {
      PluginClass{kShellBolt.data(), ComponentKind::kBolt, nullptr, &MakeShellBolt},
      PluginClass{kFluxShellBolt.data(), ComponentKind::kBolt, nullptr, &MakeShellBolt},
      PluginClass{kShellSpout.data(), ComponentKind::kSpout, &MakeShellSpout, nullptr},
      PluginClass{kFluxShellSpout.data(), ComponentKind::kSpout, &MakeShellSpout, nullptr},
  };
  return classes;
}

}  // namespace gale::multilang
