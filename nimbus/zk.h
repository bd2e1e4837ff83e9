// nimbus/zk.h
//
// A ZooKeeper session through the C client (libzookeeper-mt): the few
// synchronous calls nimbus's HA needs (election nodes, cluster state
// znodes), each turned into a Status that names the path. Included by
// nimbus's HA files only (it brings in zookeeper.h).
//
// A session that expires stays expired: its owner makes a new one (and
// with it new ephemeral nodes), never reusing the old, so that nothing
// written after an expiry can pass for the old session's.
//
// Threading: the calls are thread-safe (the C client's own); `on_event`
// runs on the client's event thread and must only signal.
#pragma once

#include "core/common/result.h"

#include <zookeeper/zookeeper.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gale::nimbus {

class ZkSession {
 public:
  // Starts connecting to `servers` ("host:port,host:port"); Connected()
  // tells when it is. `on_event`: any session or watch event.
  static Result<std::unique_ptr<ZkSession>> Open(const std::string& servers,
                                                 std::chrono::milliseconds session_timeout,
                                                 std::function<void()> on_event);
  ~ZkSession();
  ZkSession(const ZkSession&) = delete;
  ZkSession& operator=(const ZkSession&) = delete;

  bool Connected() const;
  bool Expired() const;
  // Waits up to `timeout` for the first connection.
  bool WaitConnected(std::chrono::milliseconds timeout) const;
  const std::string& servers() const { return servers_; }

  // Creates `path` and its parents as persistent empty nodes (existing
  // ones are fine).
  Status EnsurePath(const std::string& path);
  // Creates an ephemeral sequential node `prefix`NNNNNNNNNN holding `data`;
  // the created path.
  Result<std::string> CreateEphemeralSequential(const std::string& prefix, const std::string& data);
  // The data of `path`; nullopt when there is no such node.
  Result<std::optional<std::string>> Get(const std::string& path);
  // Writes `data` to `path` (creating it), only while `fence` (a node of
  // this session, "" for none) exists: one atomic multi-operation.
  Status Put(const std::string& path, const std::string& data, const std::string& fence = "");
  // Deletes `path` (absent is fine), only while `fence` exists.
  Status Delete(const std::string& path, const std::string& fence = "");
  // Whether `path` is an ephemeral node of this session (false when absent).
  Result<bool> OwnedByThisSession(const std::string& path);
  // The children's names; `watch`: the next change of them fires on_event.
  Result<std::vector<std::string>> Children(const std::string& path, bool watch = false);

  // ZooKeeper's own limit on one node's data (jute.maxbuffer, 1 MiB by
  // default) less room for the request around it.
  static constexpr size_t kMaxNodeBytes = (1 << 20) - (16 << 10);

 private:
  ZkSession() = default;
  static void Watcher(zhandle_t* zh, int type, int state, const char* path, void* ctx);
  Status Error(int rc, const std::string& what, const std::string& path) const;

  std::string servers_;
  zhandle_t* zh_ = nullptr;
  std::function<void()> on_event_;
};

}  // namespace gale::nimbus
