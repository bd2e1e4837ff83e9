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
  TaskIds EmitTo(std::string_view stream, Anchors anchors, Values&& values) override {
    calls.push_back({std::string(stream), {anchors.begin(), anchors.end()}, std::move(values), {}, -1});
    return {};
  }
  void EmitDirectTo(int32_t task, std::string_view stream, Anchors anchors,
                    Values&& values) override {
    calls.push_back({std::string(stream), {anchors.begin(), anchors.end()}, std::move(values), {}, task});
  }
};

class RecordingSpoutCollector : public SpoutOutputCollector {
 public:
  std::vector<Call> calls;
  void ReportError(std::string_view) override {}

 protected:
  TaskIds EmitTo(std::string_view stream, Values&& values, std::optional<MessageId> id) override {
    calls.push_back({std::string(stream), {}, std::move(values), id, -1});
    return {};
  }
  void EmitDirectTo(int32_t task, std::string_view stream, Values&& values,
                    std::optional<MessageId> id) override {
    calls.push_back({std::string(stream), {}, std::move(values), id, task});
  }
};

// Longer than std::string's inline buffer, so a copy and a move differ.
const std::string kLong = "a value long enough to live on the heap, not inline";

// Only Values (and braced lists) are emitted: nothing else converts.
template <typename C, typename A>
concept CanEmit = requires(C& c, A&& a) { c.Emit(std::forward<A>(a)); };
static_assert(CanEmit<RecordingSpoutCollector, Values>);
static_assert(CanEmit<RecordingSpoutCollector, Values&>);
static_assert(CanEmit<RecordingSpoutCollector, const Values&>);
static_assert(!CanEmit<RecordingSpoutCollector, int>);
static_assert(!CanEmit<RecordingSpoutCollector, std::string>);
static_assert(CanEmit<RecordingCollector, Values>);
static_assert(!CanEmit<RecordingCollector, const Tuple&>);

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

}  // namespace
}  // namespace gale
