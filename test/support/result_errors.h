// test/support/result_errors.h
//
// ErrorOf(result): the message of a Result that must be an InvalidArgument
// error of one line, as the daemons' option readers return.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "core/common/result.h"

namespace gale::testing {

template <typename T>
std::string ErrorOf(const Result<T>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find('\n') == std::string::npos);
  return r.status().message();
}

}  // namespace gale::testing
