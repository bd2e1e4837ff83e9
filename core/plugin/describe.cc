#include "core/plugin/describe.h"

#include "core/tuple/tuple_codec.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <exception>

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

Status DescribeComponent(topology::ComponentSpec& c, const Config& topology_config,
                         const ClassRegistry& registry) {
  const PluginClass* cls = registry.Find(c.class_name);
  if (!cls || cls->kind != c.kind) return Status::Ok();  // the validator says why
  Status s;
  if (c.kind == ComponentKind::kSpout) {
    auto obj = registry.MakeSpout(c.class_name);
    if (!obj.ok()) return obj.status().WithContext(c.class_pos.Prefix() + c.id);
    s = DeclareInto(c, topology_config, **obj, c.outputs);
  } else {
    auto obj = registry.MakeBolt(c.class_name);
    if (!obj.ok()) return obj.status().WithContext(c.class_pos.Prefix() + c.id);
    s = DeclareInto(c, topology_config, **obj, c.outputs);
  }
  if (s.ok()) c.outputs_known = true;
  return s;
}

// ---- The child's report: a sequence of codec-encoded Values records. ----
// ["doing", what]           progress, so a crash can be pinned on something
// ["error", message]        loading or describing failed
// ["class", name, kind, plugin]
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

[[noreturn]] void ChildMain(int fd, topology::TopologySpec spec) {
  ClassRegistry registry;
  for (const auto& p : spec.plugins) {
    Record(fd, {"doing", "loading plugin '" + (p.path.empty() ? p.name : p.path) + "'",
                p.pos.Prefix()});
    Status s = p.path.empty()
                   ? Status::NotFound(p.pos.Prefix() + "plugin file '" + p.name + "' not found")
                   : registry.LoadLibrary(p.path, p.pos.Prefix());
    if (!s.ok()) {
      Record(fd, {"error", s.message()});
      _exit(0);
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
        _exit(0);
      }
      for (const auto& d : c.outputs) {
        Values v{"stream", c.id, d.id, d.direct == Direct::kYes};
        for (const auto& f : d.fields) v.push_back(f);
        Record(fd, v);
      }
    }
  }
  Record(fd, {"done"});
  _exit(0);
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
      d.classes.push_back({v[1].AsString(),
                           v[2].AsString() == "spout" ? ComponentKind::kSpout : ComponentKind::kBolt,
                           v[3].AsString()});
    } else if (kind == "stream" && v.size() >= 4) {
      StreamDeclaration decl{v[2].AsString(), {}, v[3].AsBool() ? Direct::kYes : Direct::kNo};
      std::vector<std::string> fields;
      for (size_t i = 4; i < v.size(); ++i) fields.push_back(v[i].AsString());
      decl.fields = Fields(std::move(fields));
      d.outputs[v[1].AsString()].push_back(std::move(decl));
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
  std::string report;
  const bool finished = ReadAll(fds[0], report, timeout);
  ::close(fds[0]);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string how =
      finished ? DescribeWaitStatus(status)
               : "did not finish within " +
                     std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                     " s (killed)";
  return ParseReport(report, how);
}

void ApplyDescription(const Description& description, topology::TopologySpec& spec) {
  for (auto* list : {&spec.spouts, &spec.bolts}) {
    for (auto& c : *list) {
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
