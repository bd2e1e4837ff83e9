#include "core/plugin/describe.h"

#include "core/topology/window_config.h"
#include "core/tuple/tuple_codec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <exception>

extern char** environ;

namespace gale::plugin {
namespace {

template <typename T>
Status DeclareInto(const topology::ComponentSpec& c, const Config& topology_config, const T& obj,
                   std::vector<StreamDeclaration>& out) {
  const Config effective = topology_config.MergedWith(c.config);
  OutputDeclarer declarer(effective);
  try {
    obj.DeclareOutputFields(declarer);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(c.pos.Prefix() + c.id + " (" + c.class_name +
                                   "): DeclareOutputFields() threw: " + e.what());
  }
  for (const auto& d : declarer.duplicates()) {
    return Status::InvalidArgument(c.pos.Prefix() + c.id + " (" + c.class_name +
                                   "): DeclareOutputFields() declares stream '" + d + "' twice");
  }
  for (const auto& s : declarer.streams()) {
    if (s.id.rfind("__", 0) == 0) {
      return Status::InvalidArgument(c.pos.Prefix() + c.id + " (" + c.class_name +
                                     "): stream id '" + s.id +
                                     "' is reserved (ids starting with '__' are Gale's own)");
    }
  }
  out = declarer.streams();
  return Status::Ok();
}

// Adds what the component's code sets for itself (ComponentConfiguration,
// Storm's getComponentConfiguration) to its config, where the topology file
// does not set the same.
template <typename T>
Status TakeCodeConfig(topology::ComponentSpec& c, const T& obj) {
  Config code;
  try {
    code = obj.ComponentConfiguration();
  } catch (const std::exception& e) {
    return Status::InvalidArgument(c.pos.Prefix() + c.id + " (" + c.class_name +
                                   "): ComponentConfiguration() threw: " + e.what());
  }
  for (const auto& key : topology::MergeCodeConfig(c.config, code)) {
    c.code_config.Set(key, *c.config.Find(key));
  }
  return Status::Ok();
}

Status DescribeComponent(topology::ComponentSpec& c, const Config& topology_config,
                         const ClassRegistry& registry) {
  const PluginClass* cls = registry.Find(c.class_name);
  if (!cls || cls->kind != c.kind) return Status::Ok();  // the validator says why
  Status s;
  if (c.kind == ComponentKind::kSpout) {
    auto obj = registry.MakeSpout(c.class_name);
    if (!obj.ok()) return obj.status().WithContext(c.class_pos.Prefix() + c.id);
    GALE_RETURN_IF_ERROR(TakeCodeConfig(c, **obj));
    s = DeclareInto(c, topology_config, **obj, c.outputs);
  } else {
    auto obj = registry.MakeBolt(c.class_name);
    if (!obj.ok()) return obj.status().WithContext(c.class_pos.Prefix() + c.id);
    GALE_RETURN_IF_ERROR(TakeCodeConfig(c, **obj));
    s = DeclareInto(c, topology_config, **obj, c.outputs);
  }
  if (s.ok()) c.outputs_known = true;
  return s;
}

// ---- The child's report: a sequence of codec-encoded Values records. ----
// ["doing", what]           progress, so a crash can be pinned on something
// ["error", message]        loading or describing failed
// ["class", name, kind, plugin]
// ["code config", component, key, value]   a window key its code sets
// ["stream", component, id, direct, field...]
// ["done"]

void Record(int fd, const Values& v) {
  std::string buf;
  tuple::EncodeValues(v, buf);
  const char* p = buf.data();
  size_t left = buf.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// What the describing process does: loads the plugins, describes the
// components, and reports on `fd`. Returns when the report is complete.
void WriteReport(int fd, topology::TopologySpec spec) {
  ClassRegistry registry;
  for (const auto& p : spec.plugins) {
    Record(fd, {"doing", "loading plugin '" + (p.path.empty() ? p.name : p.path) + "'",
                p.pos.Prefix()});
    Status s = p.path.empty()
                   ? Status::NotFound(p.pos.Prefix() + "plugin file '" + p.name + "' not found")
                   : registry.LoadLibrary(p.path, p.pos.Prefix());
    if (!s.ok()) {
      Record(fd, {"error", s.message()});
      return;
    }
  }
  for (const auto& c : registry.Classes()) {
    Record(fd, {"class", c.name, c.kind == ComponentKind::kSpout ? "spout" : "bolt", c.plugin});
  }
  for (auto* list : {&spec.spouts, &spec.bolts}) {
    for (auto& c : *list) {
      Record(fd, {"doing", "describing component '" + c.id + "' (class " + c.class_name + ")",
                  c.pos.Prefix()});
      Status s = DescribeComponent(c, spec.config, registry);
      if (!s.ok()) {
        Record(fd, {"error", s.message()});
        return;
      }
      for (const auto& [key, value] : c.code_config.entries()) {
        Record(fd, {"code config", c.id, key, value});
      }
      for (const auto& d : c.outputs) {
        Values v{"stream", c.id, d.id, d.direct == Direct::kYes};
        for (const auto& f : d.fields) v.push_back(f);
        Record(fd, v);
      }
    }
  }
  Record(fd, {"done"});
}

[[noreturn]] void ChildMain(int fd, topology::TopologySpec spec) {
  WriteReport(fd, std::move(spec));
  _exit(0);
}

// ---- The request to a describer program: codec-encoded Values records. ----
// ["config", key, value]                         topology config, one per key
// ["plugin", name, path, file, line, column]
// ["component", "spout"/"bolt", id, class, file, line, column,
//               class file, class line, class column]
// ["component config", key, value]               of the component before it
// ["end"]

Values Position(Values v, const topology::SourcePos& pos) {
  v.push_back(pos.file);
  v.push_back(int64_t{pos.line});
  v.push_back(int64_t{pos.column});
  return v;
}

std::string EncodeRequest(const topology::TopologySpec& spec) {
  std::string out;
  for (const auto& [key, value] : spec.config.entries()) {
    tuple::EncodeValues({"config", key, value}, out);
  }
  for (const auto& p : spec.plugins) {
    tuple::EncodeValues(Position({"plugin", p.name, p.path}, p.pos), out);
  }
  for (const auto* list : {&spec.spouts, &spec.bolts}) {
    for (const auto& c : *list) {
      Values v = Position(
          {"component", c.kind == ComponentKind::kSpout ? "spout" : "bolt", c.id, c.class_name},
          c.pos);
      tuple::EncodeValues(Position(std::move(v), c.class_pos), out);
      for (const auto& [key, value] : c.config.entries()) {
        tuple::EncodeValues({"component config", key, value}, out);
      }
    }
  }
  tuple::EncodeValues({"end"}, out);
  return out;
}

// Whether v[from], v[from+1], v[from+2] are a file, line and column.
bool HasPosition(const Values& v, size_t from) {
  return v.size() >= from + 3 && v[from].type() == ValueType::kString &&
         v[from + 1].type() == ValueType::kInt && v[from + 2].type() == ValueType::kInt;
}

topology::SourcePos PositionAt(const Values& v, size_t from) {
  return {v[from].AsString(), static_cast<int>(v[from + 1].AsInt()),
          static_cast<int>(v[from + 2].AsInt())};
}

bool AllStrings(const Values& v, size_t count) {
  if (v.size() < count) return false;
  for (size_t i = 0; i < count; ++i) {
    if (v[i].type() != ValueType::kString) return false;
  }
  return true;
}

Result<topology::TopologySpec> DecodeRequest(std::string_view in) {
  const Status garbled = Status::InvalidArgument("garbled request to the plugin describer");
  topology::TopologySpec spec;
  topology::ComponentSpec* last = nullptr;
  while (!in.empty()) {
    Values v;
    if (!tuple::DecodeValues(in, v).ok() || v.empty() || !AllStrings(v, 1)) return garbled;
    const std::string& kind = v[0].AsString();
    if (kind == "config" && v.size() == 3 && AllStrings(v, 2)) {
      spec.config.Set(v[1].AsString(), v[2]);
    } else if (kind == "plugin" && v.size() == 6 && AllStrings(v, 3) && HasPosition(v, 3)) {
      spec.plugins.push_back({v[1].AsString(), v[2].AsString(), PositionAt(v, 3), {}});
    } else if (kind == "component" && v.size() == 10 && AllStrings(v, 4) && HasPosition(v, 4) &&
               HasPosition(v, 7)) {
      topology::ComponentSpec c;
      c.kind = v[1].AsString() == "spout" ? ComponentKind::kSpout : ComponentKind::kBolt;
      c.id = v[2].AsString();
      c.class_name = v[3].AsString();
      c.pos = PositionAt(v, 4);
      c.class_pos = PositionAt(v, 7);
      auto& list = c.kind == ComponentKind::kSpout ? spec.spouts : spec.bolts;
      list.push_back(std::move(c));
      last = &list.back();
    } else if (kind == "component config" && v.size() == 3 && AllStrings(v, 2) && last) {
      last->config.Set(v[1].AsString(), v[2]);
    } else if (kind == "end" && v.size() == 1) {
      return spec;
    } else {
      return garbled;
    }
  }
  return garbled;  // no "end": cut short
}

// Reads until EOF or the deadline. False on timeout.
bool ReadAll(int fd, std::string& out, Nanos timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<Description> ParseReport(std::string_view in, const std::string& ended_how) {
  Description d;
  std::string doing = "starting";
  std::string where;  // file:line:column of what it was doing
  bool done = false;
  while (!in.empty()) {
    Values v;
    Status s = tuple::DecodeValues(in, v);
    if (!s.ok() || v.empty() || v[0].type() != ValueType::kString) {
      return Status::Internal("garbled report from the plugin loader process");
    }
    const std::string& kind = v[0].AsString();
    if (kind == "doing" && v.size() == 3) {
      doing = v[1].AsString();
      where = v[2].AsString();
    } else if (kind == "error" && v.size() == 2) {
      return Status::InvalidArgument(v[1].AsString());
    } else if (kind == "class" && v.size() == 4) {
      d.classes.push_back(
          {v[1].AsString(),
           v[2].AsString() == "spout" ? ComponentKind::kSpout : ComponentKind::kBolt,
           v[3].AsString()});
    } else if (kind == "stream" && v.size() >= 4) {
      StreamDeclaration decl{v[2].AsString(), {}, v[3].AsBool() ? Direct::kYes : Direct::kNo};
      std::vector<std::string> fields;
      for (size_t i = 4; i < v.size(); ++i) fields.push_back(v[i].AsString());
      decl.fields = Fields(std::move(fields));
      d.outputs[v[1].AsString()].push_back(std::move(decl));
    } else if (kind == "code config" && v.size() == 4) {
      d.code_config[v[1].AsString()].Set(v[2].AsString(), v[3]);
    } else if (kind == "done") {
      done = true;
    }
  }
  if (!done) {
    return Status::InvalidArgument(where + "plugin code " + ended_how + " while " + doing);
  }
  return d;
}

std::string DescribeWaitStatus(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return "crashed (signal " + std::to_string(sig) + ", " + ::strsignal(sig) + ")";
  }
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "stopped";
}

// Reads a describer's report from `fd` (closing it), kills the describer
// `pid` when it takes longer than `timeout`, and reaps it.
Result<Description> CollectReport(pid_t pid, int fd, Nanos timeout) {
  std::string report;
  const bool finished = ReadAll(fd, report, timeout);
  ::close(fd);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  const std::string how =
      finished
          ? DescribeWaitStatus(status)
          : "did not finish within " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                " s (killed)";
  try {
    return ParseReport(report, how);
  } catch (const std::exception&) {  // a record with a value of the wrong type
    return Status::Internal("garbled report from the plugin loader process");
  }
}

}  // namespace

Status DescribeOutputs(topology::TopologySpec& spec, const ClassRegistry& registry) {
  for (auto* list : {&spec.spouts, &spec.bolts}) {
    for (auto& c : *list) GALE_RETURN_IF_ERROR(DescribeComponent(c, spec.config, registry));
  }
  return Status::Ok();
}

Result<Description> DescribeInChildProcess(const topology::TopologySpec& spec, Nanos timeout) {
  int fds[2];
  if (::pipe(fds) != 0) return Status::Internal(std::string("pipe: ") + ::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::Internal(std::string("fork: ") + ::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    ChildMain(fds[1], spec);
  }
  ::close(fds[1]);
  return CollectReport(pid, fds[0], timeout);
}

Result<Description> DescribeWithProgram(const std::vector<std::string>& argv,
                                        const topology::TopologySpec& spec, Nanos timeout) {
  // The request goes in a memory file rather than a pipe: no writer to
  // block on a child that never reads, and no SIGPIPE when it dies first.
  const std::string request = EncodeRequest(spec);
  const int in = ::memfd_create("gale-describe-request", MFD_CLOEXEC);
  if (in < 0) return Status::Internal(std::string("memfd_create: ") + ::strerror(errno));
  for (size_t done = 0; done < request.size();) {
    const ssize_t n = ::write(in, request.data() + done, request.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(in);
      return Status::Internal(std::string("writing the describe request: ") + ::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  ::lseek(in, 0, SEEK_SET);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ::close(in);
    return Status::Internal(std::string("pipe: ") + ::strerror(errno));
  }
  // The caller has threads (nimbus): posix_spawn, not fork and run. The
  // child gets the request as stdin, the report pipe as stdout, the
  // caller's stderr, and none of its other descriptors (sockets).
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Status::Internal("cannot run the plugin describer '" + argv[0] + "': " + ::strerror(rc));
  }
  return CollectReport(pid, fds[0], timeout);
}

int ServeDescribeRequest(int in_fd, int out_fd) {
  std::string request;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(in_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    if (n == 0) break;
    request.append(buf, static_cast<size_t>(n));
  }
  // Plugins may print while they load: their stdout goes to stderr, so
  // that only records reach the report.
  const int report = ::dup(out_fd);
  if (report < 0 || ::dup2(2, out_fd) < 0) return 1;
  auto spec = DecodeRequest(request);
  if (!spec.ok()) {
    Record(report, {"error", spec.status().message()});
  } else {
    WriteReport(report, std::move(spec).value());
  }
  ::close(report);
  return 0;
}

void ApplyDescription(const Description& description, topology::TopologySpec& spec) {
  for (auto* list : {&spec.spouts, &spec.bolts}) {
    for (auto& c : *list) {
      if (auto cc = description.code_config.find(c.id); cc != description.code_config.end()) {
        for (const auto& [key, value] : cc->second.entries()) {
          if (c.config.Contains(key)) continue;
          c.config.Set(key, value);
          c.code_config.Set(key, value);
        }
      }
      auto it = description.outputs.find(c.id);
      bool known = false;
      for (const auto& cls : description.classes) {
        if (cls.name == c.class_name && cls.kind == c.kind) known = true;
      }
      if (!known) continue;
      c.outputs = it == description.outputs.end() ? std::vector<StreamDeclaration>{} : it->second;
      c.outputs_known = true;
    }
  }
}

}  // namespace gale::plugin
