// core/window/snapshot.h
//
// How a persistent window (README.md, "Persistent windows") keeps its
// contents in its task's KeyValueState: under keys of Gale's own (bytes
// beginning "\0gale.window/", which a StatefulWindowedBolt's view of the
// state hides), one entry per saved tuple or pane and one for the engine's
// clock. The engines (TupleWindows, PaneReducer) write only what changed
// since their last save, so a checkpoint costs what entered and left.
#pragma once

#include "core/common/result.h"
#include "core/common/status.h"

#include <gale/state.h>
#include <gale/tuple.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace gale::window {

// The key of Gale's entry `name` (+ `id`, for one of many).
Value SnapshotKey(std::string_view name);
Value SnapshotKey(std::string_view name, int64_t id);
// Whether `key` is one of Gale's, and if so its name and id.
bool IsSnapshotKey(const Value& key);
bool ParseSnapshotKey(const Value& key, std::string_view* name, int64_t* id);

// Little helpers over the tuple codec's varints.
void PutInt(int64_t v, std::string& out);
bool GetInt(std::string_view& in, int64_t& v);

// The streams the saved tuples came from, so that a tuple read back has its
// fields (and its component and stream names): saved with the clock. The
// StreamMetas of tuples read back are owned here.
class StreamTable {
 public:
  uint32_t IndexOf(const StreamMeta* meta);
  const StreamMeta* At(uint32_t i) const { return i < metas_.size() ? metas_[i] : nullptr; }
  void Encode(std::string& out) const;
  Status Decode(std::string_view& in);

 private:
  std::vector<const StreamMeta*> metas_;
  std::deque<StreamMeta> owned_;
};

// One saved tuple: its stream, source task, time and values (no tree ids: a
// persistent window's tuples are acked once saved). Decoding advances `in`.
void EncodeSavedTuple(const Tuple& t, uint32_t stream, int64_t ts, std::string& out);
Status DecodeSavedTuple(std::string_view& in, const StreamTable& streams, std::optional<Tuple>* out,
                        int64_t* ts);

// Writes Gale's entries `name`/id for the ids in `dirty` (those changed
// since the last save): the bytes `content(id)` gives, or, when it gives
// nullopt (nothing left under that id), the deletion of the saved entry.
// `saved` tracks the ids in the state.
template <typename Ids, typename Content>
void SaveDirty(KeyValueState& state, std::string_view name, const Ids& dirty, Content&& content,
               std::set<int64_t>& saved) {
  for (const auto id : dirty) {
    const auto i = static_cast<int64_t>(id);
    std::optional<std::string> bytes = content(id);
    if (bytes) {
      state.Put(SnapshotKey(name, i), Bytes{std::move(*bytes)});
      saved.insert(i);
    } else if (saved.erase(i)) {
      state.Delete(SnapshotKey(name, i));
    }
  }
}

// Calls `f(id, bytes)` for each of Gale's entries `name`/id in `state`, and
// notes the ids in `saved`. False as soon as one is not bytes or `f` returns
// false (corrupt).
bool ForEachSaved(const KeyValueState& state, std::string_view name, std::set<int64_t>& saved,
                  const std::function<bool(int64_t id, std::string_view bytes)>& f);

// A view of a task's state without Gale's entries: what a
// StatefulWindowedBolt's InitState gets.
class UserStateView final : public KeyValueState {
 public:
  explicit UserStateView(KeyValueState& state) : state_(state) {}
  void Put(const Value& key, const Value& value) override;
  using KeyValueState::Get;
  std::optional<Value> Get(const Value& key) const override;
  bool Delete(const Value& key) override;
  size_t size() const override;
  void ForEach(const std::function<void(const Value&, const Value&)>& f) const override;

 private:
  KeyValueState& state_;
};

}  // namespace gale::window
