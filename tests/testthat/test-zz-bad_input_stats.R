# Bad input to the rate, covariate-adjusted and CI functions:
# every case ends in a classed glycotrial condition whose message names what
# is wrong; none in an unclassed error, an internal error or a silent
# recycling.

expect_input_error <- function(expr, pattern = NULL, class = "glycotrial_error_input") {
  e <- expect_error(expr, class = class)
  expect_s3_class(e, "glycotrial_error")
  expect_false(inherits(e, "glycotrial_error_internal"))
  if (!is.null(pattern)) expect_match(conditionMessage(e), pattern)
  invisible(e)
}

test_that("eair() refuses malformed counts, times and lengths with classed errors", {
  expect_input_error(eair("3", 10), "events")
  expect_input_error(eair(factor(3), 10), "events")
  expect_input_error(eair(list(3), 10), "events")
  expect_input_error(eair(-1, 10), "events")
  expect_input_error(eair(1.5, 10), "whole")
  expect_input_error(eair(1, 0), "time_at_risk")
  expect_input_error(eair(1, -3), "time_at_risk")
  expect_input_error(eair(1, Inf), "time_at_risk")
  expect_input_error(eair(1, "10"), "time_at_risk")
  # Zero-length input used to fail in data.frame() / if() with base errors.
  expect_input_error(eair(numeric(), numeric()), "empty")
  expect_input_error(eair(numeric(), 10), "empty")
  # Mismatched lengths: 2 vs 4 used to be recycled silently.
  expect_input_error(eair(1:3, c(10, 20)), "length")
  expect_input_error(eair(1:2, c(10, 20, 30, 40)), "length")
  expect_input_error(eair(1, 10, conf_level = 95), "conf_level")
  expect_input_error(eair(1, 10, per = 0), "per")
  # Counts beyond the exact quantiles used to raise an internal Boost error.
  expect_input_error(eair(1e12, 1), "at most")
  # NA propagates (documented): a numeric NA count gives NA limits.
  r <- eair(c(NA, 3), c(10, 10))
  expect_true(is.na(r$rate[1]) && is.finite(r$rate[2]))
})

test_that("eair_diff() refuses malformed input with classed errors", {
  expect_input_error(eair_diff("1", 10, 1, 10), "events1")
  expect_input_error(eair_diff(NA, 10, 1, 10), "events1")
  expect_input_error(eair_diff(1, 10, -1, 10), "events2")
  expect_input_error(eair_diff(1, 0, 1, 10), "time1")
  expect_input_error(eair_diff(1, 10, 1, NA), "time2")
  expect_input_error(eair_diff(numeric(), 10, 1, 10), "empty")
  # 3 vs 2 elements used to be recycled silently.
  expect_input_error(eair_diff(1:3, c(10, 20), 1, 10), "length")
  expect_input_error(eair_diff(1, 10, 1, 10, method = "exact"), "method")
  expect_input_error(eair_diff(1, 10, 1, 10, method = NA), "method")
  expect_input_error(eair_diff(1, 10, 1, 10, conf_level = 2), "conf_level")
  expect_input_error(eair_diff(1e12, 1, 1, 1), "at most")
})

test_that("covariate_adjusted_rd() refuses malformed input with classed errors", {
  set.seed(1814)
  d <- data.frame(ARM = rep(c("Placebo", "Active"), each = 30), BASE = rnorm(60, 8, 1),
                  SEX = rep(c("F", "M"), 30))
  d$RESP <- rbinom(60, 1, 0.4)
  expect_input_error(covariate_adjusted_rd(as.matrix(d), "RESP"), "data frame")
  expect_input_error(covariate_adjusted_rd(d, "RESPX"), "RESPX")
  expect_input_error(covariate_adjusted_rd(d, 1), "response")
  expect_input_error(covariate_adjusted_rd(d, "RESP", covariates = 2), "covariates")
  expect_input_error(covariate_adjusted_rd(d, "RESP", covariates = NA_character_), "NA")
  expect_input_error(covariate_adjusted_rd(transform(d, RESP = RESP * 2), "RESP"), "0/1")
  expect_input_error(covariate_adjusted_rd(d[0, ], "RESP"), "no rows")
  expect_input_error(covariate_adjusted_rd(transform(d, ARM = "A"), "RESP"), "two values")
  expect_input_error(covariate_adjusted_rd(d, "RESP", treatment = "X"), "not found")
  # A vector or NA treatment used to be reported as "Arm value NA not found".
  expect_input_error(covariate_adjusted_rd(d, "RESP", treatment = c("Active", "Placebo")),
                     "single arm value")
  expect_input_error(covariate_adjusted_rd(d, "RESP", control = NA), "single arm value")
  # The arm or the response as a covariate.
  expect_input_error(covariate_adjusted_rd(d, "RESP", covariates = "ARM"), "must not include")
  expect_input_error(covariate_adjusted_rd(d, "RESP", covariates = "RESP"), "must not include")
  # A list column used to fail in model.matrix() with an unclassed error.
  dl <- d; dl$L <- as.list(1:60)
  expect_input_error(covariate_adjusted_rd(dl, "RESP", covariates = "L"), "L")
  # Inf used to be reported as a rank-deficient "formula" the user never gave.
  e <- expect_input_error(covariate_adjusted_rd(transform(d, BASE = c(Inf, BASE[-1])), "RESP",
                                                covariates = "BASE"), "finite")
  expect_no_match(conditionMessage(e), "formula")
  # A constant covariate is named.
  e <- expect_input_error(covariate_adjusted_rd(transform(d, C = 1), "RESP", covariates = "C"),
                          class = "glycotrial_error_rank_deficient")
  expect_match(conditionMessage(e), "C")
  expect_input_error(covariate_adjusted_rd(d, "RESP", variance = "robust"), "variance")
  expect_input_error(covariate_adjusted_rd(d, "RESP", conf_level = 95), "conf_level")
  # Rows with a missing arm are dropped with a classed message, not silently.
  dn <- d; dn$ARM[1:2] <- NA
  expect_message(r <- covariate_adjusted_rd(dn, "RESP", covariates = "BASE"),
                 class = "glycotrial_message")
  expect_equal(r$n, 58)
  # Dates remain usable covariates.
  expect_no_error(covariate_adjusted_rd(transform(d, DT = as.Date("2024-01-01") + 1:60), "RESP",
                                        covariates = "DT"))
})

test_that("CI functions raise classed errors on malformed input", {
  expect_input_error(prop_ci(1:2, 10, conf_level = c(0.9, 0.95, 0.99)), "length")
  expect_input_error(prop_ci(1, 10, method = character()), class = "glycotrial_error_unknown_method")
  expect_input_error(diff_ci(list(1), 10, 1, 10), "x1")
  expect_input_error(diff_ci(as.Date("2024-01-01"), 10, 1, 10), "x1")
  expect_input_error(diff_ci(1, 10, 1, 10, conf_level = list(0.9)), "conf_level")
  expect_input_error(diff_ci(1, 10, 1, 10, method = NULL), class = "glycotrial_error_unknown_method")
  expect_input_error(ratio_ci(1, 10, 1, 10, measure = 1), "measure")
  expect_input_error(stratified_diff_ci(c(1, NA), c(5, 5), c(1, 1), c(5, 5)), "x1")
  expect_input_error(stratified_diff_ci(c(1, 2), c(5, 5), c(1, 1), c(5, 5), conf_level = c(0.9, 0.95)),
                     "conf_level")
  expect_input_error(stratified_diff_ci(numeric(), numeric(), numeric(), numeric()), "stratum")
  expect_input_error(stratified_diff_ci(c(1, 2), c(5, 5), c(1, 1), c(5, 5), "newcombe", weights = NA),
                     "weights")
  expect_input_error(stratified_diff_ci(c(1, 2), c(5, 5), c(1, 1), c(5, 5), "newcombe",
                                        weights = "equal"),
                     class = "glycotrial_error_unknown_method")
  expect_input_error(cmh_test(c(0, 0), c(5, 5), c(0, 0), c(5, 5)), "undefined")
  expect_input_error(cmh_test(table = array(as.character(1:8), c(2, 2, 2))), "table")
  expect_input_error(cmh_test(table = array(c(NA, 1:7), c(2, 2, 2))), "table")
  expect_input_error(cmh_test(table = array(0, c(2, 2, 2))), "singular",
                     class = "glycotrial_error_numerical")
  expect_input_error(breslow_day_test(c(0, 0), c(5, 5), c(0, 0), c(5, 5)), "odds ratio")
  expect_input_error(farrington_manning_test(list(3), 10, 2, 10), "x1")
})

test_that("cmh_test() refuses counts and a table together instead of ignoring the counts", {
  expect_input_error(cmh_test(c(1, 2), c(5, 5), c(1, 1), c(5, 5), table = array(1:8, c(2, 2, 2))),
                     "not both")
  expect_no_error(cmh_test(table = array(1:8, c(2, 2, 2))))
})
