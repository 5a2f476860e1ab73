// The one place where core exceptions become R conditions. Every glue entry
// point runs its body inside glue::guard(); a glycotrial::Error is re-raised
// in R as a condition of class c(<r_class>, "glycotrial_error", "error",
// "condition") by glycotrial:::raise_core_error(), which names the argument.
// Other C++ exceptions become glycotrial_error_input (Rcpp type conversions)
// or glycotrial_error_internal (defects), so no unclassed error reaches R.
#pragma once

#include <Rcpp.h>

#include <new>
#include <string>

#include "core/common/errors.hpp"

namespace glue {

[[noreturn]] inline void raise_condition(const std::string& r_class, const std::string& message,
                                         const std::string& argument) {
  Rcpp::Environment ns = Rcpp::Environment::namespace_env("glycotrial");
  Rcpp::Function raise = ns["raise_core_error"];
  // raise() signals an R error; Rcpp's unwind protection turns it into a C++
  // exception that unwinds our frames and resumes the R error at the boundary.
  raise(r_class, message, argument);
  throw std::logic_error("raise_core_error returned");  // unreachable
}

template <class F>
auto guard(F&& body) -> decltype(body()) {
  std::string cls, msg, arg;
  try {
    return body();
  } catch (const glycotrial::Error& e) {
    cls = e.r_class();
    msg = e.what();
    arg = e.argument();
  } catch (const std::bad_alloc&) {
    cls = "glycotrial_error_numerical";
    msg = "out of memory in the glycotrial core";
  } catch (const Rcpp::not_compatible& e) {
    // An R value of the wrong type reached a glue conversion.
    cls = "glycotrial_error_input";
    msg = std::string("a value of the wrong type reached the glycotrial core: ") + e.what();
  } catch (const std::exception& e) {
    // Anything else is a defect of ours; still a classed condition, never an
    // unclassed C++ error. (R errors unwinding through Rcpp are
    // Rcpp::LongjumpException, not std::exception, and pass untouched.)
    cls = "glycotrial_error_internal";
    msg = std::string("internal error in the glycotrial core (please report): ") + e.what();
  }
  // Raised outside the catch blocks so the C++ exception is fully released
  // before R takes over.
  raise_condition(cls, msg, arg);
}

}  // namespace glue
