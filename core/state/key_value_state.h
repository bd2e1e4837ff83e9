// core/state/key_value_state.h
//
// gale::KeyValueState over a StateStore: the committed entries loaded once
// and kept in memory with the changes made since, which PrepareCommit()
// writes to the store as one prepared txid and Rollback() undoes (in memory
// too). Keys and values are encoded with the tuple codec, so any gale::Value
// is a key.
#pragma once

#include "core/state/state_store.h"

#include <gale/state.h>

#include <memory>
#include <string>
#include <unordered_map>

namespace gale::state {

class KeyValueStateImpl final : public KeyValueState {
 public:
  // Loads the committed state. A prepared txid the store holds is left for
  // the caller (prepared_txid()): the protocol commits or rolls it back.
  static Result<std::unique_ptr<KeyValueStateImpl>> Open(std::unique_ptr<StateStore> store);
  // The same, taking `store` only when it succeeds: after an error the
  // caller still has it, to try again (a store that is down for a while).
  static Result<std::unique_ptr<KeyValueStateImpl>> OpenFrom(std::unique_ptr<StateStore>& store);
  // Gives the store back (the state is unusable afterwards).
  std::unique_ptr<StateStore> ReleaseStore() { return std::move(store_); }

  void Put(const Value& key, const Value& value) override;
  using KeyValueState::Get;
  std::optional<Value> Get(const Value& key) const override;
  bool Delete(const Value& key) override;
  size_t size() const override { return entries_.size(); }
  void ForEach(const std::function<void(const Value&, const Value&)>& f) const override;

  // Storm's prepareCommit / commit / rollback.
  Status PrepareCommit(int64_t txid);
  Status Commit(int64_t txid);
  Status Rollback();

  int64_t committed_txid() const { return committed_txid_; }
  int64_t prepared_txid() const { return prepared_txid_; }
  // Keys changed since the last commit.
  size_t uncommitted_changes() const { return undo_.size(); }
  StateStore& store() { return *store_; }

 private:
  struct Entry {
    Value key;
    Value value;
  };
  explicit KeyValueStateImpl(std::unique_ptr<StateStore> store) : store_(std::move(store)) {}
  static std::string Encode(const Value& v);
  // Notes the entry of `encoded` before its first change since the last
  // commit (and since the last prepare, while one is pending).
  void RememberOriginal(const std::string& encoded);

  std::unique_ptr<StateStore> store_;
  std::unordered_map<std::string, Entry> entries_;  // by encoded key
  // For each key changed since the last commit: its committed entry, or
  // nullopt when it had none.
  std::unordered_map<std::string, std::optional<Entry>> undo_;
  // While a txid is prepared and not committed: each key changed since the
  // prepare, with its entry at the prepare. At the commit these become the
  // changes since the last commit (inputs keep running between PREPARE and
  // COMMIT; their changes belong to the next txid).
  std::unordered_map<std::string, std::optional<Entry>> after_prepare_;
  int64_t committed_txid_ = kNoTxid;
  int64_t prepared_txid_ = kNoTxid;
};

}  // namespace gale::state
