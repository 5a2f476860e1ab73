# Data far from zero: a response or a numeric covariate offset by
# 1e4 or 1e6 must give the same fit as the data without the offset
# (coefficients mapped back by hand below), whichever way the data arrive.
# The data pass centres numeric covariates and subtracts a pilot fit from the
# response (an exact reparametrisation, R/mmrm_moments.R); without it the
# moments cancel (measured before the fix on fev_data, moment route: 1.5e-4
# relative error in the coefficients with FEV1 + 1e6, no convergence).

acc_formula <- FEV1 ~ FEV1_BL + RACE + SEX + ARMCD * AVISIT + us(AVISIT | USUBJID)

acc_data <- function() {
  suppressWarnings(skip_if_not_installed("mmrm"))
  d <- mmrm::fev_data
  d$USUBJID <- as.character(d$USUBJID)
  d
}

# Fits `d` through `source` ("frame", "chunks", "csv", "sql") by the moment route.
acc_fit <- function(d, source) {
  withr::local_options(glycotrial.mmrm_moment_rows = if (source == "row") Inf else 1)
  lv <- lapply(d[c("AVISIT", "ARMCD", "RACE", "SEX")], levels)
  ctl <- mmrm_fit_control(grad_tol = 1e-9)
  dd <- d
  dd$AVISIT <- as.character(dd$AVISIT)
  for (v in c("ARMCD", "RACE", "SEX")) dd[[v]] <- as.character(dd[[v]])
  data <- switch(source,
    frame = d,
    row = d,
    chunks = mmrm_data_chunks(split(dd, rep(1:3, length.out = nrow(dd))[match(dd$USUBJID, unique(dd$USUBJID))]),
                              levels = lv),
    csv = {
      dir <- withr::local_tempdir(.local_envir = parent.frame(2))
      f <- file.path(dir, c("a.csv", "b.csv"))
      utils::write.csv(dd[1:400, ], f[1], row.names = FALSE)
      utils::write.csv(dd[401:800, ], f[2], row.names = FALSE)
      mmrm_data_csv(f, chunk_rows = 150, levels = lv)
    },
    sql = {
      con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
      withr::defer(DBI::dbDisconnect(con), envir = parent.frame(2))
      DBI::dbWriteTable(con, "adlb", dd)
      mmrm_data_dbi(con, "adlb", levels = lv)
    })
  mmrm_fit(acc_formula, data = data, control = ctl)
}

# Compares a fit of offset data with the fit of the same data with the
# offset taken off again (fl(x + a) - a is exact, so both fits see the same
# rounded values and only the algorithm differs), mapping the coefficients
# (and their covariance) of the offset fit back by hand: response + a:
# intercept - a; covariate + a: intercept + a * slope.
acc_compare <- function(fit, base, off, what, tol = 1e-8, df_tol = tol) {
  expect_true(fit$convergence$converged)
  b <- coef(fit)
  A <- diag(length(b))
  if (what == "y") {
    b[1] <- b[1] - off
  } else {
    j <- which(names(b) == "FEV1_BL")
    b[1] <- b[1] + off * b[j]
    A[1, j] <- off
  }
  expect_lt(rel_diff(b, coef(base)), tol)
  expect_lt(rel_diff(fit$theta, base$theta), tol)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(base)), tolerance = tol)
  se <- sqrt(diag(vcov(fit)))
  se0 <- sqrt(diag(vcov(base)))
  expect_lt(rel_diff(se[-1], se0[-1]), tol)
  # the intercept's SE after mapping (A V A' itself cancels by off^2 * eps)
  se_int <- sqrt(drop(A[1, ] %*% vcov(fit) %*% A[1, ]))
  expect_equal(se_int, unname(se0[1]), tolerance = max(tol, off^2 * 1e-15))
  df <- summary(fit)$coefficients[-1, "df"]
  expect_lt(rel_diff(df, summary(base)$coefficients[-1, "df"]), df_tol)
  # the other Kenward-Roger kind, recomputed after the fit from its engine
  sel <- sqrt(diag(vcov(fit, type = "Kenward-Roger-Linear")))
  sel0 <- sqrt(diag(vcov(base, type = "Kenward-Roger-Linear")))
  expect_lt(rel_diff(sel[-1], sel0[-1]), tol)
  e <- as.numeric(names(b) == "FEV1_BL")
  expect_equal(glycotrial:::mmrm_df_1d(fit, e, "Kenward-Roger-Linear"),
               glycotrial:::mmrm_df_1d(base, e, "Kenward-Roger-Linear"), tolerance = df_tol)
}

# (15 significant digits, what write.csv() keeps, so that the CSV source
# sees the same numbers as the others)
acc_offset <- function(d, what, off) {
  v <- if (what == "y") "FEV1" else "FEV1_BL"
  d[[v]] <- signif(d[[v]] + off, 15)
  d
}

test_that("moment route: offsets 1e4 and 1e6 on the response and a covariate, every source", {
  d <- acc_data()
  skip_if_not_installed("RSQLite")
  for (what in c("y", "x")) for (off in c(1e4, 1e6)) {
    d_off <- acc_offset(d, what, off)
    base <- acc_fit(acc_offset(d_off, what, -off), "frame")
    # Kenward-Roger df of a covariate offset: computed in the centred
    # parametrisation (the matrices of the original one hold the offset
    # squared, which cost ~ off^2 * 1e-17 before), so 1e-8 for every offset
    df_tol <- 1e-8
    for (source in c("frame", "chunks", "csv", "sql")) {
      acc_compare(acc_fit(d_off, source), base, off, what, df_tol = df_tol)
    }
  }
})

test_that("offset fits agree with mmrm where mmrm converges", {
  d <- acc_data()
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  ref0 <- mmrm::mmrm(acc_formula, data = mmrm::fev_data, method = "Kenward-Roger")
  dx <- mmrm::fev_data
  dx$FEV1_BL <- dx$FEV1_BL + 1e4
  refx <- mmrm::mmrm(acc_formula, data = dx, method = "Kenward-Roger")
  fx <- mmrm_fit(acc_formula, data = dx)
  # mmrm on the offset covariate (its own optimiser precision, 1e-5 as in
  # test-mmrm_moments.R)
  # (mmrm's optimiser precision: on the original fev_data its estimates
  # differ from ours by 1.3e-5 and its SEs by 2.2e-5, mean relative)
  expect_equal(coef(fx), coef(refx), tolerance = 1e-4)
  expect_equal(as.numeric(logLik(fx)), as.numeric(logLik(refx)), tolerance = 1e-8)
  expect_equal(unname(sqrt(diag(vcov(fx)))[-1]), unname(sqrt(diag(vcov(refx)))[-1]), tolerance = 1e-4)
  # an offset response (mmrm itself drifts by ~7e-4 at 1e4, so compare with
  # mmrm on the original data, mapped)
  dy <- mmrm::fev_data
  dy$FEV1 <- dy$FEV1 + 1e6
  fy <- mmrm_fit(acc_formula, data = dy)
  b <- coef(fy)
  b[1] <- b[1] - 1e6
  expect_equal(b, coef(ref0), tolerance = 1e-4)
  expect_equal(as.numeric(logLik(fy)), as.numeric(logLik(ref0)), tolerance = 1e-8)
})

test_that("centring is used only where it is an exact reparametrisation", {
  d <- acc_data()
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  d$FEV1_BL <- d$FEV1_BL + 1e4
  # intercept and main effect: centred
  fit <- mmrm_fit(acc_formula, data = d)
  expect_named(fit$centring$centre, "FEV1_BL")
  # FEV1_BL:AVISIT without the AVISIT main effect: the marginal columns are
  # not in the model, so FEV1_BL is not centred (the response shift stays)
  enc <- glycotrial:::mmrm_encoding_for(FEV1 ~ FEV1_BL:AVISIT + us(AVISIT | USUBJID), d)
  cm <- glycotrial:::moments_centre_map(enc, c(FEV1_BL = 1e4))
  expect_equal(unname(cm$centre), 0)
  expect_equal(cm$T, diag(length(enc$colnames)))
  # with the marginal columns: T maps x:AVISIT_k -> x:AVISIT_k - c AVISIT_k
  enc2 <- glycotrial:::mmrm_encoding_for(FEV1 ~ FEV1_BL * AVISIT + us(AVISIT | USUBJID), d)
  cm2 <- glycotrial:::moments_centre_map(enc2, c(FEV1_BL = 1e4))
  X <- model.matrix(~ FEV1_BL * AVISIT, d)
  dc <- d
  dc$FEV1_BL <- dc$FEV1_BL - 1e4
  Xc <- model.matrix(~ FEV1_BL * AVISIT, dc)
  expect_equal(unname(X %*% cm2$T), unname(Xc[, ]), tolerance = 1e-12, ignore_attr = TRUE)
  # no intercept: not centred
  enc3 <- glycotrial:::mmrm_encoding_for(FEV1 ~ 0 + FEV1_BL + us(AVISIT | USUBJID), d)
  expect_equal(unname(glycotrial:::moments_centre_map(enc3, c(FEV1_BL = 1e4))$centre), 0)
  fit3 <- mmrm_fit(FEV1 ~ FEV1_BL:AVISIT + ARMCD + us(AVISIT | USUBJID), data = d)
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  ref3 <- mmrm_fit(FEV1 ~ FEV1_BL:AVISIT + ARMCD + us(AVISIT | USUBJID), data = d)
  expect_lt(rel_diff(coef(fit3), coef(ref3)), 1e-6)
})

test_that("rank-deficient designs with an offset fall back to the raw moments", {
  d <- acc_data()
  withr::local_options(glycotrial.mmrm_moment_rows = 1)
  d$FEV1 <- d$FEV1 + 1e4
  d$BL2 <- 2 * d$FEV1_BL + 1e4   # aliased with FEV1_BL and the intercept
  fit <- mmrm_fit(FEV1 ~ FEV1_BL + BL2 + ARMCD * AVISIT + us(AVISIT | USUBJID), data = d,
                  control = mmrm_fit_control(accept_singular = TRUE))
  expect_true(is.na(coef(fit)[["BL2"]]))
  base <- mmrm_fit(FEV1 ~ FEV1_BL + ARMCD * AVISIT + us(AVISIT | USUBJID), data = d)
  expect_lt(rel_diff(coef(fit)[names(coef(base))], coef(base)), 1e-6)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(base)), tolerance = 1e-8)
})

test_that("row route: offsets 1e4 and 1e6 on the response and a covariate", {
  d <- acc_data()
  for (what in c("y", "x")) for (off in c(1e4, 1e6)) {
    d_off <- acc_offset(d, what, off)
    base <- acc_fit(acc_offset(d_off, what, -off), "row")
    df_tol <- 1e-8
    fit <- acc_fit(d_off, "row")
    acc_compare(fit, base, off, what, df_tol = df_tol)
    # per-row quantities come from the original rows
    expect_equal(unname(residuals(fit)), unname(residuals(base)), tolerance = 1e-8)
    # (fitted values of the offset data carry its rounding: off * 1e-16)
    expect_equal(unname(fitted(fit)) - if (what == "y") off else 0, unname(fitted(base)),
                 tolerance = 1e-9)
    expect_equal(model.matrix(fit)[, "FEV1_BL"],
                 model.matrix(base)[, "FEV1_BL"] + if (what == "x") off else 0, tolerance = 1e-15)
  }
  # ordinary data (|mean| < 10 SD) are fitted as they are
  withr::local_options(glycotrial.mmrm_moment_rows = Inf)
  expect_null(mmrm_fit(acc_formula, data = d)$centring)
  # the empirical (sandwich) covariance and its Satterthwaite df map back too
  d_off <- acc_offset(d, "x", 1e4)
  fe <- mmrm_fit(acc_formula, data = d_off, df = "Satterthwaite", vcov = "Empirical")
  fe0 <- mmrm_fit(acc_formula, data = acc_offset(d_off, "x", -1e4), df = "Satterthwaite",
                  vcov = "Empirical")
  expect_lt(rel_diff(sqrt(diag(vcov(fe)))[-1], sqrt(diag(vcov(fe0)))[-1]), 1e-8)
  expect_lt(rel_diff(summary(fe)$coefficients[-1, "df"], summary(fe0)$coefficients[-1, "df"]), 1e-6)
})
