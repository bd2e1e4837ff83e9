#include "nimbus/zk.h"

#include "core/common/logging.h"

#include <cerrno>
#include <cstring>
#include <thread>

namespace gale::nimbus {
namespace {

// The C client logs every failed connect at ERROR: while a ZooKeeper server
// restarts that is a line per attempt. Our own lines say what matters.
void LogFromClient(const char* message) { GALE_LOG(kDebug) << "zookeeper: " << message; }

}  // namespace

Result<std::unique_ptr<ZkSession>> ZkSession::Open(const std::string& servers,
                                                   std::chrono::milliseconds session_timeout,
                                                   std::function<void()> on_event) {
  static const bool quiet = [] {
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
    return true;
  }();
  (void)quiet;
  std::unique_ptr<ZkSession> s(new ZkSession());
  s->servers_ = servers;
  s->on_event_ = std::move(on_event);
  s->zh_ = zookeeper_init2(servers.c_str(), &ZkSession::Watcher,
                           static_cast<int>(session_timeout.count()), nullptr, s.get(), 0,
                           &LogFromClient);
  if (s->zh_ == nullptr) {
    return Status::InvalidArgument("cannot use ZooKeeper servers '" + servers +
                                   "': " + std::strerror(errno));
  }
  return s;
}

ZkSession::~ZkSession() {
  // Closing ends the session at once: its ephemeral nodes (an election
  // node) go now, not after the session timeout.
  if (zh_ != nullptr) zookeeper_close(zh_);
}

void ZkSession::Watcher(zhandle_t*, int, int, const char*, void* ctx) {
  auto* self = static_cast<ZkSession*>(ctx);
  if (self != nullptr && self->on_event_) self->on_event_();
}

bool ZkSession::Connected() const { return zoo_state(zh_) == ZOO_CONNECTED_STATE; }

bool ZkSession::Expired() const {
  const int state = zoo_state(zh_);
  return state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE;
}

bool ZkSession::WaitConnected(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!Connected()) {
    if (Expired() || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

Status ZkSession::Error(int rc, const std::string& what, const std::string& path) const {
  std::string msg = "ZooKeeper (" + servers_ + "): cannot " + what + " " + path + ": " + zerror(rc);
  switch (rc) {
    case ZNONODE: return Status::NotFound(msg);
    case ZNODEEXISTS: return Status::AlreadyExists(msg);
    case ZCONNECTIONLOSS:
    case ZOPERATIONTIMEOUT:
    case ZSESSIONEXPIRED:
    case ZINVALIDSTATE:
    case ZCLOSING: return Status::Unavailable(msg);
    default: return Status::Internal(msg);
  }
}

Status ZkSession::EnsurePath(const std::string& path) {
  for (size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/') continue;
    const std::string prefix = path.substr(0, at);
    const int rc = zoo_create(zh_, prefix.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE,
                              ZOO_PERSISTENT, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) return Error(rc, "create", prefix);
  }
  return Status::Ok();
}

Result<std::string> ZkSession::CreateEphemeralSequential(const std::string& prefix,
                                                         const std::string& data) {
  std::string created(prefix.size() + 32, '\0');
  const int rc = zoo_create(zh_, prefix.c_str(), data.data(), static_cast<int>(data.size()),
                            &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL_SEQUENTIAL, created.data(),
                            static_cast<int>(created.size()));
  if (rc != ZOK) return Error(rc, "create", prefix);
  created.resize(std::strlen(created.c_str()));
  return created;
}

Result<std::optional<std::string>> ZkSession::Get(const std::string& path) {
  // The size first, then the data; a node that grows in between is read
  // again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    Stat stat{};
    int rc = zoo_exists(zh_, path.c_str(), 0, &stat);
    if (rc == ZNONODE) return std::optional<std::string>();
    if (rc != ZOK) return Error(rc, "read", path);
    std::string data(static_cast<size_t>(stat.dataLength) + 1, '\0');
    int len = static_cast<int>(data.size());
    rc = zoo_get(zh_, path.c_str(), 0, data.data(), &len, &stat);
    if (rc == ZNONODE) return std::optional<std::string>();
    if (rc != ZOK) return Error(rc, "read", path);
    if (len < 0) len = 0;
    if (static_cast<size_t>(len) < data.size()) {
      data.resize(static_cast<size_t>(len));
      return std::optional<std::string>(std::move(data));
    }
  }
  return Status::Internal("ZooKeeper (" + servers_ + "): " + path + " kept changing size");
}

Status ZkSession::Put(const std::string& path, const std::string& data, const std::string& fence) {
  if (data.size() > kMaxNodeBytes) {
    return Status::InvalidArgument(path + " would hold " + std::to_string(data.size()) +
                                   " bytes; a ZooKeeper node holds at most " +
                                   std::to_string(kMaxNodeBytes));
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    Stat stat{};
    int rc = zoo_exists(zh_, path.c_str(), 0, &stat);
    if (rc != ZOK && rc != ZNONODE) return Error(rc, "read", path);
    const bool exists = rc == ZOK;
    zoo_op_t ops[2];
    zoo_op_result_t results[2];
    int n = 0;
    if (!fence.empty()) zoo_check_op_init(&ops[n++], fence.c_str(), -1);
    if (exists) {
      zoo_set_op_init(&ops[n++], path.c_str(), data.data(), static_cast<int>(data.size()),
                      stat.version, nullptr);
    } else {
      zoo_create_op_init(&ops[n++], path.c_str(), data.data(), static_cast<int>(data.size()),
                         &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr, 0);
    }
    rc = zoo_multi(zh_, n, ops, results);
    if (rc == ZOK) return Status::Ok();
    // Someone else created or changed it in between: read again.
    if (rc == ZNODEEXISTS || rc == ZBADVERSION ||
        (rc == ZNONODE && (fence.empty() || results[0].err == ZOK))) {
      continue;
    }
    if (rc == ZNONODE && !fence.empty()) {
      return Status::FailedPrecondition("ZooKeeper (" + servers_ + "): not written to " + path +
                                        ": " + fence + " is gone (no longer the leader)");
    }
    return Error(rc, "write", path);
  }
  return Status::Unavailable("ZooKeeper (" + servers_ + "): " + path +
                             " changed under every write attempt");
}

Status ZkSession::Delete(const std::string& path, const std::string& fence) {
  zoo_op_t ops[2];
  zoo_op_result_t results[2];
  int n = 0;
  if (!fence.empty()) zoo_check_op_init(&ops[n++], fence.c_str(), -1);
  zoo_delete_op_init(&ops[n++], path.c_str(), -1);
  const int rc = zoo_multi(zh_, n, ops, results);
  if (rc == ZOK) return Status::Ok();
  if (rc == ZNONODE && (fence.empty() || results[0].err == ZOK)) return Status::Ok();
  if (rc == ZNONODE) {
    return Status::FailedPrecondition("ZooKeeper (" + servers_ + "): " + path +
                                      " not deleted: " + fence + " is gone (no longer the leader)");
  }
  return Error(rc, "delete", path);
}

Result<bool> ZkSession::OwnedByThisSession(const std::string& path) {
  Stat stat{};
  const int rc = zoo_exists(zh_, path.c_str(), 0, &stat);
  if (rc == ZNONODE) return false;
  if (rc != ZOK) return Error(rc, "read", path);
  const clientid_t* me = zoo_client_id(zh_);
  return me != nullptr && stat.ephemeralOwner == me->client_id;
}

Result<std::vector<std::string>> ZkSession::Children(const std::string& path, bool watch) {
  String_vector children{};
  const int rc = watch ? zoo_wget_children(zh_, path.c_str(), &ZkSession::Watcher, this, &children)
                       : zoo_get_children(zh_, path.c_str(), 0, &children);
  if (rc == ZNONODE) return std::vector<std::string>();
  if (rc != ZOK) return Error(rc, "list", path);
  std::vector<std::string> out;
  for (int i = 0; i < children.count; ++i) out.emplace_back(children.data[i]);
  deallocate_String_vector(&children);
  return out;
}

}  // namespace gale::nimbus
