// C++ unit tests of the core's plugin registry and exception types.
#include <testthat.h>

#include <cmath>
#include <cstring>

#include "core/common/errors.hpp"
#include "core/common/plugin_registry.hpp"
#include "test-helpers.h"

namespace {
int sum_n_inputs(int) { return 0; }
int sum_compute(int n, const double* const* in, double* out, char*, int) {
  for (int i = 0; i < n; ++i) out[i] = in[0][i] + in[1][i];
  return 0;
}
int fail_compute(int, const double* const*, double*, char* err, int len) {
  std::strncpy(err, "always fails", static_cast<size_t>(len) - 1);
  return 1;
}
const char* names[] = {"a", "b"};
const char* units[] = {"mmol/L", "mmol/L"};
}  // namespace

context("core plugin registry") {
  test_that("an index plugin registers, computes and refuses a conflicting key") {
    (void)sum_n_inputs;
    glycotrial_index_v1 p{GLYCOTRIAL_PLUGIN_ABI, "cpp_unit_sum", "sum", "none", "mmol/L", 2,
                          names, units, sum_compute};
    glycotrial::plugins::register_index(p, "unit-test", false);
    const glycotrial_index_v1* found = glycotrial::plugins::find_index("cpp_unit_sum");
    expect_true(found != nullptr);
    auto out = glycotrial::plugins::compute_index(*found, {{1.0, 2.0}, {10.0, 20.0}});
    expect_true((out.size() == 2 && out[0] == 11.0 && out[1] == 22.0));
    expect_true(test_helpers::throws_input_error(
        [&] { glycotrial::plugins::register_index(p, "unit-test", false); }));
    glycotrial::plugins::register_index(p, "unit-test", true);  // overwrite is allowed
    expect_true(glycotrial::plugins::unregister("index", "cpp_unit_sum"));
    expect_true(glycotrial::plugins::find_index("cpp_unit_sum") == nullptr);
  }

  test_that("a plugin built for another ABI or with a bad key is refused") {
    glycotrial_index_v1 p{GLYCOTRIAL_PLUGIN_ABI + 1, "cpp_unit_abi", "", "", "", 2, names, units,
                          sum_compute};
    char err[256] = {0};
    expect_true(glycotrial_register_index_v1(&p, "x", 0, err, sizeof(err)) != 0);
    expect_true(std::strstr(err, "ABI") != nullptr);
    p.abi_version = GLYCOTRIAL_PLUGIN_ABI;
    p.key = "bad key!";
    expect_true(glycotrial_register_index_v1(&p, "x", 0, err, sizeof(err)) != 0);
    expect_true(glycotrial_register_index_v1(nullptr, "x", 0, err, sizeof(err)) != 0);
  }

  test_that("the v2 entry points refuse a NULL plugin and flags this build does not know") {
    glycotrial_index_v1 p{GLYCOTRIAL_PLUGIN_ABI, "cpp_unit_flags", "", "", "", 2, names, units,
                          sum_compute};
    char err[256] = {0};
    expect_true(glycotrial_register_index_v2(nullptr, "x", nullptr, 0, err, sizeof(err)) != 0);
    expect_true(std::strstr(err, "plugin pointer is NULL") != nullptr);
    expect_true(glycotrial_register_covariance_v2(nullptr, "x", nullptr, 0, err, sizeof(err)) != 0);
    expect_true(std::strstr(err, "plugin pointer is NULL") != nullptr);
    expect_true(glycotrial_register_index_v2(&p, "x", nullptr, 1 << 12, err, sizeof(err)) != 0);
    expect_true(std::strstr(err, "unknown registration flags 4096") != nullptr);
    expect_true(glycotrial::plugins::find_index("cpp_unit_flags") == nullptr);
  }

  test_that("a failing plugin surfaces its message") {
    glycotrial_index_v1 p{GLYCOTRIAL_PLUGIN_ABI, "cpp_unit_fail", "", "", "", 2, names, units,
                          fail_compute};
    glycotrial::plugins::register_index(p, "unit-test", true);
    std::string what;
    try {
      glycotrial::plugins::compute_index(p, {{1.0}, {2.0}});
    } catch (const glycotrial::Error& e) {
      what = e.what();
    }
    expect_true(what.find("always fails") != std::string::npos);
    glycotrial::plugins::unregister("index", "cpp_unit_fail");
  }

  test_that("exception classes map to their R condition classes") {
    glycotrial::InputError in("x", "arg");
    glycotrial::NumericalError nu("y");
    glycotrial::ConvergenceError co("z");
    expect_true(std::string(in.r_class()) == "glycotrial_error_input");
    expect_true(in.argument() == "arg");
    expect_true(std::string(nu.r_class()) == "glycotrial_error_numerical");
    expect_true(std::string(co.r_class()) == "glycotrial_error_convergence");
  }
}
