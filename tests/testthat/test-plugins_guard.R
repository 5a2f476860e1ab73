# What a plugin returns is checked, errors inside
# user plugins are wrapped (keeping their message), and unit errors name the
# argument the user passed.

test_that("a non-symmetric covariance matrix is refused, not read through one triangle", {
  register_covariance("test_asym", n_theta = function(n_visits) 1L,
                      sigma = function(theta, n_visits, coords) {
                        m <- length(coords)
                        s <- diag(exp(theta[1]), m)
                        s[lower.tri(s)] <- 0.5  # upper triangle stays 0
                        s
                      })
  on.exit(unregister_plugin("covariance", "test_asym"))
  d <- sim_mmrm_data(n = 30, k = 3)
  err <- expect_error(mmrm_fit(CHG ~ ARM * AVISIT + test_asym(AVISIT | USUBJID), d),
                      class = "glycotrial_error_plugin_output")
  expect_match(conditionMessage(err), "non-symmetric", fixed = TRUE)
  # a symmetric one within rounding (1e-12 relative) is accepted
  register_covariance("test_nearly_sym", n_theta = function(n_visits) 1L,
                      sigma = function(theta, n_visits, coords) {
                        m <- length(coords)
                        s <- matrix(0.5, m, m)
                        diag(s) <- 1
                        s[1, m] <- s[1, m] * (1 + 1e-12)
                        exp(theta[1]) * s
                      })
  on.exit(unregister_plugin("covariance", "test_nearly_sym"), add = TRUE)
  expect_true(is.finite(mmrm_fit(CHG ~ ARM * AVISIT + test_nearly_sym(AVISIT | USUBJID), d)$loglik))
})

test_that("a compiled non-symmetric covariance is refused", {
  skip_on_cran()
  load_tiny_plugin()
  expect_equal(tp_register_cov("tp_asym", what = 2L), "")
  expect_error(glycotrial:::cpp_compiled_covariance("tp_asym", c(0, 0), 3L, c(0, 1, 2), FALSE),
               class = "glycotrial_error_plugin_output")
  d <- sim_mmrm_data(n = 30, k = 3)
  expect_error(mmrm_fit(CHG ~ ARM * AVISIT + tp_asym(AVISIT | USUBJID), d),
               class = "glycotrial_error_plugin_output")
})

test_that("a compiled index that writes nothing gives NA, not 0", {
  skip_on_cran()
  load_tiny_plugin()
  expect_equal(tp_register_index("tp_silent", what = 1L), "")
  out <- suppressWarnings(evaluate_index("tp_silent", list(glucose = c(5, 6), insulin = c(10, 12))))
  expect_identical(out, c(NA_real_, NA_real_))
  expect_equal(tp_register_index("tp_sum2"), "")
  expect_equal(evaluate_index("tp_sum2", list(glucose = c(5, 6), insulin = c(10, 12))), c(15, 18))
})

test_that("an R index returning a factor (or text) is refused", {
  register_index("test_factor_index", function(glucose, insulin) factor(glucose > 5),
                 inputs = c(glucose = "mmol/L", insulin = "uU/mL"))
  on.exit(unregister_plugin("index", "test_factor_index"))
  expect_error(evaluate_index("test_factor_index", list(glucose = c(4, 6), insulin = c(1, 2))),
               class = "glycotrial_error_plugin_output")
  register_index("test_text_index", function(glucose, insulin) as.character(glucose),
                 inputs = c(glucose = "mmol/L", insulin = "uU/mL"))
  on.exit(unregister_plugin("index", "test_text_index"), add = TRUE)
  expect_error(evaluate_index("test_text_index", list(glucose = 4, insulin = 1)),
               class = "glycotrial_error_plugin_output")
  register_index("test_curve_factor", function(time, glucose) factor("a"),
                 inputs = c(glucose = "mmol/L"), shape = "curve")
  on.exit(unregister_plugin("index", "test_curve_factor"), add = TRUE)
  expect_error(evaluate_index("test_curve_factor", list(time = c(0, 30), glucose = c(5, 7))),
               class = "glycotrial_error_plugin_output")
})

test_that("errors inside user plugins are wrapped, keeping the original message", {
  register_index("test_failing_index", function(glucose, insulin) stop("my index broke {here}"),
                 inputs = c(glucose = "mmol/L", insulin = "uU/mL"))
  on.exit(unregister_plugin("index", "test_failing_index"))
  err <- expect_error(evaluate_index("test_failing_index", list(glucose = 5, insulin = 10)),
                      class = "glycotrial_error_plugin_failed")
  expect_match(conditionMessage(err), "my index broke {here}", fixed = TRUE)
  expect_equal(err$original_message, "my index broke {here}")
  expect_s3_class(err$parent, "simpleError")

  register_covariance("test_failing_cov", n_theta = function(n_visits) 1L,
                      sigma = function(theta, n_visits, coords) stop("sigma exploded"))
  on.exit(unregister_plugin("covariance", "test_failing_cov"), add = TRUE)
  d <- sim_mmrm_data(n = 30, k = 3)
  err <- expect_error(mmrm_fit(CHG ~ ARM * AVISIT + test_failing_cov(AVISIT | USUBJID), d),
                      class = "glycotrial_error_plugin_failed")
  expect_match(conditionMessage(err), "sigma exploded", fixed = TRUE)
  register_covariance("test_failing_nt", n_theta = function(n_visits) stop("no count"),
                      sigma = function(theta, n_visits, coords) diag(length(coords)))
  on.exit(unregister_plugin("covariance", "test_failing_nt"), add = TRUE)
  expect_error(mmrm_fit(CHG ~ ARM * AVISIT + test_failing_nt(AVISIT | USUBJID), d),
               class = "glycotrial_error_plugin_failed")
})

test_that("unit errors name the argument the user passed", {
  err <- expect_error(evaluate_index("homa1_ir", list(glucose = 5, insulin = 10),
                                     units = c(glucose = "furlong")),
                      class = "glycotrial_error_unit")
  expect_match(conditionMessage(err), "units[\"glucose\"]", fixed = TRUE)
  expect_no_match(conditionMessage(err), "glucose_unit", fixed = TRUE)
  err <- expect_error(homa1_ir(5, 10, glucose_unit = "furlong"), class = "glycotrial_error_unit")
  expect_match(conditionMessage(err), "glucose_unit", fixed = TRUE)
})

test_that("the C API refuses the units the R API refuses", {
  skip_on_cran()
  load_tiny_plugin()
  # R: an index whose glucose input is in furlongs is refused ...
  expect_error(register_index("test_bad_unit", function(glucose, insulin) glucose,
                              inputs = c(glucose = "furlong", insulin = "uU/mL")),
               class = "glycotrial_error_unit")
  # ... and so is the same index from C (v1 and v2)
  expect_match(tp_register_index("tp_bad_unit", what = 2L), "furlong", fixed = TRUE)
  expect_match(tp_register_index("tp_bad_unit", what = 2L, v2 = FALSE), "furlong", fixed = TRUE)
  expect_false("tp_bad_unit" %in% glycotrial_plugins("index")$key)
})
