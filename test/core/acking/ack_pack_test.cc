// Acker packs (core/acking/acker_bolt.h): how a bolt's acks are written
// into one tuple, and how the acker applies them.
#include "core/acking/acker_bolt.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gale::acking {
namespace {

using Outcome = AckerTable::Outcome;

const StreamMeta kPackMeta{"bolt", std::string(kAckPackStream), Fields{"acks"}, false, 0};
const StreamMeta kFailMeta{"bolt", std::string(kAckFailStream), Fields{"id"}, false, 1};

Tuple Pack(std::string bytes) { return Tuple(&kPackMeta, 3, Values{Bytes{std::move(bytes)}}); }

std::vector<std::pair<uint64_t, uint64_t>> Acks(const std::string& pack) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (size_t at = 0; at + kAckBytes <= pack.size(); at += kAckBytes) {
    out.emplace_back(LoadLittle64(pack.data() + at), LoadLittle64(pack.data() + at + 8));
  }
  return out;
}

TEST_CASE("An ack pack holds 16 little-endian bytes per ack", "[acking]") {
  std::string pack;
  REQUIRE(AddAck(pack, 0x0102030405060708, 0x1112131415161718));
  REQUIRE(pack.size() == kAckBytes);
  CHECK(static_cast<unsigned char>(pack[0]) == 0x08);  // the root's lowest byte first
  CHECK(static_cast<unsigned char>(pack[7]) == 0x01);
  CHECK(static_cast<unsigned char>(pack[8]) == 0x18);
  CHECK(static_cast<unsigned char>(pack[15]) == 0x11);
}

TEST_CASE("An ack for the root of the pack's last ack is XORed into it", "[acking]") {
  std::string pack;
  REQUIRE(AddAck(pack, 7, 0b0011));
  REQUIRE(AddAck(pack, 7, 0b0101));  // the same tree: one ack, 0b0110
  REQUIRE(AddAck(pack, 9, 1));
  REQUIRE(AddAck(pack, 7, 0b1000));  // not the last one's root: an ack of its own
  using Acks_ = std::vector<std::pair<uint64_t, uint64_t>>;
  CHECK(Acks(pack) == Acks_{{7, 0b0110}, {9, 1}, {7, 0b1000}});
}

TEST_CASE("A full ack pack takes no new root but still merges into its last ack", "[acking]") {
  std::string pack;
  for (uint64_t root = 1; root <= kAckPackMax; ++root) REQUIRE(AddAck(pack, root, root));
  const std::string full = pack;
  CHECK_FALSE(AddAck(pack, 1000, 1));
  CHECK(pack == full);
  CHECK(AddAck(pack, kAckPackMax, kAckPackMax));  // XORs the last ack to 0: no new bytes
  CHECK(pack.size() == full.size());
  CHECK(Acks(pack).back() == std::pair<uint64_t, uint64_t>{kAckPackMax, 0});
}

TEST_CASE("The acker applies every ack of a pack and answers each tree it decides", "[acking]") {
  AckerTable table;
  // Three trees of spout task 5: roots 10, 20 and 30, init values 0xA, 0xB, 0xC.
  CHECK(table.Init(10, 0xA, 5).kind == Outcome::kNone);
  CHECK(table.Init(20, 0xB, 5).kind == Outcome::kNone);
  CHECK(table.Init(30, 0xC, 5).kind == Outcome::kNone);
  std::string bytes;
  AddAck(bytes, 20, 0xB);  // completes 20
  AddAck(bytes, 10, 0x2);  // 10 still open (0x8)
  AddAck(bytes, 30, 0xC);  // completes 30
  AddAck(bytes, 40, 0x7);  // before its init
  std::vector<Outcome> answers;
  const size_t applied = table.Apply(Pack(bytes), [&](const Outcome& o) { answers.push_back(o); });
  CHECK(applied == 4);
  CHECK(MessagesIn(Pack(bytes)) == 4);
  REQUIRE(answers.size() == 2);
  CHECK((answers[0].kind == Outcome::kAck && answers[0].root == 20 && answers[0].spout_task == 5));
  CHECK((answers[1].kind == Outcome::kAck && answers[1].root == 30 && answers[1].spout_task == 5));
  CHECK(table.pending() == 2);  // 10 and 40
  // The init of 40 arrives after its ack: the tree completes then.
  CHECK(table.Init(40, 0x7, 6).kind == Outcome::kAck);
  // A fail of 10 decides it at once.
  std::vector<Outcome> fails;
  CHECK(table.Apply(Tuple(&kFailMeta, 3, Values{int64_t{10}}),
                    [&](const Outcome& o) { fails.push_back(o); }) == 1);
  REQUIRE(fails.size() == 1);
  CHECK((fails[0].kind == Outcome::kFail && fails[0].root == 10));
  CHECK(table.pending() == 0);
}

TEST_CASE("A pack that is not whole acks is refused with its size, and applies nothing",
          "[acking]") {
  AckerTable table;
  table.Init(10, 0xA, 5);
  std::string bytes;
  AddAck(bytes, 10, 0xA);
  bytes.push_back('x');
  int answers = 0;
  CHECK_THROWS_WITH(table.Apply(Pack(bytes), [&](const Outcome&) { ++answers; }),
                    "an __ack_pack of 17 bytes, not one or more whole 16-byte acks");
  CHECK(answers == 0);
  CHECK(table.pending() == 1);  // the tree of 10 was not completed by half a message
  // Counted as one message, without throwing (the count is taken outside
  // the acker's guarded Execute); so is a pack whose value is not bytes.
  CHECK(MessagesIn(Pack(bytes)) == 1);
  const Tuple text(&kPackMeta, 3, Values{Value("not a pack")});
  CHECK(MessagesIn(text) == 1);
  CHECK_THROWS_WITH(table.Apply(text, [&](const Outcome&) { ++answers; }),
                    "value is string, not bytes");
  CHECK(MessagesIn(Pack("")) == 1);
  CHECK_THROWS_WITH(table.Apply(Pack(""), [&](const Outcome&) { ++answers; }),
                    "an __ack_pack of 0 bytes, not one or more whole 16-byte acks");
}

}  // namespace
}  // namespace gale::acking
