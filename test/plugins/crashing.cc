// A plugin whose bolt crashes the process in DeclareOutputFields(), to show
// that `gale validate` survives it and names the culprit.
#include <gale/gale.h>

#include <csignal>

class CrashingBolt : public gale::Bolt {
 public:
  void Prepare(const gale::TopologyContext&, gale::OutputCollector&) override {}
  void Execute(const gale::Tuple&) override {}
  void DeclareOutputFields(gale::OutputDeclarer&) const override { std::raise(SIGSEGV); }
};
GALE_REGISTER_BOLT(CrashingBolt);
