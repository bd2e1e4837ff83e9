// core/common/result.h
//
// Result<T> holds either a T or a non-OK Status.
#pragma once

#include "core/common/check.h"
#include "core/common/status.h"

#include <utility>
#include <variant>

namespace gale {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : rep_(std::move(value)) {}
  Result(Status error) : rep_(std::move(error)) {
    GALE_CHECK(!std::get<Status>(rep_).ok()) << "Result built from an OK status";
  }

  bool ok() const { return std::holds_alternative<T>(rep_); }
  // OK when ok().
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(rep_);
  }

  // REQUIRES: ok()
  T& value() & {
    GALE_CHECK(ok()) << status();
    return std::get<T>(rep_);
  }
  const T& value() const& {
    GALE_CHECK(ok()) << status();
    return std::get<T>(rep_);
  }
  T&& value() && {
    GALE_CHECK(ok()) << status();
    return std::get<T>(std::move(rep_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> rep_;
};

}  // namespace gale

// `GALE_ASSIGN_OR_RETURN(auto x, Foo());` unwraps a Result or returns its Status.
#define GALE_RESULT_CONCAT_INNER(a, b) a##b
#define GALE_RESULT_CONCAT(a, b) GALE_RESULT_CONCAT_INNER(a, b)
#define GALE_ASSIGN_OR_RETURN(lhs, expr) \
  GALE_ASSIGN_OR_RETURN_IMPL(GALE_RESULT_CONCAT(gale_result_, __COUNTER__), lhs, expr)
#define GALE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
