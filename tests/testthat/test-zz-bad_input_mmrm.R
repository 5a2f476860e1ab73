# Bad input to mmrm_fit(), least_squares_means(), model_selection(), mmrm_fit_control(),
# simulate(): each a classed error whose message
# says what to do, never R's generic error or a silent wrong answer.

bim_data <- function() sim_mmrm_data(n = 40, missing = 0)
bim_fit <- function(d = bim_data(), ...) {
  mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d, ...)
}

test_that("a single-level factor is a classed error naming it (mmrm_fit, lsmeans)", {
  d <- bim_data()
  d$SEX <- factor("M")
  e <- expect_error(mmrm_fit(CHG ~ SEX + ARM * AVISIT + us(AVISIT | USUBJID), d),
                    class = "glycotrial_error_single_level")
  expect_match(conditionMessage(e), "SEX")
  expect_match(conditionMessage(e), "Remove")
  # single level among the analysed rows only (the other arm's rows lack a response)
  d <- bim_data()
  d$CHG[d$ARM == "Drug"] <- NA
  expect_error(mmrm_fit(CHG ~ ARM + AVISIT + us(AVISIT | USUBJID), d),
               class = "glycotrial_error_single_level")
  d <- bim_data()
  d$ONE <- factor("a", levels = c("a", "b"))
  fit <- mmrm_fit(CHG ~ AVISIT + us(AVISIT | USUBJID), d)
  expect_error(glycotrial::least_squares_means(fit, specs = "AVISIT", by = NULL), NA)
  fit1 <- mmrm_fit(CHG ~ ARM + AVISIT + us(AVISIT | USUBJID), d[d$ARM == "Drug" | d$AVISIT == "V1", ])
  expect_s3_class(fit1, "glycotrial_mmrm")
})

test_that("list columns are a classed error", {
  d <- bim_data()
  d$L <- I(as.list(seq_len(nrow(d))))
  expect_error(mmrm_fit(CHG ~ L + ARM + us(AVISIT | USUBJID), d),
               class = "glycotrial_error_list_column")
  d$CHG <- I(as.list(d$CHG))
  e <- expect_error(mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID), d),
                    class = "glycotrial_error_list_column")
  expect_match(conditionMessage(e), "unlist")
})

test_that("lsmeans(): specs equal to by, at = Inf, ref of length 2 are classed errors", {
  fit <- bim_fit()
  expect_error(glycotrial::least_squares_means(fit, specs = "AVISIT", by = "AVISIT"),
               class = "glycotrial_error_specs_by")
  expect_error(glycotrial::least_squares_means(fit, at = list(BASE = Inf)), class = "glycotrial_error_at")
  expect_error(glycotrial::least_squares_means(fit, at = list(BASE = c(0, NaN))), class = "glycotrial_error_input")
  expect_error(glycotrial::least_squares_means(fit, ref = c("Placebo", "Drug")), class = "glycotrial_error_input")
})

test_that("a logical covariate is fitted as a two-level factor (same as factor(FL))", {
  d <- bim_data()
  d$FL <- d$BASE > 0
  fit_l <- mmrm_fit(CHG ~ FL + ARM * AVISIT + us(AVISIT | USUBJID), d)
  d2 <- d
  d2$FL <- factor(d2$FL, levels = c(FALSE, TRUE))
  fit_f <- mmrm_fit(CHG ~ FL + ARM * AVISIT + us(AVISIT | USUBJID), d2)
  expect_equal(coef(fit_l), coef(fit_f), tolerance = 1e-12)
  expect_true("FLTRUE" %in% names(coef(fit_l)))
  ls_l <- glycotrial::least_squares_means(fit_l)
  ls_f <- glycotrial::least_squares_means(fit_f)
  expect_equal(ls_l$lsmeans$estimate, ls_f$lsmeans$estimate, tolerance = 1e-12)
  # new data with a logical column
  expect_equal(unname(predict(fit_l, d[1:5, ])), unname(predict(fit_f, d2[1:5, ])),
               tolerance = 1e-12)
  d$FL[] <- TRUE
  expect_error(mmrm_fit(CHG ~ FL + ARM + us(AVISIT | USUBJID), d),
               class = "glycotrial_error_single_level")
})

test_that("data at scale 1e-160 or 1e300 ask for rescaling, not mmrm_fit_control(start =)", {
  d <- bim_data()
  d1 <- d
  d1$CHG <- d1$CHG * 1e-160
  d1$BASE <- d1$BASE * 1e-160
  e <- expect_error(bim_fit(d1), class = "glycotrial_error_scale")
  expect_match(conditionMessage(e), "[Rr]escale")
  d2 <- d
  d2$CHG <- d2$CHG * 1e300
  e <- expect_error(mmrm_fit(CHG ~ ARM * AVISIT + us(AVISIT | USUBJID), d2),
                    class = "glycotrial_error_scale")
  expect_no_match(conditionMessage(e), "start")
  expect_match(conditionMessage(e), "[Rr]escale")
})

test_that("Empirical-Jackknife with a leverage-1 subject is a classed error", {
  d <- bim_data()
  d$X1 <- 0
  d$X1[d$USUBJID == "S001"] <- 1
  e <- expect_error(mmrm_fit(CHG ~ X1 + ARM * AVISIT + us(AVISIT | USUBJID), d,
                             vcov = "Empirical-Jackknife", df = "Residual"),
                    class = "glycotrial_error_leverage")
  expect_match(conditionMessage(e), "S001")
  expect_match(conditionMessage(e), "Empirical")
})

test_that("an unregistered built-in structure is a classed error, not 'could not find function'", {
  skip_if_not_installed("callr")
  lib <- .libPaths()
  res <- callr::r(function(lib) {
    .libPaths(lib)
    library(glycotrial)
    suppressMessages(unregister_plugin("covariance", "ar1", override_builtin = TRUE))
    d <- expand.grid(USUBJID = factor(1:10), AVISIT = factor(c("V1", "V2")))
    d$CHG <- seq_len(nrow(d)) %% 7
    e <- tryCatch(mmrm_fit(CHG ~ AVISIT + ar1(AVISIT | USUBJID), d), error = function(e) e)
    list(class = class(e), message = conditionMessage(e))
  }, args = list(lib = lib))
  expect_true("glycotrial_error_unknown_plugin" %in% res$class)
  expect_match(res$message, "built-in structure that was unregistered")
  expect_no_match(res$message, "could not find function")
})

test_that("simulate(nsim = 2^31) is refused up front (glycotrial.max_simulate_cells)", {
  fit <- bim_fit()
  expect_error(simulate(fit, nsim = 2^31), class = "glycotrial_error_too_large")
  withr::local_options(glycotrial.max_simulate_cells = 10 * nobs(fit))
  expect_error(simulate(fit, nsim = 11), class = "glycotrial_error_too_large")
  expect_equal(dim(simulate(fit, nsim = 10, seed = 1)), c(nobs(fit), 10L))
})

test_that("a cbind() response is a classed error, not 'subject NA has more than one row'", {
  e <- expect_error(mmrm_fit(cbind(CHG, BASE) ~ ARM + us(AVISIT | USUBJID), bim_data()),
                    class = "glycotrial_error_response")
  expect_no_match(conditionMessage(e), "subject NA")
  expect_match(conditionMessage(e), "long format")
})

test_that("mmrm_control(max_iter = 2^31) is an error, not a stored NA", {
  expect_error(mmrm_fit_control(max_iter = 2^31), class = "glycotrial_error_input")
  expect_identical(mmrm_fit_control(max_iter = .Machine$integer.max)$max_iter, .Machine$integer.max)
})

test_that("model_selection() rejects unknown arguments with a classed error", {
  d <- bim_data()
  expect_error(model_selection(CHG ~ ARM * AVISIT, d, structures = "cs", rmel = FALSE),
               class = "glycotrial_error_unknown_argument")
  expect_error(model_selection(CHG ~ ARM * AVISIT, d, "cs", "AVISIT", "USUBJID", NULL, TRUE, 3),
               class = "glycotrial_error_unknown_argument")
  expect_s3_class(model_selection(CHG ~ ARM * AVISIT, d, structures = "cs",
                                  control = mmrm_fit_control()), "data.frame")
})
