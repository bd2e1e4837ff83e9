// The one main() of the Catch2 test binaries.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
