# mmrm_engine(): stage 3 of mmrm_fit() (R/mmrm_engine.R): the C++ engine and
# the deviance function it gives for profiling.

fev_data <- function() suppressWarnings(mmrm::fev_data)

test_that("the engine's deviance is -2 logLik of the final fit at its theta", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  for (reml in c(TRUE, FALSE)) {
    f <- FEV1 ~ ARMCD * AVISIT + ar1h(AVISIT | USUBJID)
    fit <- mmrm_fit(f, fev, reml = reml, df = "Satterthwaite")
    eng <- mmrm_engine(mmrm_design(f, fev), reml = reml)
    expect_s3_class(eng, "glycotrial_mmrm_engine")
    expect_identical(eng$route, "rows")
    expect_identical(eng$n_theta, length(fit$theta))
    expect_equal(eng$deviance(fit$theta), -2 * as.numeric(logLik(fit)), tolerance = 1e-12)
    # independent reference: the mmrm package at its own optimum
    ref <- mmrm::mmrm(FEV1 ~ ARMCD * AVISIT + ar1h(AVISIT | USUBJID), fev, reml = reml)
    expect_equal(eng$deviance(fit$theta), -2 * as.numeric(logLik(ref)), tolerance = 1e-6)
    # a minimum: the deviance rises on either side in each parameter
    for (j in seq_along(fit$theta)) {
      h <- replace(numeric(length(fit$theta)), j, 1e-3)
      expect_gt(eng$deviance(fit$theta + h), eng$deviance(fit$theta))
      expect_gt(eng$deviance(fit$theta - h), eng$deviance(fit$theta))
    }
  }
})

test_that("the moment route's engine gives the same deviance as the row route's", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  f <- FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID)
  fit <- mmrm_fit(f, fev)
  eng <- mmrm_engine(mmrm_design(f, mmrm_data_chunks(list(fev))))
  expect_identical(eng$route, "moments")
  expect_null(eng$design)
  expect_equal(eng$deviance(fit$theta), -2 * as.numeric(logLik(fit)), tolerance = 1e-8)
  expect_output(print(eng), "moments route, 2 covariance parameters")
})

test_that("stopping after the engine stage: a profile of the deviance", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  f <- FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID)
  eng <- mmrm_engine(mmrm_design(f, fev))
  fit <- mmrm_fit(f, fev)
  prof <- vapply(fit$theta[2] + c(-0.2, -0.1, 0, 0.1, 0.2),
                 function(t2) eng$deviance(c(fit$theta[1], t2)), 1)
  expect_identical(which.min(prof), 3L)
  expect_equal(prof[3], fit$deviance)
})

test_that("bad input to the engine stage gives classed errors", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  des <- mmrm_design(FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID), fev)
  expect_error(mmrm_engine(list(route = "rows")), class = "glycotrial_error_input")
  expect_error(mmrm_engine(FEV1 ~ ARMCD), class = "glycotrial_error_input")
  expect_error(mmrm_engine(des, reml = NA), class = "glycotrial_error_input")
  expect_error(mmrm_engine(des, reml = "yes"), class = "glycotrial_error_input")
})
