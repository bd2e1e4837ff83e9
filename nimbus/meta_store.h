// nimbus/meta_store.h
//
// Where nimbus keeps the cluster's state: the topologies with their
// assignments ("topologies/<id>"), the holders of RocksDB state
// ("state-holders"), the statistics windows ("stats") and, when nimbuses
// share the store, the index of stored plugins ("plugins/<sha256>"). Each
// record is one value, replaced whole and atomically.
//
// Two stores: the state directory (one nimbus, the default: each record a
// file <dir>/<key>.bin, as nimbus has always kept them) and ZooKeeper (HA:
// each record a znode under nimbus.zookeeper.root, written only while the
// writer leads; zk_meta_store in leader_elector.cc).
//
// Threading: not thread-safe; Nimbus calls it under its mutex.
#pragma once

#include "core/common/result.h"

#include <optional>
#include <string>
#include <vector>

namespace gale::nimbus {

class MetaStore {
 public:
  virtual ~MetaStore() = default;
  // For messages: "the state directory /var/gale/nimbus".
  virtual std::string Describe() const = 0;
  // Whether other nimbuses read it too (then the plugin index is kept).
  virtual bool shared() const = 0;
  virtual Status Put(const std::string& key, const std::string& bytes) = 0;
  // Absent is fine.
  virtual Status Remove(const std::string& key) = 0;
  // nullopt when there is no such record.
  virtual Result<std::optional<std::string>> Get(const std::string& key) = 0;
  // The names of the records under `folder` ("topologies" -> ids).
  virtual Result<std::vector<std::string>> List(const std::string& folder) = 0;
  // Keeps an unreadable record aside for a human (never deletes it) and
  // says where.
  virtual std::string SetAside(const std::string& key) = 0;
  // The RocksDB state of namespace `ns` that nimbus is about to hold while
  // it moves (its file in state-moves/, state_mover.h's StateFiles, too
  // large for a record): HA copies it to
  // every other nimbus that takes it, before the record that says nimbus
  // holds it is written, so that a new leader has it. One that cannot be
  // reached or fails the copy is skipped (logged): it lacks this copy, and
  // were it to lead, the record's SHA-256 tells (StateMover::Recover). One
  // nimbus: nothing to do. Thread-safe (called with no lock held).
  virtual void ShareStateFile(const std::string& /*ns*/) {}
};

class DirMetaStore final : public MetaStore {
 public:
  explicit DirMetaStore(std::string dir) : dir_(std::move(dir)) {}
  std::string Describe() const override { return "the state directory " + dir_; }
  bool shared() const override { return false; }
  Status Put(const std::string& key, const std::string& bytes) override;
  Status Remove(const std::string& key) override;
  Result<std::optional<std::string>> Get(const std::string& key) override;
  Result<std::vector<std::string>> List(const std::string& folder) override;
  std::string SetAside(const std::string& key) override;

 private:
  std::string PathOf(const std::string& key) const { return dir_ + "/" + key + ".bin"; }
  std::string dir_;
};

}  // namespace gale::nimbus
