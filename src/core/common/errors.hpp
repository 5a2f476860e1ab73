// Exception hierarchy of the core. The core never touches R: it throws these,
// and the glue (src/r_guard.h) turns each into a classed R condition:
//   InputError       -> glycotrial_error_input
//   NumericalError   -> glycotrial_error_numerical
//   ConvergenceError -> glycotrial_error_convergence
#pragma once

#include <stdexcept>
#include <string>

namespace glycotrial {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string argument = "")
      : std::runtime_error(message), argument_(std::move(argument)) {}
  // Name of the offending argument when known ("" otherwise), so the R error
  // can say which argument was wrong.
  const std::string& argument() const noexcept { return argument_; }
  virtual const char* r_class() const noexcept { return "glycotrial_error"; }

 private:
  std::string argument_;
};

// The caller gave something the computation cannot accept.
class InputError : public Error {
 public:
  using Error::Error;
  const char* r_class() const noexcept override { return "glycotrial_error_input"; }
};

// A well-posed computation failed numerically (singular matrix, overflow).
class NumericalError : public Error {
 public:
  using Error::Error;
  const char* r_class() const noexcept override { return "glycotrial_error_numerical"; }
};

// An iterative method did not reach its tolerance.
class ConvergenceError : public Error {
 public:
  using Error::Error;
  const char* r_class() const noexcept override { return "glycotrial_error_convergence"; }
};

// Throws InputError unless cond holds; keeps argument checks one line long.
inline void require(bool cond, const std::string& argument, const std::string& message) {
  if (!cond) throw InputError(message, argument);
}

}  // namespace glycotrial
