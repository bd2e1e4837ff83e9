// A plugin whose bolt never returns from DeclareOutputFields(), to show that
// describing it is stopped at a time limit and the culprit named.
#include <gale/gale.h>

#include <unistd.h>

class HangingBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext&, gale::OutputCollector&) override {}
  void Execute(const gale::Tuple&) override {}
  void DeclareOutputFields(gale::OutputDeclarer&) const override {
    for (;;) ::pause();
  }
};
GALE_REGISTER_BOLT(HangingBolt);
