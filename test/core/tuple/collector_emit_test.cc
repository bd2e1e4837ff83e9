// The collectors' Emit overloads hand the runtime's EmitTo the values as
// the caller meant them: an rvalue moved (the caller's Values left empty),
// an lvalue copied (left as it was), a braced list built in place, with the
// stream, anchors, message id and direct task passed on unchanged. They
// take `Values&&`-or-copy rather than a by-value parameter, which moved
// every tuple's values once more (output_collector.h).
#include <gale/output_collector.h>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

namespace gale {
namespace {

struct Call {
  std::string stream;
  std::vector<const Tuple*> anchors;
  Values values;
  std::optional<MessageId> id;
  int32_t task = -1;  // direct emits only
};

class RecordingCollector : public OutputCollector {
 public:
  std::vector<Call> calls;
  void Ack(const Tuple&) override {}
  void Fail(const Tuple&) override {}
  void ResetTimeout(const Tuple&) override {}
  void ReportError(std::string_view) override {}

 protected:
  TaskIds EmitTo(std::string_view stream, AnchorSpan anchors, Values&& values) override {
    calls.push_back(
        {std::string(stream), {anchors.begin(), anchors.end()}, std::move(values), {}, -1});
    return {};
  }
  void EmitDirectTo(int32_t task, std::string_view stream, AnchorSpan anchors,
                    Values&& values) override {
    calls.push_back(
        {std::string(stream), {anchors.begin(), anchors.end()}, std::move(values), {}, task});
  }
};

class RecordingSpoutCollector : public SpoutOutputCollector {
 public:
  std::vector<Call> calls;
  void ReportError(std::string_view) override {}

 protected:
  TaskIds EmitTo(std::string_view stream, Values&& values, const MessageId* id) override {
    calls.push_back({std::string(stream), {}, std::move(values), Optional(id), -1});
    return {};
  }
  void EmitDirectTo(int32_t task, std::string_view stream, Values&& values,
                    const MessageId* id) override {
    calls.push_back({std::string(stream), {}, std::move(values), Optional(id), task});
  }

 private:
  static std::optional<MessageId> Optional(const MessageId* id) {
    return id ? std::optional<MessageId>(*id) : std::nullopt;
  }
};

// Longer than std::string's inline buffer, so a copy and a move differ.
const std::string kLong = "a value long enough to live on the heap, not inline";

// Only Values (and braced lists) are emitted: nothing else converts.
template <typename C, typename A>
concept CanEmit = requires(C& c, A&& a) {
  c.Emit(std::forward<A>(a));
};
static_assert(CanEmit<RecordingSpoutCollector, Values>);
static_assert(CanEmit<RecordingSpoutCollector, Values&>);
static_assert(CanEmit<RecordingSpoutCollector, const Values&>);
static_assert(!CanEmit<RecordingSpoutCollector, int>);
static_assert(!CanEmit<RecordingSpoutCollector, std::string>);
static_assert(CanEmit<RecordingCollector, Values>);
static_assert(!CanEmit<RecordingCollector, const Tuple&>);

// Anchors: one input, a vector or an Anchors (a braced list: the tests).
template <typename C, typename A>
concept CanEmitAnchored = requires(C& c, A&& a) {
  c.Emit(std::forward<A>(a), Values{});
  c.Emit(Stream{"s"}, std::forward<A>(a), Values{});
  c.EmitDirect(1, std::forward<A>(a), Values{});
  c.EmitDirect(1, Stream{"s"}, std::forward<A>(a), Values{});
};
static_assert(CanEmitAnchored<RecordingCollector, const Tuple&>);
static_assert(CanEmitAnchored<RecordingCollector, const std::vector<const Tuple*>&>);
static_assert(CanEmitAnchored<RecordingCollector, std::vector<const Tuple*>>);
static_assert(CanEmitAnchored<RecordingCollector, const Anchors&>);
static_assert(CanEmitAnchored<RecordingCollector, Anchors>);

TEST_CASE("Spout Emit moves an rvalue, copies an lvalue and builds a braced list", "[tuple]") {
  RecordingSpoutCollector c;
  Values moved{kLong, int64_t{1}};
  Values kept{kLong, int64_t{2}};
  const Values constant{kLong, int64_t{3}};
  c.Emit(std::move(moved));
  c.Emit(kept, MessageId{7});
  c.Emit(Stream{"side"}, constant);
  c.Emit(Stream{"side"}, {kLong, int64_t{4}}, MessageId{8});
  c.EmitDirect(5, Values{kLong});
  c.EmitDirect(6, Stream{"direct"}, kept, MessageId{9});

  REQUIRE(c.calls.size() == 6);
  CHECK(moved.empty());
  CHECK(kept == Values{kLong, int64_t{2}});
  CHECK(constant == Values{kLong, int64_t{3}});
  CHECK(c.calls[0].values == Values{kLong, int64_t{1}});
  CHECK(c.calls[0].stream == std::string(kDefaultStream));
  CHECK_FALSE(c.calls[0].id.has_value());
  CHECK(c.calls[1].values == Values{kLong, int64_t{2}});
  CHECK(c.calls[1].id == MessageId{7});
  CHECK(c.calls[2].stream == "side");
  CHECK(c.calls[2].values == Values{kLong, int64_t{3}});
  CHECK(c.calls[3].values == Values{kLong, int64_t{4}});
  CHECK(c.calls[3].id == MessageId{8});
  CHECK(c.calls[4].task == 5);
  CHECK(c.calls[4].values == Values{kLong});
  CHECK(c.calls[5].task == 6);
  CHECK(c.calls[5].stream == "direct");
  CHECK(c.calls[5].id == MessageId{9});
  CHECK(c.calls[5].values == Values{kLong, int64_t{2}});
}

TEST_CASE("Bolt Emit passes values, anchors and streams on as given", "[tuple]") {
  StreamMeta meta{"src", std::string(kDefaultStream), Fields({"v"}), false, 0};
  const Tuple a(&meta, 1, Values{int64_t{1}});
  const Tuple b(&meta, 1, Values{int64_t{2}});
  RecordingCollector c;
  Values moved{kLong};
  Values kept{kLong, int64_t{5}};
  c.Emit(std::move(moved));
  c.Emit(a, kept);
  c.Emit({&a, &b}, {kLong, int64_t{6}});
  c.Emit(Stream{"s"}, a, Values{int64_t{7}});
  c.EmitDirect(9, Stream{"d"}, {&b}, kept);

  REQUIRE(c.calls.size() == 5);
  CHECK(moved.empty());
  CHECK(kept == Values{kLong, int64_t{5}});
  CHECK(c.calls[0].values == Values{kLong});
  CHECK(c.calls[0].anchors.empty());
  CHECK(c.calls[1].anchors == std::vector<const Tuple*>{&a});
  CHECK(c.calls[1].values == kept);
  CHECK(c.calls[2].anchors == std::vector<const Tuple*>{&a, &b});
  CHECK(c.calls[2].values == Values{kLong, int64_t{6}});
  CHECK(c.calls[3].stream == "s");
  CHECK(c.calls[3].values == Values{int64_t{7}});
  CHECK(c.calls[4].task == 9);
  CHECK(c.calls[4].stream == "d");
  CHECK(c.calls[4].anchors == std::vector<const Tuple*>{&b});
  CHECK(c.calls[4].values == kept);
}

// Returns an Anchors built from a braced list in a frame that is gone by
// the time it is used. When Anchors kept the list's pointer, it pointed
// into this dead frame (ASan: stack-use-after-return/scope; without ASan,
// whatever the next call left there).
[[gnu::noinline]] Anchors MakeAnchors(const Tuple& a, const Tuple& b) { return {&a, &b}; }
[[gnu::noinline]] void OverwriteStack() {
  const void* volatile junk[256];
  for (auto& j : junk) j = nullptr;
}

TEST_CASE("An Anchors kept in a variable still names its tuples when used later", "[tuple]") {
  StreamMeta meta{"src", std::string(kDefaultStream), Fields({"v"}), false, 0};
  std::vector<Tuple> tuples;
  for (int i = 0; i < 12; ++i) tuples.emplace_back(&meta, 1, Values{int64_t{i}});
  const Tuple& a = tuples[0];
  const Tuple& b = tuples[1];
  const Tuple& c = tuples[2];
  RecordingCollector col;

  const Anchors returned = MakeAnchors(a, b);
  Anchors listed = {&b, &c};  // the braced list's array ends with this statement
  Anchors from_vector = std::vector<const Tuple*>{&c, &a};  // and so does this vector
  OverwriteStack();
  col.Emit(returned, Values{int64_t{1}});
  col.Emit(Stream{"s"}, listed, Values{int64_t{2}});
  col.EmitDirect(4, from_vector, Values{int64_t{3}});
  col.EmitDirect(5, Stream{"d"}, returned, Values{int64_t{4}});

  // More than kInline spill to the heap; copies and moves own their pointers.
  std::vector<const Tuple*> all;
  Anchors many;
  for (const Tuple& t : tuples) {
    many.push_back(&t);
    all.push_back(&t);
  }
  static_assert(Anchors::kInline < 12);
  Anchors copied = many;
  listed = many;  // from inline to heap storage
  Anchors moved = std::move(many);
  col.Emit(copied, Values{int64_t{5}});
  col.Emit(moved, Values{int64_t{6}});
  col.Emit(listed, Values{int64_t{7}});
  moved = returned;  // from heap back to inline
  col.Emit(moved, Values{int64_t{8}});

  using Ptrs = std::vector<const Tuple*>;
  REQUIRE(col.calls.size() == 8);
  CHECK(col.calls[0].anchors == Ptrs{&a, &b});
  CHECK(col.calls[1].stream == "s");
  CHECK(col.calls[1].anchors == Ptrs{&b, &c});
  CHECK(col.calls[2].task == 4);
  CHECK(col.calls[2].anchors == Ptrs{&c, &a});
  CHECK(col.calls[3].task == 5);
  CHECK(col.calls[3].anchors == Ptrs{&a, &b});
  CHECK(col.calls[4].anchors == all);
  CHECK(col.calls[5].anchors == all);
  CHECK(col.calls[6].anchors == all);
  CHECK(col.calls[7].anchors == Ptrs{&a, &b});
  CHECK(returned.size() == 2);
  CHECK(copied.size() == 12);
}

}  // namespace
}  // namespace gale
