// C++ unit tests of the reliability area: core entry points validate whole
// index vectors (not just their ends) and name the offending argument.
#include <testthat.h>

#include <string>
#include <vector>

#include "core/common/errors.hpp"
#include "core/mmrm/covariance.hpp"
#include "core/mmrm/engine.hpp"

namespace mm = glycotrial::mmrm;

namespace {
const glycotrial_covariance_v1* builtin_cov(const std::string& key) {
  for (const auto& p : mm::builtin_covariances())
    if (key == p.key) return &p;
  return nullptr;
}

// 3 subjects x 2 visits, intercept only; subject_start set by the caller.
mm::MmrmInput three_subjects(std::vector<int> start) {
  mm::MmrmInput in;
  in.n = 6;
  in.p = 1;
  in.X.assign(6, 1.0);
  in.y = {1.0, 2.0, 1.5, 2.5, 0.5, 1.0};
  in.coords = {0, 1, 0, 1, 0, 1};
  in.subject_start = std::move(start);
  in.subject_group = {0, 0, 0};
  in.n_groups = 1;
  in.n_visits = 2;
  return in;
}

// "" when the engine accepts the input, else the argument its InputError names.
std::string rejected_argument(std::vector<int> start) {
  mm::PluginCovariance cs(*builtin_cov("cs"));
  try {
    mm::MmrmEngine e(three_subjects(std::move(start)), cs);
    return "";
  } catch (const glycotrial::InputError& err) {
    return err.argument().empty() ? "<unnamed>" : err.argument();
  }
}
}  // namespace

context("reliability: MMRM subject offsets") {
  test_that("valid offsets are accepted") {
    expect_true(rejected_argument({0, 2, 4, 6}) == "");
  }
  test_that("every element of subject_start is validated") {
    // Correct ends, an interior offset beyond the data (read past the end
    // before the check covered the whole vector).
    expect_true(rejected_argument({0, 100, 4, 6}) == "subject_start");
    // Decreasing, repeated (an empty subject) and negative offsets.
    expect_true(rejected_argument({0, 4, 2, 6}) == "subject_start");
    expect_true(rejected_argument({0, 2, 2, 6}) == "subject_start");
    expect_true(rejected_argument({0, -2, 4, 6}) == "subject_start");
    // Wrong ends and wrong length.
    expect_true(rejected_argument({1, 2, 4, 6}) == "subject_start");
    expect_true(rejected_argument({0, 2, 4, 5}) == "subject_start");
    expect_true(rejected_argument({0, 2, 6}) == "subject_start");
    expect_true(rejected_argument({}) == "subject_start");
  }
}
