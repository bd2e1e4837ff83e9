#include "core/acking/acker_bolt.h"

#include <string_view>

namespace gale::acking {

void AckerBolt::Prepare(const TopologyContext&, OutputCollector& collector) {
  collector_ = &collector;
}

void AckerBolt::DeclareOutputFields(OutputDeclarer& declarer) const {
  for (std::string_view s : {kAckAckStream, kAckFailStream, kAckResetTimeoutStream}) {
    declarer.DeclareStream(s, {"id"}, Direct::kYes);
  }
}

void AckerTable::Rotate() {
  // Expired entries are dropped silently: the spout's own timeout has
  // already failed those trees.
  pending_.Rotate([](uint64_t, Entry&) {});
}

AckerTable::Outcome AckerTable::Init(uint64_t root, uint64_t val, int32_t spout_task) {
  Entry& e = pending_.GetOrPut(root);
  e.val ^= val;
  e.spout_task = spout_task;
  return Decide(e, root, false);
}

AckerTable::Outcome AckerTable::ApplyOne(const Tuple& input) {
  const std::string& stream = input.source_stream();
  const uint64_t root = static_cast<uint64_t>(input.GetInt(0));
  if (stream == kAckInitStream) {
    return Init(root, static_cast<uint64_t>(input.GetInt(1)),
                static_cast<int32_t>(input.GetInt(2)));
  }
  Entry* e = nullptr;
  // Existing entries are not re-put, so a fail does not extend their life
  // (as in Storm); only reset-timeout does.
  if (stream == kAckFailStream) {
    // Can arrive before the init: remember it, decide once the init is in.
    e = &pending_.GetOrPut(root);
    e->failed = true;
  } else if (stream == kAckResetTimeoutStream) {
    e = &pending_.Put(root, pending_.GetOrPut(root));  // moves it to the newest bucket
  } else {
    return {};  // not acker traffic; nothing subscribes it here
  }
  return Decide(*e, root, stream == kAckResetTimeoutStream);
}

AckerTable::Outcome AckerTable::Decide(Entry& e, uint64_t root, bool reset) {
  if (e.spout_task < 0) return {};  // the init has not arrived yet
  const int32_t spout_task = e.spout_task;
  if (e.val == 0) {
    pending_.Remove(root);
    return {Outcome::kAck, spout_task, root};
  }
  if (e.failed) {
    pending_.Remove(root);
    return {Outcome::kFail, spout_task, root};
  }
  if (reset) return {Outcome::kResetTimeout, spout_task, root};
  return {};
}

void AckerBolt::Execute(const Tuple& input) {
  if (input.IsTick()) {
    table_.Rotate();
    return;
  }
  table_.Apply(input, [&](const AckerTable::Outcome& out) {
    collector_->EmitDirect(out.spout_task, Stream{out.stream()}, {static_cast<int64_t>(out.root)});
  });
}

}  // namespace gale::acking
