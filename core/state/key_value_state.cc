#include "core/state/key_value_state.h"

#include "core/tuple/tuple_codec.h"

namespace gale::state {

std::string KeyValueStateImpl::Encode(const Value& v) {
  std::string out;
  tuple::EncodeValues(Values{v}, out);
  return out;
}

Result<std::unique_ptr<KeyValueStateImpl>> KeyValueStateImpl::Open(
    std::unique_ptr<StateStore> store) {
  return OpenFrom(store);
}

Result<std::unique_ptr<KeyValueStateImpl>> KeyValueStateImpl::OpenFrom(
    std::unique_ptr<StateStore>& store) {
  GALE_ASSIGN_OR_RETURN(Committed committed, store->Load());
  std::unique_ptr<KeyValueStateImpl> s(new KeyValueStateImpl(std::move(store)));
  s->committed_txid_ = committed.txid;
  s->prepared_txid_ = committed.prepared_txid;
  for (auto& [k, v] : committed.entries) {
    std::string_view kin = k, vin = v;
    Values key, value;
    if (!tuple::DecodeValues(kin, key).ok() || !tuple::DecodeValues(vin, value).ok() ||
        key.size() != 1 || value.size() != 1) {
      Status error =
          Status::Internal(s->store_->Describe() + ": a committed entry does not decode");
      store = s->ReleaseStore();
      return error;
    }
    s->entries_.emplace(k, Entry{std::move(key[0]), std::move(value[0])});
  }
  return s;
}

void KeyValueStateImpl::RememberOriginal(const std::string& encoded) {
  auto note = [&](std::unordered_map<std::string, std::optional<Entry>>& log) {
    if (log.count(encoded)) return;
    auto it = entries_.find(encoded);
    log.emplace(encoded, it == entries_.end() ? std::nullopt : std::optional<Entry>(it->second));
  };
  note(undo_);
  if (prepared_txid_ != kNoTxid) note(after_prepare_);
}

void KeyValueStateImpl::Put(const Value& key, const Value& value) {
  std::string k = Encode(key);
  RememberOriginal(k);
  auto [it, inserted] = entries_.try_emplace(std::move(k), Entry{key, value});
  if (!inserted) it->second.value = value;
}

std::optional<Value> KeyValueStateImpl::Get(const Value& key) const {
  auto it = entries_.find(Encode(key));
  if (it == entries_.end()) return std::nullopt;
  return it->second.value;
}

bool KeyValueStateImpl::Delete(const Value& key) {
  const std::string k = Encode(key);
  auto it = entries_.find(k);
  if (it == entries_.end()) return false;
  RememberOriginal(k);
  entries_.erase(k);
  return true;
}

void KeyValueStateImpl::ForEach(const std::function<void(const Value&, const Value&)>& f) const {
  for (const auto& [k, e] : entries_) f(e.key, e.value);
}

Status KeyValueStateImpl::PrepareCommit(int64_t txid) {
  Changes changes;
  for (const auto& [k, original] : undo_) {
    auto it = entries_.find(k);
    if (it == entries_.end()) {
      if (original) changes.emplace(k, std::nullopt);
    } else {
      changes.emplace(k, Encode(it->second.value));
    }
  }
  GALE_RETURN_IF_ERROR(store_->Prepare(txid, changes));
  prepared_txid_ = txid;
  after_prepare_.clear();
  return Status::Ok();
}

Status KeyValueStateImpl::Commit(int64_t txid) {
  GALE_RETURN_IF_ERROR(store_->Commit(txid));
  if (prepared_txid_ == txid) {
    // The store now has the entries as they were at the prepare; what
    // changed since is the next txid's, against those entries.
    undo_ = std::move(after_prepare_);
  }
  after_prepare_.clear();
  committed_txid_ = txid;
  prepared_txid_ = kNoTxid;
  return Status::Ok();
}

Status KeyValueStateImpl::Rollback() {
  GALE_RETURN_IF_ERROR(store_->Rollback());
  for (auto& [k, original] : undo_) {
    if (original) {
      entries_[k] = std::move(*original);
    } else {
      entries_.erase(k);
    }
  }
  undo_.clear();
  after_prepare_.clear();
  prepared_txid_ = kNoTxid;
  return Status::Ok();
}

}  // namespace gale::state
