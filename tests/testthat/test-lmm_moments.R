# fit_lmm() on data sources (chunks, CSV, Parquet, SQLite) where the random
# design depends only on the visit: the pattern-moment fit must agree with the
# in-memory fit_lmm() (itself validated against lme4/nlme in test-lmm_fit*.R):
# beta, variance components and logLik to 1e-8 relative, vcov to 1e-6.

lmm_mom_data <- function(n = 150, seed = 21) {
  withr::with_seed(seed, {
    weeks <- c(0, 4, 8, 12, 24)
    d <- expand.grid(WEEK = weeks, USUBJID = sprintf("S%04d", seq_len(n)), stringsAsFactors = FALSE)
    d <- d[, c("USUBJID", "WEEK")]
    id <- as.integer(factor(d$USUBJID))
    arm <- ifelse(seq_len(n) %% 2 == 0, "Drug", "Placebo")
    d$ARM <- arm[id]
    d$BASE <- stats::rnorm(n, 8, 1)[id]
    b0 <- stats::rnorm(n, 0, 1)
    b1 <- stats::rnorm(n, 0, 0.05)
    d$AVAL <- 8 + 0.5 * (d$BASE - 8) - 0.03 * d$WEEK * (d$ARM == "Drug") + b0[id] + b1[id] * d$WEEK +
      stats::rnorm(nrow(d), 0, 0.6)
    d$AVAL[stats::runif(nrow(d)) < 0.1] <- NA
    d$AVISIT <- factor(paste0("W", d$WEEK), levels = paste0("W", weeks))
    d
  })
}

lmm_mom_compare <- function(f, ref) {
  expect_s3_class(f, "glycotrial_lmm_moments")
  expect_lt(rel_diff(fixef(f), fixef(ref)), 1e-8)
  expect_lt(rel_diff(as.vector(f$G), as.vector(ref$G)), 1e-8)
  if (!is.na(ref$sigma2)) expect_lt(rel_diff(f$sigma2, ref$sigma2), 1e-8)
  expect_lt(abs(as.numeric(logLik(f)) - as.numeric(logLik(ref))) / abs(as.numeric(logLik(ref))), 1e-8)
  expect_equal(unname(vcov(f)), unname(vcov(ref)), tolerance = 1e-6)
  expect_identical(nobs(f), nobs(ref))
}

test_that("G from log-Cholesky parameters equals the hand calculation", {
  # block 1 (2 x 2): L = [e^0.1 0; 0.5 e^-0.2]; block 2 (1 x 1): e^0.3
  th <- c(0.1, 0.5, -0.2, 0.3)
  L1 <- matrix(c(exp(0.1), 0.5, 0, exp(-0.2)), 2)
  G <- glycotrial:::lmm_moment_g(th, c(2L, 1L))
  expect_equal(G[1:2, 1:2], L1 %*% t(L1), tolerance = 1e-15)
  expect_equal(G[3, 3], exp(0.6), tolerance = 1e-15)
  expect_equal(G[1:2, 3], c(0, 0))
  expect_error(glycotrial:::lmm_moment_g(th[-1], c(2L, 1L)), class = "glycotrial_error_input")
})

test_that("random intercept and slope: chunks, CSV, Parquet and SQLite match the in-memory fit", {
  d <- lmm_mom_data()
  form <- AVAL ~ BASE + ARM * WEEK + (1 + WEEK | USUBJID)
  ref <- fit_lmm(form, data = d)
  chunks <- split(d, rep(1:3, each = 50 * 5))
  f_ch <- fit_lmm(form, data = mmrm_data_chunks(chunks))
  lmm_mom_compare(f_ch, ref)
  # ML too
  lmm_mom_compare(fit_lmm(form, data = mmrm_data_chunks(chunks), reml = FALSE),
                  fit_lmm(form, data = d, reml = FALSE))
  dir <- withr::local_tempdir()
  dd <- d
  dd$AVISIT <- as.character(dd$AVISIT)
  csv <- file.path(dir, "a.csv")
  utils::write.csv(dd, csv, row.names = FALSE)
  lmm_mom_compare(fit_lmm(form, data = mmrm_data_csv(csv, chunk_rows = 101)), ref)
  if (requireNamespace("nanoparquet", quietly = TRUE)) {
    pq <- file.path(dir, c("a.parquet", "b.parquet"))
    nanoparquet::write_parquet(dd[1:375, ], pq[1])
    nanoparquet::write_parquet(dd[376:750, ], pq[2])
    lmm_mom_compare(fit_lmm(form, data = mmrm_data_parquet(pq)), ref)
  }
  skip_if_not_installed("RSQLite")
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "adlb", dd)
  lmm_mom_compare(fit_lmm(form, data = mmrm_data_dbi(con, "adlb")), ref)
})

test_that("uncorrelated terms and a residual structure over the visits", {
  d <- lmm_mom_data(seed = 22)
  chunks <- split(d, rep(1:2, each = 75 * 5))
  form <- AVAL ~ ARM * WEEK + (1 + WEEK || USUBJID)
  lmm_mom_compare(fit_lmm(form, data = mmrm_data_chunks(chunks)), fit_lmm(form, data = d))
  # a random intercept with an AR(1) residual over the visit factor
  form2 <- AVAL ~ ARM * AVISIT + (1 | USUBJID) + ar1(AVISIT | USUBJID)
  ref2 <- fit_lmm(form2, data = d)
  f2 <- fit_lmm(form2, data = mmrm_data_chunks(chunks, levels = list(AVISIT = levels(d$AVISIT))))
  lmm_mom_compare(f2, ref2)
  # a random slope in WEEK (constant within each visit of AVISIT) with an AR(1)
  # residual over AVISIT: chunks, SQLite
  form3 <- AVAL ~ ARM * WEEK + (1 + WEEK | USUBJID) + ar1(AVISIT | USUBJID)
  ref3 <- fit_lmm(form3, data = d)
  lv <- list(AVISIT = levels(d$AVISIT))
  lmm_mom_compare(fit_lmm(form3, data = mmrm_data_chunks(chunks, levels = lv)), ref3)
  skip_if_not_installed("RSQLite")
  con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbWriteTable(con, "adlb", transform(d, AVISIT = as.character(AVISIT)))
  lmm_mom_compare(fit_lmm(form3, data = mmrm_data_dbi(con, "adlb", levels = lv)), ref3)
})

test_that("per-subject outputs and unsupported designs give classed errors", {
  d <- lmm_mom_data(n = 40, seed = 23)
  src <- mmrm_data_chunks(list(d))
  f <- fit_lmm(AVAL ~ ARM * WEEK + (1 + WEEK | USUBJID), data = src)
  expect_error(ranef(f), class = "glycotrial_error_moments_only")
  expect_error(residuals(f), class = "glycotrial_error_moments_only")
  expect_error(fitted(f), class = "glycotrial_error_moments_only")
  expect_error(predict(f), class = "glycotrial_error_moments_only")
  expect_output(print(f), "pattern moments")
  expect_s3_class(VarCorr(f), "glycotrial_lmm_varcorr")
  # slopes in two variables, two grouping factors, intercept only without a
  # residual structure, a slope that is not the residual time
  d$X2 <- d$WEEK^2
  d$SITE <- rep(c("A", "B"), length.out = nrow(d))
  expect_error(fit_lmm(AVAL ~ WEEK + (1 + WEEK + X2 | USUBJID), data = src),
               class = "glycotrial_error_moment_route")
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID) + (1 | SITE), data = src),
               class = "glycotrial_error_moment_route")
  expect_error(fit_lmm(AVAL ~ WEEK + (1 | USUBJID), data = src),
               class = "glycotrial_error_moment_route")
  # observation weights (residual-only in fit_lmm(), whole rows in the data pass)
  expect_error(fit_lmm(AVAL ~ WEEK + (1 + WEEK | USUBJID), data = src, weights = "BASE"),
               class = "glycotrial_error_moment_route", regexp = "weights")
  # a slope variable that is not constant within the visits of the residual
  # structure's time
  d3 <- d
  d3$WEEK[d3$USUBJID == d3$USUBJID[1] & d3$WEEK == 4] <- 5
  expect_error(fit_lmm(AVAL ~ WEEK + (1 + WEEK | USUBJID) + ar1(AVISIT | USUBJID),
                       data = mmrm_data_chunks(list(d3))),
               class = "glycotrial_error_moment_route", regexp = "not constant")
  # two rows of a subject at one value of the slope variable
  d2 <- rbind(d, d[1, ])
  expect_error(fit_lmm(AVAL ~ WEEK + (1 + WEEK | USUBJID), data = mmrm_data_chunks(list(d2))),
               class = "glycotrial_error_input", regexp = "more than one row")
})

test_that("fixed-effect inference of a moment fit equals the in-memory fit_lmm() (Satterthwaite, as lmerTest)", {
  d <- lmm_mom_data()
  form <- AVAL ~ BASE + ARM * WEEK + (1 + WEEK | USUBJID)
  ref <- fit_lmm(form, data = d)
  chunks <- unname(split(d, rep(1:3, length.out = nrow(d))[as.integer(factor(d$USUBJID))]))
  f <- fit_lmm(form, data = mmrm_data_chunks(chunks))
  s <- summary(f)
  expect_s3_class(s, "summary.glycotrial_lmm_moments")
  cf <- s$coefficients
  cr <- summary(ref)$coefficients
  expect_identical(rownames(cf), rownames(cr))
  expect_equal(unname(cf[, "Estimate"]), unname(cr[, "Estimate"]), tolerance = 1e-8)
  expect_equal(unname(cf[, "Std. Error"]), unname(cr[, "Std. Error"]), tolerance = 1e-6)
  expect_equal(unname(cf[, "df"]), unname(cr[, "df"]), tolerance = 1e-5)
  expect_equal(unname(cf[, "Pr(>|t|)"]), unname(cr[, "Pr(>|t|)"]), tolerance = 1e-5)
  expect_output(print(s), "Satterthwaite")
  # confint: t intervals with these df
  ci <- confint(f)
  q <- stats::qt(0.975, cf[, "df"])
  expect_equal(unname(ci[, 1]), unname(cf[, "Estimate"] - q * cf[, "Std. Error"]), tolerance = 1e-8)
  # F test of the one-df interaction: F = t^2 with the same df
  a <- anova(f)
  expect_equal(a["ARM:WEEK", "F value"], cf["ARMPlacebo:WEEK", "t value"]^2, tolerance = 1e-8)
  expect_equal(a["ARM:WEEK", "Denom Df"], cf["ARMPlacebo:WEEK", "df"], tolerance = 1e-8)
  expect_error(anova(f, f), class = "glycotrial_error_moments_only")
  skip_if_not_installed("lmerTest")
  lt <- lmerTest::lmer(AVAL ~ BASE + ARM * WEEK + (1 + WEEK | USUBJID), data = d,
                       control = lme4::lmerControl(optCtrl = list(rhoend = 1e-12)))
  expect_equal(unname(cf[, "df"]), unname(summary(lt)$coefficients[, "df"]), tolerance = 1e-3)
  skip_if_not_installed("emmeans")
  em <- suppressMessages(as.data.frame(emmeans::emmeans(f, ~ ARM, at = list(WEEK = 24))))
  emr <- suppressMessages(as.data.frame(emmeans::emmeans(lt, ~ ARM, at = list(WEEK = 24), lmer.df = "satterthwaite")))
  expect_equal(em$emmean, emr$emmean, tolerance = 1e-5)
  expect_equal(em$SE, emr$SE, tolerance = 1e-4)
  expect_equal(em$df, emr$df, tolerance = 1e-3)
})
