# Argument checks (R/checks.R): each names the argument and what was found.

test_that("argument checks name the argument and what was found", {
  conf_level <- 1.5
  expect_error(check_number(conf_level, 0, 1, open = TRUE), "conf_level",
               class = "glycotrial_error_input")
  expect_error(check_number("a"), "must be numeric", class = "glycotrial_error_input")
  expect_error(check_number(c(1, 2)), "length 1", class = "glycotrial_error_input")
  expect_error(check_number(NA_real_), "NA", class = "glycotrial_error_input")
  expect_error(check_count(2.5), "whole numbers", class = "glycotrial_error_input")
  expect_error(check_count(-1), "\\[0, Inf\\]", class = "glycotrial_error_input")
  expect_error(check_string(3), "single string", class = "glycotrial_error_input")
  expect_error(check_flag(NA), "TRUE or FALSE", class = "glycotrial_error_input")
  expect_error(check_choice("x", c("a", "b")), "must be one of", class = "glycotrial_error_input")
  expect_equal(check_choice("a", c("a", "b")), "a")
  expect_error(check_data_frame(list(a = 1)), "data frame", class = "glycotrial_error_input")
  expect_error(check_data_frame(data.frame(a = 1), cols = c("a", "b")), "b",
               class = "glycotrial_error_input")
  expect_invisible(check_count(c(0, 3, 10)))
})
