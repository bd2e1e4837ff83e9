#include "nimbus/thrift_handler.h"

#include "core/common/logging.h"
#include "core/common/sha256.h"
#include "core/common/strings.h"
#include "core/multilang/shell_component.h"
#include "core/plugin/describe.h"
#include "core/topology/validator.h"
#include "core/topology/yaml_loader.h"
#include "thrift/convert.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

namespace gale::nimbus {
namespace {

// Each call declares its own exceptions; these throw the right one for a
// Status code, falling back to the call's general one.
template <typename E>
[[noreturn]] void Throw(const std::string& msg) {
  E e;
  e.msg = msg;
  throw e;
}

// Failures of nimbus itself (a state file it cannot write) are no declared
// exception of any call: Thrift sends them as TApplicationException.
void ThrowIfInternal(const Status& s) {
  if (s.code() == StatusCode::kInternal) throw std::runtime_error(s.message());
}

void ThrowUpload(const Status& s) {
  if (s.ok()) return;
  ThrowIfInternal(s);
  Throw<thrift::UploadException>(s.message());
}

void ThrowNotAliveOrState(const Status& s) {
  if (s.ok()) return;
  ThrowIfInternal(s);
  if (s.code() == StatusCode::kNotFound) Throw<thrift::NotAliveException>(s.message());
  Throw<thrift::IllegalStateException>(s.message());
}

void ThrowSubmit(const Status& s) {
  if (s.ok()) return;
  ThrowIfInternal(s);
  switch (s.code()) {
    case StatusCode::kAlreadyExists: Throw<thrift::AlreadyAliveException>(s.message());
    case StatusCode::kNotFound: Throw<thrift::PluginNotFoundException>(s.message());
    default: Throw<thrift::InvalidTopologyException>(s.message());
  }
}

// ------------------------------------------------------------ YAML files
//
// A client's YAML topology is loaded by Gale's own loader in a scratch
// folder holding the client's files at their own paths under it
// (<scratch>/home/ann/topo.yaml), so that relative includes and plugin paths
// resolve as on the client; messages get the scratch prefix removed.

namespace fs = std::filesystem;

class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string tmpl = (base / "gale-nimbus-yaml-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("cannot create a scratch folder in " + base.string());
    }
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The client's paths back in a message: every "<scratch>/x" becomes "/x".
std::string StripScratch(std::string text, const std::string& scratch) {
  for (size_t at = text.find(scratch); at != std::string::npos; at = text.find(scratch, at)) {
    text.erase(at, scratch.size());
  }
  return text;
}

[[noreturn]] void ThrowInvalid(const std::string& msg) {
  Throw<thrift::InvalidTopologyException>(msg);
}

// A path of the client's must be absolute and normalized: it is written
// under the scratch folder and must stay there.
void CheckClientPath(const std::string& path, const std::string& what) {
  const fs::path p(path);
  bool ok = p.is_absolute() && path.find('\0') == std::string::npos;
  for (const auto& part : p) ok = ok && part != "." && part != "..";
  if (!ok || p.lexically_normal().string() != path || path.size() < 2) {
    ThrowInvalid(what + " '" + path + "' must be an absolute, normalized path (no '.' or '..')");
  }
}

// The loader's result for a request, and what the request lacks.
struct YamlLoad {
  thrift::YamlTopologyPlan plan;
  topology::TopologySpec spec;
  bool complete = false;  // nothing missing: spec holds the topology
};

// Loads the request under `scratch`. Throws InvalidTopologyException for
// errors of a complete request (with the client's paths).
YamlLoad LoadYaml(const thrift::YamlTopologyRequest& req, const std::string& scratch) {
  YamlLoad out;
  std::set<std::string> have, unreadable(req.unreadable.begin(), req.unreadable.end());
  CheckClientPath(req.file, "topology file");
  for (const auto& src : req.sources) {
    CheckClientPath(src.path, "source file");
    if (!have.insert(src.path).second) ThrowInvalid("source file '" + src.path + "' sent twice");
    const fs::path target = scratch + src.path;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream f(target, std::ios::binary | std::ios::trunc);
    f.write(src.text.data(), static_cast<std::streamsize>(src.text.size()));
    if (ec || !f.flush()) throw std::runtime_error("cannot write " + target.string());
  }
  std::set<std::string> missing_files, missing_env;
  auto need = [&](const std::string& path) {
    if (!have.count(path) && !unreadable.count(path)) missing_files.insert(path);
  };
  need(req.file);
  topology::LoadOptions options;
  options.root = scratch;  // the client's paths, never nimbus's own files
  if (req.__isset.filter_file && !req.filter_file.empty()) {
    CheckClientPath(req.filter_file, "filter file");
    need(req.filter_file);
    options.filter_file = scratch + req.filter_file;
  }
  options.env = [&](const std::string& name) -> std::optional<std::string> {
    if (auto it = req.env.find(name); it != req.env.end()) return it->second;
    if (std::find(req.env_unset.begin(), req.env_unset.end(), name) == req.env_unset.end()) {
      missing_env.insert(name);
    }
    return std::nullopt;
  };
  for (const auto& dir : req.plugin_search_path) {
    CheckClientPath(dir, "plugin folder");
    options.plugin_search_path.push_back(scratch + dir);
  }
  auto spec = topology::LoadTopologyFile(scratch + req.file, options);
  if (!spec.ok()) {
    // Included files the client has not sent yet.
    const std::string& m = spec.status().message();
    const std::string prefix = "cannot read included file '" + scratch;
    for (size_t at = m.find(prefix); at != std::string::npos; at = m.find(prefix, at)) {
      at += prefix.size();
      const size_t end = m.find('\'', at);
      if (end == std::string::npos) break;
      need(m.substr(at, end - at));
    }
  }
  out.plan.missing_files.assign(missing_files.begin(), missing_files.end());
  out.plan.missing_env.assign(missing_env.begin(), missing_env.end());
  if (!missing_files.empty() || !missing_env.empty()) return out;
  if (!spec.ok()) ThrowInvalid(StripScratch(spec.status().message(), scratch));
  out.spec = std::move(spec).value();
  out.plan.name = out.spec.name;
  for (const auto* list : {&out.spec.spouts, &out.spec.bolts}) {
    for (const auto& c : *list) {
      if (multilang::IsShellClass(c.class_name)) out.plan.__set_shell_components(true);
    }
  }
  for (const auto& p : out.spec.plugins) {
    thrift::YamlPluginNeed n;
    n.name = p.name;
    for (const auto& c : p.searched) n.candidates.push_back(StripScratch(c, scratch));
    out.plan.plugins.push_back(std::move(n));
  }
  out.complete = true;
  return out;
}

// Points the spec's plugins at the files the client chose (under the
// scratch folder) and checks the structure, as `gale validate` does.
void ResolveYamlPlugins(const thrift::YamlTopologyRequest& req, const std::string& scratch,
                        YamlLoad& load) {
  auto& plugins = load.spec.plugins;
  if (req.plugins.size() != plugins.size()) {
    ThrowInvalid("the request resolves " + std::to_string(req.plugins.size()) +
                 " plugin(s), but topology file '" + req.file + "' names " +
                 std::to_string(plugins.size()));
  }
  for (size_t i = 0; i < plugins.size(); ++i) {
    const std::string& chosen = req.plugins[i].name;
    plugins[i].path.clear();
    if (chosen.empty()) continue;  // not found: ValidateStructure says where it looked
    CheckClientPath(chosen, "plugin file");
    const auto& candidates = load.plan.plugins[i].candidates;
    if (std::find(candidates.begin(), candidates.end(), chosen) == candidates.end()) {
      ThrowInvalid("plugin '" + plugins[i].name + "' is looked for in " + Join(candidates) +
                   ", not '" + chosen + "'");
    }
    plugins[i].path = scratch + chosen;
  }
  Status s = topology::ValidateStructure(load.spec);
  if (!s.ok()) ThrowInvalid(StripScratch(s.message(), scratch));
  for (auto& w : topology::Warnings(load.spec)) {
    load.plan.warnings.push_back(StripScratch(std::move(w), scratch));
  }
}

}  // namespace

// ---------------------------------------------------------- leadership

Nimbus& NimbusHandler::N() {
  held_ = lead_.Leader();
  if (!held_) throw std::runtime_error(lead_.NotLeader());
  return *held_;
}

void NimbusHandler::ReplicatePlugins(const thrift::Topology& topology) {
  std::vector<std::string> shas;
  for (const auto& p : topology.plugins) {
    if (lead_.plugins().Has(p.sha256)) shas.push_back(p.sha256);  // else Submit says so
  }
  const auto res = topology.config.find(std::string(multilang::kResourcesShaKey));
  if (res != topology.config.end() && res->second.__isset.string_value &&
      lead_.plugins().Has(res->second.string_value)) {
    shas.push_back(res->second.string_value);
  }
  const Status s = lead_.Replicate(shas);
  if (!s.ok())
    throw std::runtime_error("topology '" + topology.name + "' not submitted: " + s.message());
}

// ---------------------------------------------------------- authorization

bool NimbusHandler::Allowed(rpc::Role role, Op op) {
  using rpc::Role;
  switch (role) {
    case Role::kAdmin: return true;
    case Role::kSubmitter: return op != Op::kDaemon;
    case Role::kNode: return op == Op::kDaemon || op == Op::kRead || op == Op::kReplicate;
    case Role::kReader: return op == Op::kRead;
    case Role::kNone: break;
  }
  return false;
}

const rpc::Identity& NimbusHandler::Who() {
  if (!identity_) {
    if (auth_.mode == rpc::AuthMode::kNone) {
      identity_ = rpc::Identity{"", rpc::Role::kAdmin, "no authentication"};
    } else {
      const std::string cn = auth_.peer_cn ? auth_.peer_cn() : "";
      if (cn.empty()) return identity_.emplace();  // token form: not yet
      identity_ = rpc::Identity{cn, auth_.table ? auth_.table->CertRole(cn) : rpc::Role::kNone,
                                "certificate"};
    }
  }
  return *identity_;
}

void NimbusHandler::Require(Op op, const std::string& what, const std::string& topology) {
  if (auth_.mode == rpc::AuthMode::kNone) return;
  const rpc::Identity& id = Who();
  std::string refusal;
  if (id.name.empty()) {
    refusal = "not authenticated: nimbus runs with gale.auth.mode " +
              std::string(rpc::AuthModeName(auth_.mode)) +
              "; call authenticate(user, token) first, or connect with a certificate";
  } else if (id.role == rpc::Role::kNone) {
    refusal = "certificate '" + id.name + "' has no role (nimbus's gale.auth.roles lists it not)";
  } else if (!Allowed(id.role, op)) {
    refusal = "user '" + id.name + "' (role " + rpc::RoleName(id.role) + ") may not " + what;
  } else if (op == Op::kModify && id.role != rpc::Role::kAdmin) {
    const std::optional<std::string> owner = N().OwnerOf(topology);
    if (owner && *owner != id.name) {
      refusal = "user '" + id.name + "' (role " + rpc::RoleName(id.role) + ") may not " + what +
                ": it belongs to " + (owner->empty() ? "no recorded owner" : "'" + *owner + "'") +
                " (only its owner or an admin may)";
    }
  }
  if (refusal.empty()) return;
  GALE_LOG(kWarn) << "refused from " << auth_.peer << ": " << refusal;
  Throw<thrift::AuthorizationException>(refusal);
}

void NimbusHandler::authenticate(const std::string& user, const std::string& token) {
  if (auth_.mode == rpc::AuthMode::kNone) return;
  if (user.empty()) {  // "check my certificate"
    Require(Op::kRead, "connect");
    return;
  }
  std::optional<rpc::Identity> id;
  if (auth_.table) id = auth_.table->CheckToken(user, token);
  if (!id) {
    const std::string refusal = "authentication failed for user '" + user + "'";
    GALE_LOG(kWarn) << "refused from " << auth_.peer << ": " << refusal;
    Throw<thrift::AuthorizationException>(refusal + " (wrong user or token)");
  }
  identity_ = *id;
}

// ------------------------------------------------------------------ calls

void NimbusHandler::beginPluginUpload(std::string& out, const std::string& sha256, int64_t size) {
  Require(UploadOp(), "upload plugins");
  auto r = lead_.plugins().Begin(sha256, size, SystemClock::Get().Now());
  ThrowUpload(r.status());
  out = *r;
}

void NimbusHandler::uploadPluginChunk(const std::string& upload_id, const std::string& chunk) {
  Require(UploadOp(), "upload plugins");
  ThrowUpload(lead_.plugins().Append(upload_id, chunk, SystemClock::Get().Now()));
}

void NimbusHandler::finishPluginUpload(const std::string& upload_id) {
  Require(UploadOp(), "upload plugins");
  auto sha = lead_.plugins().Finish(upload_id);
  ThrowUpload(sha.status());
  lead_.PluginStored(*sha);
}

bool NimbusHandler::hasPlugin(const std::string& sha256) {
  Require(Op::kRead, "ask for plugins");
  return lead_.plugins().Has(sha256);
}

void NimbusHandler::getLeader(thrift::NimbusSummary& out) {
  Require(Op::kRead, "ask for the leader");
  out = lead_.LeaderSummary();
  if (out.host.empty()) throw std::runtime_error(lead_.NotLeader());
}

void NimbusHandler::submitTopology(const thrift::Topology& topology,
                                   const thrift::SubmitOptions& options) {
  Require(Op::kSubmit, "submit topology '" + topology.name + "'");
  Nimbus& nimbus = N();
  ReplicatePlugins(topology);
  ThrowSubmit(nimbus.Submit(topology, options.initial_status, Who().name));
}

void NimbusHandler::killTopology(const std::string& name, const thrift::KillOptions& options) {
  Require(Op::kModify, "kill topology '" + name + "'", name);
  std::optional<int> wait;
  if (options.__isset.wait_secs) wait = options.wait_secs;
  Status s = N().Kill(name, wait);
  if (s.ok()) return;
  ThrowIfInternal(s);
  Throw<thrift::NotAliveException>(s.message());
}

void NimbusHandler::activate(const std::string& name) {
  Require(Op::kModify, "activate topology '" + name + "'", name);
  ThrowNotAliveOrState(N().Activate(name));
}

void NimbusHandler::deactivate(const std::string& name) {
  Require(Op::kModify, "deactivate topology '" + name + "'", name);
  ThrowNotAliveOrState(N().Deactivate(name));
}

void NimbusHandler::rebalance(const std::string& name, const thrift::RebalanceOptions& options) {
  Require(Op::kModify, "rebalance topology '" + name + "'", name);
  Status s = N().Rebalance(name, options);
  if (s.ok()) return;
  ThrowIfInternal(s);
  switch (s.code()) {
    case StatusCode::kNotFound: Throw<thrift::NotAliveException>(s.message());
    case StatusCode::kInvalidArgument: Throw<thrift::InvalidTopologyException>(s.message());
    default: Throw<thrift::IllegalStateException>(s.message());
  }
}

void NimbusHandler::getClusterInfo(thrift::ClusterSummary& out) {
  Require(Op::kRead, "list topologies");
  out = N().GetClusterSummary();
  if (auto nimbuses = lead_.Nimbuses(); !nimbuses.empty()) out.__set_nimbuses(std::move(nimbuses));
}

void NimbusHandler::getTopologyInfo(thrift::TopologyInfo& out, const std::string& name) {
  Require(Op::kRead, "read topology '" + name + "'");
  auto r = N().GetTopologyInfo(name);
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
    throw std::runtime_error(r.status().message());
  }
  if (!r.ok()) Throw<thrift::NotAliveException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::getTopologyPageInfo(thrift::TopologyPageInfo& out, const std::string& name,
                                        const std::string& window) {
  Require(Op::kRead, "read topology '" + name + "'");
  auto r = N().GetTopologyPageInfo(name, window);
  if (!r.ok()) {
    switch (r.status().code()) {
      case StatusCode::kNotFound: Throw<thrift::NotAliveException>(r.status().message());
      case StatusCode::kInvalidArgument:
        Throw<thrift::InvalidTopologyException>(r.status().message());
      default: throw std::runtime_error(r.status().message());
    }
  }
  out = std::move(r).value();
}

void NimbusHandler::supervisorHeartbeat(std::vector<thrift::SlotAssignment>& out,
                                        const thrift::SupervisorHeartbeat& heartbeat) {
  Require(Op::kDaemon, "send supervisor heartbeats");
  out = N().SupervisorHeartbeat(heartbeat);
}

void NimbusHandler::downloadPluginChunk(std::string& out, const std::string& sha256, int64_t offset,
                                        int32_t length) {
  Require(Op::kDaemon, "download plugins");
  auto r = lead_.plugins().Read(sha256, offset, length);
  if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
    throw std::runtime_error(r.status().message());  // a bad offset or length
  }
  if (!r.ok()) Throw<thrift::PluginNotFoundException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::getWorkerPlan(thrift::WorkerPlan& out, const std::string& topology_id,
                                  const std::string& supervisor_id, int32_t port) {
  Require(Op::kDaemon, "read worker plans");
  auto r = N().GetWorkerPlan(topology_id, supervisor_id, port);
  if (!r.ok()) Throw<thrift::NotAliveException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::workerHeartbeat(thrift::WorkerHeartbeatResponse& out,
                                    const thrift::WorkerHeartbeat& heartbeat) {
  Require(Op::kDaemon, "send worker heartbeats");
  auto r = N().WorkerHeartbeat(heartbeat);
  if (!r.ok()) Throw<thrift::NotAliveException>(r.status().message());
  out = std::move(r).value();
}

void NimbusHandler::stateExports(std::vector<std::string>& out, const std::string& supervisor_id) {
  Require(Op::kDaemon, "move state");
  out = N().StateExports(supervisor_id);
}

void NimbusHandler::uploadState(const std::string& supervisor_id,
                                const std::string& state_namespace, int64_t offset,
                                const std::string& chunk) {
  Require(Op::kDaemon, "move state");
  ThrowNotAliveOrState(N().UploadState(supervisor_id, state_namespace, offset, chunk));
}

bool NimbusHandler::finishStateUpload(const std::string& supervisor_id,
                                      const std::string& state_namespace, int64_t size) {
  Require(Op::kDaemon, "move state");
  auto r = N().FinishStateUpload(supervisor_id, state_namespace, size);
  ThrowNotAliveOrState(r.status());
  return *r;
}

void NimbusHandler::fetchState(thrift::StateChunk& out, const std::string& topology_id,
                               const std::string& supervisor_id, int64_t assignment_version,
                               const std::string& state_namespace, int64_t offset, int32_t length) {
  Require(Op::kDaemon, "move state");
  auto r = N().FetchState(topology_id, supervisor_id, assignment_version, state_namespace, offset,
                          length);
  ThrowNotAliveOrState(r.status());
  out = std::move(r).value();
}

void NimbusHandler::claimState(const std::string& topology_id, const std::string& supervisor_id,
                               int64_t assignment_version, const std::string& state_namespace) {
  Require(Op::kDaemon, "move state");
  ThrowNotAliveOrState(
      N().ClaimState(topology_id, supervisor_id, assignment_version, state_namespace));
}

StateFiles& NimbusHandler::StateCopies() {
  StateFiles* files = lead_.state_copies();
  if (!files || lead_.Leader()) {
    Throw<thrift::IllegalStateException>(
        "this nimbus leads (or is the only one): only the other nimbuses of an HA cluster take "
        "copies of state");
  }
  return *files;
}

void NimbusHandler::copyState(const std::string& state_namespace, int64_t offset,
                              const std::string& chunk) {
  Require(Op::kDaemon, "copy state between nimbuses");
  ThrowNotAliveOrState(StateCopies().Append(state_namespace, offset, chunk));
}

void NimbusHandler::finishStateCopy(const std::string& state_namespace, int64_t size) {
  Require(Op::kDaemon, "copy state between nimbuses");
  ThrowNotAliveOrState(StateCopies().Keep(state_namespace, size));
}

void NimbusHandler::planYamlTopology(thrift::YamlTopologyPlan& out,
                                     const thrift::YamlTopologyRequest& request) {
  Require(Op::kSubmit, "submit topology file '" + request.file + "'");
  ScratchDir scratch;
  YamlLoad load = LoadYaml(request, scratch.path());
  if (load.complete && request.__isset.plugins) ResolveYamlPlugins(request, scratch.path(), load);
  out = std::move(load.plan);
}

void NimbusHandler::submitYamlTopology(std::string& out, const thrift::YamlTopologyRequest& request,
                                       const thrift::SubmitOptions& options) {
  Require(Op::kSubmit, "submit topology file '" + request.file + "'");
  N();  // a follower says so before any work
  ScratchDir scratch;
  const std::string& root = scratch.path();
  YamlLoad load = LoadYaml(request, root);
  if (!load.complete) {
    std::vector<std::string> lacks = load.plan.missing_files;
    for (const auto& e : load.plan.missing_env) lacks.push_back("${ENV-" + e + "}");
    ThrowInvalid("the request for '" + request.file + "' is incomplete (it lacks " + Join(lacks) +
                 "): ask planYamlTopology first");
  }
  if (!request.__isset.plugins) {
    ThrowInvalid("the request for '" + request.file +
                 "' names no plugin files: ask planYamlTopology first");
  }
  ResolveYamlPlugins(request, root, load);
  topology::TopologySpec& spec = load.spec;
  // The uploaded plugins, copied where the client has them, for the describer.
  std::vector<std::string> shas;
  for (size_t i = 0; i < spec.plugins.size(); ++i) {
    const std::string& sha = request.plugins[i].sha256;
    const std::string& chosen = request.plugins[i].name;
    if (!lead_.plugins().Has(sha)) {
      Throw<thrift::PluginNotFoundException>("topology '" + spec.name + "' needs plugin '" +
                                             chosen + "' (sha256 " + sha +
                                             "), which nimbus does not have: upload it first");
    }
    const fs::path target = spec.plugins[i].path;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream f(target, std::ios::binary | std::ios::trunc);
    for (int64_t offset = 0;;) {
      auto chunk = lead_.plugins().Read(sha, offset, 4 << 20);
      if (!chunk.ok()) throw std::runtime_error(chunk.status().message());
      if (chunk->empty()) break;
      f.write(chunk->data(), static_cast<std::streamsize>(chunk->size()));
      offset += static_cast<int64_t>(chunk->size());
    }
    if (ec || !f.flush()) throw std::runtime_error("cannot write " + target.string());
    shas.push_back(sha);
  }
  // Shell components' code: the client's resources/ folder, uploaded as a
  // tar archive like a plugin; workers unpack it (as for `gale submit`).
  if (request.__isset.resources_sha256 && !request.resources_sha256.empty()) {
    const std::string& sha = request.resources_sha256;
    if (!IsSha256Hex(sha)) {
      ThrowInvalid("resources_sha256 '" + sha + "' is not a SHA-256 (64 lower-case hex digits)");
    }
    if (!lead_.plugins().Has(sha)) {
      Throw<thrift::PluginNotFoundException>(
          "topology '" + spec.name + "' needs the resources archive of '" + request.file +
          "' (sha256 " + sha + "), which nimbus does not have: upload it first");
    }
    spec.config.Set(std::string(multilang::kResourcesShaKey), Value(sha));
  }
  std::string program = gale_program_;
  if (program.empty()) {
    std::error_code ec;
    program = (fs::read_symlink("/proc/self/exe", ec).parent_path() / "gale").string();
  }
  auto description =
      plugin::DescribeWithProgram({program, "__describe"}, spec, std::chrono::seconds(10));
  if (!description.ok()) {
    ThrowIfInternal(description.status());
    ThrowInvalid(StripScratch(description.status().message(), root));
  }
  for (auto& cls : description->classes) cls.plugin = StripScratch(cls.plugin, root);
  plugin::ApplyDescription(*description, spec);
  Status s = topology::ValidateWithPlugins(spec, description->classes);
  if (!s.ok()) ThrowInvalid(StripScratch(s.message(), root));
  const thrift::Topology topology = convert::ToThrift(spec, shas);
  ReplicatePlugins(topology);
  ThrowSubmit(N().Submit(topology, options.initial_status, Who().name));
  GALE_LOG(kInfo) << "submitted topology '" << spec.name << "' from YAML file " << request.file;
  out = spec.name;
}

}  // namespace gale::nimbus
