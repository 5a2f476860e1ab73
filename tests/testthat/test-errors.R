test_that("core exceptions become classed R conditions naming the argument", {
  e <- expect_error(glycotrial:::cpp_throw_for_test("input"), class = "glycotrial_error_input")
  expect_s3_class(e, "glycotrial_error")
  expect_match(conditionMessage(e), "`x`: bad value for x", fixed = TRUE)
  expect_equal(e$argument, "x")
  expect_error(glycotrial:::cpp_throw_for_test("numerical"),
               class = "glycotrial_error_numerical")
  expect_error(glycotrial:::cpp_throw_for_test("convergence"),
               class = "glycotrial_error_convergence")
  # Exceptions outside the hierarchy still arrive as R errors, not crashes.
  expect_error(glycotrial:::cpp_throw_for_test("std"), "plain std exception")
  expect_equal(glycotrial:::cpp_throw_for_test("none"), 1)
})

test_that("glycotrial_abort() classes its errors", {
  expect_error(glycotrial_abort("nope"), class = "glycotrial_error_input")
  expect_error(glycotrial_abort("nope", class = "convergence"),
               class = "glycotrial_error_convergence")
  expect_warning(glycotrial_warn("careful"), class = "glycotrial_warning")
})
