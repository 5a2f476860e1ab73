# mmrm_result(): stage 5 of mmrm_fit() (R/mmrm_result.R), and the stages
# chained by hand, which must give mmrm_fit()'s result exactly.

fev_data <- function() suppressWarnings(mmrm::fev_data)

# every field but the call and the external pointer of the engine
strip <- function(fit) fit[setdiff(names(fit), c("call", "engine"))]

# stage 4 (mmrm_optimise(), R/mmrm_optimise.R)
optimise_stage <- function(engine, control = mmrm_fit_control()) {
  if ("mmrm_optimise" %in% getNamespaceExports("glycotrial")) {
    glycotrial::mmrm_optimise(engine, control)
  } else {
    glycotrial:::mmrm_run_optimiser(engine, control)
  }
}

engine_optimum <- function(formula, data) {
  eng <- mmrm_engine(mmrm_design(formula, data))
  list(engine = eng, optimum = optimise_stage(eng))
}

chain <- function(formula, data, reml = TRUE, weights = NULL, df = "Kenward-Roger", vcov = NULL,
                  control = mmrm_fit_control(), ...) {
  des <- mmrm_design(mmrm_formula(formula), data, weights = weights, control = control, ...)
  eng <- mmrm_engine(des, reml = reml)
  opt <- optimise_stage(eng, control)
  mmrm_result(opt, eng, df = df, vcov = vcov)
}

test_that("the stages chained by hand equal mmrm_fit()", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  fev$W <- seq_len(nrow(fev)) %% 4 + 1
  cases <- list(
    list(f = FEV1 ~ ARMCD * AVISIT + us(AVISIT | USUBJID)),
    list(f = FEV1 ~ ARMCD + AVISIT + ar1(AVISIT | ARMCD / USUBJID), df = "Satterthwaite"),
    list(f = FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID), weights = "W", df = "Residual",
         vcov = "Empirical", reml = FALSE),
    list(f = FEV1 ~ ARMCD + AVISIT + toep(AVISIT | USUBJID), na.action = na.exclude)
  )
  for (cs in cases) {
    args <- list(cs$f, fev, reml = if (is.null(cs$reml)) TRUE else cs$reml, weights = cs$weights,
                 df = if (is.null(cs$df)) "Kenward-Roger" else cs$df, vcov = cs$vcov)
    if (!is.null(cs$na.action)) args$na.action <- cs$na.action
    by_hand <- do.call(chain, args)
    fit <- do.call(mmrm_fit, args)
    expect_s3_class(by_hand, "glycotrial_mmrm")
    expect_identical(strip(by_hand), strip(fit), info = deparse(cs$f))
    expect_identical(vcov(by_hand), vcov(fit))
  }
})

test_that("chained by hand on the moment route and with centred data equal mmrm_fit()", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  f <- FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID)
  src <- mmrm_data_chunks(list(fev[1:300, ], fev[-(1:300), ]))
  expect_identical(strip(chain(f, src)), strip(mmrm_fit(f, src)))
  far <- fev
  far$FEV1 <- far$FEV1 + 1e4
  by_hand <- chain(f, far)
  expect_identical(strip(by_hand), strip(mmrm_fit(f, far)))
  # mapped back: the intercept carries the shift (hand calculation)
  expect_equal(unname(coef(by_hand)[1] - coef(mmrm_fit(f, fev))[1]), 1e4, tolerance = 1e-8)
})

test_that("data far from zero: the one engine maps back exactly, also for what is computed later", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  fev$FEV1 <- fev$FEV1 + 200
  fev$FEV1_BL <- fev$FEV1_BL + 200
  f <- FEV1 ~ FEV1_BL + ARMCD * AVISIT + us(AVISIT | USUBJID)
  cen <- mmrm_fit(f, fev, df = "Satterthwaite")
  expect_false(is.null(cen$engine_map$Ti))  # centred: T is not the identity
  # reference: the same model fitted in the formula's parametrisation (200 is
  # not far enough to lose digits there)
  old <- options(glycotrial.mmrm_reparam_ratio = Inf)
  raw <- mmrm_fit(f, fev, df = "Satterthwaite")
  options(old)
  expect_null(raw$engine_map)
  expect_equal(coef(cen), coef(raw), tolerance = 1e-7)
  # the Kenward-Roger pieces (P_j, Q, R) and the scores come from the centred
  # engine and are mapped with T; each covariance is computed after the fit
  for (type in c("Kenward-Roger", "Kenward-Roger-Linear", "Empirical", "Empirical-Jackknife")) {
    expect_equal(vcov(cen, type = type), vcov(raw, type = type), tolerance = 1e-6, info = type)
  }
  expect_equal(residuals(cen, type = "normalized"), residuals(raw, type = "normalized"),
               tolerance = 1e-6)
  # computed later = computed at the fit (in the centred parametrisation)
  emp <- mmrm_fit(f, fev, df = "Satterthwaite", vcov = "Empirical")
  expect_equal(vcov(cen, type = "Empirical"), vcov(emp), tolerance = 1e-12)
  kr <- mmrm_fit(f, fev)
  expect_equal(vcov(cen, type = "Kenward-Roger"), vcov(kr), tolerance = 1e-9)
})

test_that("the result stage alone gives another df method from the same optimum", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  f <- FEV1 ~ ARMCD + AVISIT + us(AVISIT | USUBJID)
  st <- engine_optimum(f, fev)
  kr <- mmrm_result(st$optimum, st$engine)
  sat <- mmrm_result(st$optimum, st$engine, df = "Satterthwaite")
  expect_identical(coef(kr), coef(sat))
  expect_identical(strip(sat), strip(mmrm_fit(f, fev, df = "Satterthwaite")))
  # independent reference: mmrm's Kenward-Roger covariance
  ref <- mmrm::mmrm(FEV1 ~ ARMCD + AVISIT + us(AVISIT | USUBJID), fev, method = "Kenward-Roger")
  expect_equal(unname(vcov(kr)), unname(vcov(ref)), tolerance = 1e-4)
})

test_that("bad input to the result stage gives classed errors", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  f <- FEV1 ~ ARMCD + AVISIT + cs(AVISIT | USUBJID)
  st <- engine_optimum(f, fev)
  eng <- st$engine
  opt <- st$optimum
  expect_error(mmrm_result(unclass(opt), eng), class = "glycotrial_error_input")
  expect_error(mmrm_result(opt, list()), class = "glycotrial_error_input")
  expect_error(mmrm_result(opt, eng, df = "nope"), class = "glycotrial_error_input")
  expect_error(mmrm_result(opt, eng, df = "Satterthwaite", vcov = "Kenward-Roger"),
               class = "glycotrial_error_input")
  eng_us <- mmrm_engine(mmrm_design(FEV1 ~ ARMCD + AVISIT + us(AVISIT | USUBJID), fev))
  expect_error(mmrm_result(opt, eng_us), class = "glycotrial_error_input")
  eng_ml <- mmrm_engine(mmrm_design(f, fev), reml = FALSE)
  expect_error(mmrm_result(optimise_stage(eng_ml), eng_ml), class = "glycotrial_error_input")
  eng_m <- mmrm_engine(mmrm_design(f, mmrm_data_chunks(list(fev))))
  expect_error(mmrm_result(optimise_stage(eng_m), eng_m, df = "Residual", vcov = "Empirical"),
               class = "glycotrial_error_moment_route")
})
