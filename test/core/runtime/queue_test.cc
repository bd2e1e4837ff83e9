#include "core/runtime/queue.h"
#include "core/tuple/tuple_access.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

namespace gale::runtime {
namespace {

const StreamMeta kMeta{"c", "default", Fields{"v"}, false, 0};

// `n` envelopes for task `task` carrying 0..n-1 from `first`.
Batch Numbers(int32_t task, int64_t first, int64_t n) {
  Batch b;
  for (int64_t i = 0; i < n; ++i) b.emplace_back(task, &kMeta, 1, Values{first + i});
  return b;
}

std::vector<int64_t> Flatten(const std::vector<Batch>& batches) {
  std::vector<int64_t> out;
  for (const auto& b : batches) {
    for (const auto& e : b) out.push_back(e.tuple.GetInt(0));
  }
  return out;
}

TEST_CASE("InputQueue hands over whole batches, oldest first", "[runtime]") {
  InputQueue q(100);
  Batch a = Numbers(2, 0, 3), b = Numbers(2, 3, 2);
  REQUIRE(q.TryPush(a));
  REQUIRE(q.TryPush(b));
  CHECK(a.empty());
  CHECK(b.empty());
  CHECK(q.size() == 5);
  std::vector<Batch> out;
  q.PopAll(out, Nanos(0));
  CHECK(out.size() == 2);
  CHECK(Flatten(out) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(q.size() == 0);
  Batch empty;
  CHECK(q.TryPush(empty));  // nothing to queue
  CHECK(q.size() == 0);
}

TEST_CASE("InputQueue's fill is what it holds over its capacity, and 0 once popped", "[runtime]") {
  InputQueue q(8);
  CHECK(q.Fill() == 0.0);
  Batch a = Numbers(2, 0, 2);
  REQUIRE(q.TryPush(a));
  CHECK(q.Fill() == 0.25);
  Batch b = Numbers(2, 2, 10);  // overshoots the capacity
  REQUIRE(q.TryPush(b));
  CHECK(q.Fill() == 1.5);
  std::vector<Batch> out;
  q.PopAll(out, Nanos(0));
  CHECK(q.Fill() == 0.0);
}

TEST_CASE("InputQueue refuses a batch when full and keeps nothing of it", "[runtime]") {
  InputQueue q(4);
  Batch a = Numbers(2, 0, 6);  // overshoots: any batch fits into a queue with room
  REQUIRE(q.TryPush(a));
  Batch b = Numbers(2, 6, 2);
  CHECK_FALSE(q.TryPush(b));
  CHECK(b.size() == 2);  // untouched, still the producer's
  CHECK(b[0].tuple.GetInt(0) == 6);
  CHECK(q.size() == 6);
  std::vector<Batch> out;
  q.PopAll(out, Nanos(0));
  CHECK(Flatten(out) == std::vector<int64_t>{0, 1, 2, 3, 4, 5});
  REQUIRE(q.TryPush(b));
}

TEST_CASE("A batch of rows counts as its rows in the queue's capacity and fill",
          "[runtime][rows]") {
  InputQueue q(10);
  Batch a = Numbers(2, 0, 1);
  a[0].rows = 8;  // as Executor::SendRow marks a batch of 8 rows
  REQUIRE(q.TryPush(a));
  CHECK(q.size() == 8);
  CHECK(q.Fill() == Approx(0.8));
  Batch b = Numbers(2, 1, 2);
  REQUIRE(q.TryPush(b));  // 8 < 10: room
  CHECK(q.size() == 10);
  Batch c = Numbers(2, 3, 1);
  CHECK_FALSE(q.TryPush(c));  // full at 10 tuples, though it holds 3 envelopes
  std::vector<Batch> out;
  q.PopAll(out, Nanos(0));
  CHECK(Flatten(out) == std::vector<int64_t>{0, 1, 2});
  CHECK(q.size() == 0);
  REQUIRE(q.TryPush(c));
  CHECK(q.size() == 1);
}

TEST_CASE("ForcePush ignores the capacity and keeps the order", "[runtime]") {
  InputQueue q(1);
  Batch a = Numbers(2, 0, 2);
  REQUIRE(q.TryPush(a));
  q.ForcePush(Envelope(Envelope::kAllTasks, &kMeta, -1, Values{int64_t{10}}));
  Batch sys = Numbers(3, 20, 2);
  q.ForcePushAll(sys);
  CHECK(sys.empty());
  CHECK(q.size() == 5);
  std::vector<Batch> out;
  q.PopAll(out, Nanos(0));
  CHECK(Flatten(out) == std::vector<int64_t>{0, 1, 10, 20, 21});
  // ForcePush into an empty queue.
  q.Recycle(out);
  q.ForcePush(Envelope(Envelope::kAllTasks, &kMeta, -1, Values{int64_t{30}}));
  q.PopAll(out, Nanos(0));
  CHECK(Flatten(out) == std::vector<int64_t>{30});
}

TEST_CASE("Recycled vectors go back to producers with their capacity", "[runtime]") {
  InputQueue q(1000);
  Batch a = Numbers(2, 0, 64);
  const Envelope* storage = a.data();
  REQUIRE(q.TryPush(a));
  // No spare yet: a new vector with room for a batch of the same size.
  CHECK(a.empty());
  CHECK(a.capacity() >= 64);
  CHECK(a.data() != storage);
  std::vector<Batch> out;
  q.PopAll(out, Nanos(0));
  q.Recycle(out);
  CHECK(out.empty());
  Batch b = Numbers(2, 64, 1);
  REQUIRE(q.TryPush(b));
  CHECK(b.empty());
  CHECK(b.capacity() >= 64);
  CHECK(b.data() == storage);  // the first batch's buffer, envelopes destroyed
}

TEST_CASE("PopAll waits for a push or Wake(), within its bound", "[runtime]") {
  InputQueue q(100);
  std::vector<Batch> out;
  const auto start = std::chrono::steady_clock::now();
  q.PopAll(out, std::chrono::milliseconds(20));  // nothing comes: returns after the wait
  CHECK(out.empty());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(20));

  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Batch b = Numbers(2, 7, 1);
    q.TryPush(b);
  });
  // Loops until the tuple is seen, each wait bounded.
  for (int i = 0; i < 500 && out.empty(); ++i) q.PopAll(out, std::chrono::milliseconds(10));
  producer.join();
  CHECK(Flatten(out) == std::vector<int64_t>{7});

  out.clear();
  q.Wake();
  q.PopAll(out, std::chrono::seconds(30));  // a pending Wake() ends it at once
  CHECK(out.empty());
}

TEST_CASE("Many producers: every envelope arrives once, in each producer's order", "[runtime]") {
  constexpr int kProducers = 4;
  constexpr int64_t kPerProducer = 20000;
  InputQueue q(512);
  std::atomic<bool> give_up{false};  // should the consumer stop early, producers end too
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&q, &give_up, p] {
      Batch b;
      for (int64_t i = 0; i < kPerProducer && !give_up;) {
        if (b.empty()) {
          for (int k = 0; k < 37 && i < kPerProducer; ++k, ++i) {
            b.emplace_back(p + 1, &kMeta, 1, Values{i});
          }
        }
        if (!q.TryPush(b)) std::this_thread::yield();
      }
      while (!give_up && !q.TryPush(b)) std::this_thread::yield();
    });
  }
  std::vector<int64_t> next(kProducers, 0);
  int64_t received = 0, out_of_order = 0;
  std::vector<Batch> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (received < kProducers * kPerProducer && std::chrono::steady_clock::now() < deadline) {
    q.PopAll(out, std::chrono::milliseconds(10));
    for (const auto& b : out) {
      for (const auto& e : b) {
        auto& expected = next[static_cast<size_t>(e.task - 1)];
        if (e.tuple.GetInt(0) != expected) ++out_of_order;
        expected = e.tuple.GetInt(0) + 1;
        ++received;
      }
    }
    q.Recycle(out);
  }
  give_up = true;
  for (auto& t : producers) t.join();
  CHECK(received == kProducers * kPerProducer);
  CHECK(out_of_order == 0);
  CHECK(q.size() == 0);
}

// The bytes of `e` that `t`'s values and header occupy end by `limit`.
bool ValuesEndBy(const Envelope& e, size_t limit) {
  const auto* base = reinterpret_cast<const char*>(&e);
  const Values& v = e.tuple.values();
  const auto* end = reinterpret_cast<const char*>(v.data() + v.size());
  return end - base <= static_cast<std::ptrdiff_t>(limit) &&
         reinterpret_cast<const char*>(&v) - base < static_cast<std::ptrdiff_t>(limit);
}

TEST_CASE("A tuple of two values in no tree uses its envelope's first two cache lines only",
          "[runtime]") {
  Batch b;
  b.reserve(1);
  Envelope& e = b.emplace_back(3, &kMeta, 1, Values{"a word", int64_t{1}});
  CHECK(ValuesEndBy(e, kEnvelopeHotBytes));
  CHECK(internal::TupleAccess::roots(e.tuple).empty());
  CHECK(internal::TupleAccess::ack_val(e.tuple) == 0);
  CHECK(EnvelopeBytesFor(2, false) == kEnvelopeHotBytes);
  // Each further inline value adds a line (what EmplaceEnvelope's prefetch
  // assumes); values on the heap leave the first only.
  b.reserve(8);
  Envelope& three = b.emplace_back(3, &kMeta, 1, Values{1, 2, 3});
  CHECK_FALSE(ValuesEndBy(three, kEnvelopeHotBytes));
  CHECK(ValuesEndBy(three, EnvelopeBytesFor(3, false)));
  Envelope& four = b.emplace_back(3, &kMeta, 1, Values{1, 2, 3, 4});
  CHECK(ValuesEndBy(four, EnvelopeBytesFor(4, false)));
  CHECK(EnvelopeBytesFor(4, false) <= sizeof(Envelope));
  Envelope& five = b.emplace_back(3, &kMeta, 1, Values{1, 2, 3, 4, 5});
  // Values' own header (data pointer, size, capacity: 16 bytes) is what is left inline.
  const auto header =
      reinterpret_cast<const char*>(&five.tuple.values()) - reinterpret_cast<const char*>(&five);
  CHECK(header + 16 <= static_cast<std::ptrdiff_t>(EnvelopeBytesFor(5, false)));
  CHECK(EnvelopeBytesFor(1, true) == sizeof(Envelope));
}

TEST_CASE("A tuple's tree part survives copies, moves and assignments", "[runtime]") {
  using internal::TupleAccess;
  Tuple in_tree(&kMeta, 1, Values{int64_t{7}});
  TupleAccess::mutable_roots(in_tree).XorInto(11, 3);
  TupleAccess::mutable_roots(in_tree).XorInto(12, 5);
  TupleAccess::XorAckVal(in_tree, 9);
  const Tuple plain(&kMeta, 2, Values{int64_t{8}});

  auto has_tree = [](const Tuple& t) {
    const auto& r = TupleAccess::roots(t);
    return r.size() == 2 && r[0].root == 11 && r[0].edge == 3 && r[1].root == 12 &&
           r[1].edge == 5 && TupleAccess::ack_val(t) == 9 && t.GetInt(0) == 7;
  };
  auto is_plain = [](const Tuple& t) {
    return TupleAccess::roots(t).empty() && TupleAccess::ack_val(t) == 0 && t.GetInt(0) == 8;
  };
  Tuple copy(in_tree);
  CHECK(has_tree(copy));
  CHECK(has_tree(in_tree));
  Tuple moved(std::move(copy));
  CHECK(has_tree(moved));

  Tuple target(plain);
  CHECK(is_plain(target));
  target = in_tree;  // no tree -> tree
  CHECK(has_tree(target));
  target = in_tree;  // tree -> tree
  CHECK(has_tree(target));
  target = plain;  // tree -> none
  CHECK(is_plain(target));
  target = std::move(moved);  // none -> tree, by move
  CHECK(has_tree(target));
  Tuple other(plain);
  target = std::move(other);  // tree -> none, by move
  CHECK(is_plain(target));

  // Anchoring a child to a tuple in no tree builds the child's part only
  // when a root is added.
  Tuple child(&kMeta, 1, Values{int64_t{8}});
  CHECK(TupleAccess::roots(child).empty());
  TupleAccess::mutable_roots(child).XorInto(1, 2);
  CHECK(TupleAccess::roots(child).size() == 1);
}

}  // namespace
}  // namespace gale::runtime
