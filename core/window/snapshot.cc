#include "core/window/snapshot.h"

#include "core/tuple/tuple_codec.h"

#include <stdexcept>
#include <utility>

namespace gale::window {
namespace {

constexpr std::string_view kPrefix{"\0gale.window/", 13};

Status Corrupt(const std::string& what) {
  return Status::InvalidArgument("a persistent window's saved " + what + " is corrupt");
}

bool GetString(std::string_view& in, std::string& out) {
  int64_t n = 0;
  if (!GetInt(in, n) || n < 0 || static_cast<uint64_t>(n) > in.size()) return false;
  out.assign(in.substr(0, static_cast<size_t>(n)));
  in.remove_prefix(static_cast<size_t>(n));
  return true;
}

void PutString(std::string_view s, std::string& out) {
  PutInt(static_cast<int64_t>(s.size()), out);
  out.append(s);
}

}  // namespace

void PutInt(int64_t v, std::string& out) {
  tuple::PutVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
}

bool GetInt(std::string_view& in, int64_t& v) {
  uint64_t u = 0;
  if (!tuple::GetVarint(in, u)) return false;
  v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return true;
}

Value SnapshotKey(std::string_view name) {
  std::string k(kPrefix);
  k.append(name);
  return Bytes{std::move(k)};
}

Value SnapshotKey(std::string_view name, int64_t id) {
  std::string k(kPrefix);
  k.append(name);
  k.push_back('/');
  PutInt(id, k);
  return Bytes{std::move(k)};
}

bool IsSnapshotKey(const Value& key) {
  return key.type() == ValueType::kBytes && key.AsBytes().data.starts_with(kPrefix);
}

bool ParseSnapshotKey(const Value& key, std::string_view* name, int64_t* id) {
  if (!IsSnapshotKey(key)) return false;
  std::string_view rest(key.AsBytes().data);
  rest.remove_prefix(kPrefix.size());
  const size_t slash = rest.find('/');
  *name = rest.substr(0, slash);
  *id = 0;
  if (slash == std::string_view::npos) return true;
  rest.remove_prefix(slash + 1);
  return GetInt(rest, *id) && rest.empty();
}

uint32_t StreamTable::IndexOf(const StreamMeta* meta) {
  for (size_t i = 0; i < metas_.size(); ++i) {
    if (metas_[i] == meta) return static_cast<uint32_t>(i);
  }
  // A stream read back and the live one are the same (component, stream).
  for (size_t i = 0; i < metas_.size(); ++i) {
    if (metas_[i]->component == meta->component && metas_[i]->stream == meta->stream) {
      metas_[i] = meta;
      return static_cast<uint32_t>(i);
    }
  }
  metas_.push_back(meta);
  return static_cast<uint32_t>(metas_.size() - 1);
}

void StreamTable::Encode(std::string& out) const {
  PutInt(static_cast<int64_t>(metas_.size()), out);
  for (const StreamMeta* m : metas_) {
    PutString(m->component, out);
    PutString(m->stream, out);
    PutInt(static_cast<int64_t>(m->fields.size()), out);
    for (const auto& f : m->fields) PutString(f, out);
  }
}

Status StreamTable::Decode(std::string_view& in) {
  metas_.clear();
  owned_.clear();
  int64_t n = 0;
  if (!GetInt(in, n) || n < 0 || static_cast<uint64_t>(n) > in.size()) return Corrupt("streams");
  for (int64_t i = 0; i < n; ++i) {
    StreamMeta m;
    int64_t nf = 0;
    if (!GetString(in, m.component) || !GetString(in, m.stream) || !GetInt(in, nf) || nf < 0 ||
        static_cast<uint64_t>(nf) > in.size()) {
      return Corrupt("streams");
    }
    std::vector<std::string> fields(static_cast<size_t>(nf));
    for (auto& f : fields) {
      if (!GetString(in, f)) return Corrupt("streams");
    }
    m.fields = Fields(std::move(fields));
    owned_.push_back(std::move(m));
    metas_.push_back(&owned_.back());
  }
  return Status::Ok();
}

void EncodeSavedTuple(const Tuple& t, uint32_t stream, int64_t ts, std::string& out) {
  PutInt(stream, out);
  PutInt(t.source_task(), out);
  PutInt(ts, out);
  tuple::EncodeValues(t.values(), out);
}

Status DecodeSavedTuple(std::string_view& in, const StreamTable& streams, std::optional<Tuple>* out,
                        int64_t* ts) {
  int64_t stream = 0, task = 0;
  if (!GetInt(in, stream) || !GetInt(in, task) || !GetInt(in, *ts)) return Corrupt("tuple");
  const StreamMeta* meta = stream >= 0 ? streams.At(static_cast<uint32_t>(stream)) : nullptr;
  if (meta == nullptr) return Corrupt("tuple (unknown stream)");
  Values values;
  if (!tuple::DecodeValues(in, values).ok()) return Corrupt("tuple");
  out->emplace(meta, static_cast<int32_t>(task), std::move(values));
  return Status::Ok();
}

bool ForEachSaved(const KeyValueState& state, std::string_view name, std::set<int64_t>& saved,
                  const std::function<bool(int64_t id, std::string_view bytes)>& f) {
  bool ok = true;
  state.ForEach([&](const Value& key, const Value& value) {
    std::string_view n;
    int64_t id = 0;
    if (!ok || !ParseSnapshotKey(key, &n, &id) || n != name) return;
    ok = value.type() == ValueType::kBytes && f(id, value.AsBytes().data);
    saved.insert(id);
  });
  return ok;
}

void UserStateView::Put(const Value& key, const Value& value) {
  if (IsSnapshotKey(key)) {
    throw std::invalid_argument("keys beginning \"\\0gale.window/\" are Gale's own");
  }
  state_.Put(key, value);
}

std::optional<Value> UserStateView::Get(const Value& key) const {
  if (IsSnapshotKey(key)) return std::nullopt;
  return state_.Get(key);
}

bool UserStateView::Delete(const Value& key) { return !IsSnapshotKey(key) && state_.Delete(key); }

size_t UserStateView::size() const {
  size_t n = 0;
  ForEach([&](const Value&, const Value&) { ++n; });
  return n;
}

void UserStateView::ForEach(const std::function<void(const Value&, const Value&)>& f) const {
  state_.ForEach([&](const Value& k, const Value& v) {
    if (!IsSnapshotKey(k)) f(k, v);
  });
}

}  // namespace gale::window
