// The one main() of the Catch2 test binaries, and a listener that counts
// the failed assertions, so that the test support can tell that a test
// failed while what it started still runs (TestCluster prints the cluster
// as it is then: test/support/cluster.h).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

namespace gale::testing {

int FailedAssertions();  // declared for the support in test/support/cluster.h

namespace {

int failed_assertions = 0;

struct FailureCounter : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.isOk()) ++failed_assertions;
    return true;
  }
};
CATCH_REGISTER_LISTENER(FailureCounter)

}  // namespace

int FailedAssertions() { return failed_assertions; }

}  // namespace gale::testing
