// Result<T>: the one way libmint reports failure. No exceptions cross the library boundary.
// An Error carries text written for the person at the terminal: what was wrong, with which
// value, and what to do.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mint {

struct Error {
  std::string message;
};

// Builds an Error from printf-free pieces: Fail("node ", name, ": no cores").
template <typename... Parts>
Error Fail(Parts&&... parts) {
  std::string text;
  (text.append(std::forward<Parts>(parts)), ...);
  return Error{std::move(text)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : value_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(value_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<Error>(value_); }
  Error&& take_error() { return std::get<Error>(std::move(value_)); }

 private:
  std::variant<T, Error> value_;
};

// Result<void>: success carries nothing.
struct Ok {};
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Ok) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }
  Error&& take_error() { return std::move(error_); }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace mint

// TRY(expr): evaluates a Result; on failure returns its Error from the enclosing function,
// otherwise yields the value (GNU statement expression, supported by g++ and clang).
#define MINT_TRY(expr)                                                           \
  ({                                                                             \
    auto _mint_try_result = (expr);                                              \
    if (!_mint_try_result.ok()) return std::move(_mint_try_result).take_error(); \
    std::move(_mint_try_result).value();                                         \
  })

#define MINT_TRY_VOID(expr)                                                      \
  do {                                                                           \
    auto _mint_try_result = (expr);                                              \
    if (!_mint_try_result.ok()) return std::move(_mint_try_result).take_error(); \
  } while (0)
