# Determinism: the same input gives bit-identical output across repeated
# calls, across chunked (map-reduce) evaluation, in another R process (future
# workers), and regardless of the caller's RNG state. identical() is used on
# purpose: no tolerance.

has_fun <- function(f) exists(f, envir = asNamespace("glycotrial"), inherits = FALSE)

hba1c_long <- function() {
  d <- glycotrial::adlb
  d <- d[d$PARAMCD == "HBA1C" & !is.na(d$AVAL), , drop = FALSE]
  d$AVISIT <- factor(d$AVISIT, levels = unique(d$AVISIT[order(d$AVISITN)]))
  d
}

test_that("CIs and tests are bit-identical across calls and chunkings", {
  x <- c(0:10, 3, 7)
  n <- c(rep(10, 11), 40, 13)
  # Wald at x = 0 and x = n has zero width: its classed warning is expected here.
  quiet <- function(expr) withCallingHandlers(expr,
    glycotrial_warning_degenerate_interval = function(w) invokeRestart("muffleWarning"))
  a <- quiet(prop_ci(x, n, method = glycotrial:::prop_ci_methods))
  expect_identical(quiet(prop_ci(x, n, method = glycotrial:::prop_ci_methods)), a)
  # Vectorised evaluation equals element-wise evaluation exactly.
  one <- do.call(rbind, lapply(seq_along(x), function(i) prop_ci(x[i], n[i], method = "mid-p")))
  all <- prop_ci(x, n, method = "mid-p")
  expect_identical(one$lower, all$lower)
  expect_identical(one$upper, all$upper)
  d1 <- diff_ci(c(3, 9), c(10, 45), c(1, 2), c(12, 44), method = c("mn", "newcombe", "exact"))
  expect_identical(diff_ci(c(3, 9), c(10, 45), c(1, 2), c(12, 44),
                           method = c("mn", "newcombe", "exact")), d1)
  f1 <- farrington_manning_test(9, 45, 2, 44, margin = -0.1, alternative = "greater")
  expect_identical(farrington_manning_test(9, 45, 2, 44, margin = -0.1, alternative = "greater"), f1)
})

test_that("indices are bit-identical across calls and row chunks", {
  skip_if_not(has_fun("homa1_ir"))
  g <- seq(4, 12, length.out = 50)
  i <- seq(2, 40, length.out = 50)
  h <- homa1_ir(g, i)
  expect_identical(homa1_ir(g, i), h)
  expect_identical(c(homa1_ir(g[1:17], i[1:17]), homa1_ir(g[18:50], i[18:50])), h)
})

test_that("simulate_trial() with a seed is reproducible and leaves the caller's RNG alone", {
  set.seed(99)
  before <- .Random.seed
  a <- simulate_trial(n = c(6, 6), seed = 11)
  expect_identical(.Random.seed, before)
  b <- simulate_trial(n = c(6, 6), seed = 11)
  expect_identical(a, b)
})

test_that("fit_lmm() estimates are bit-identical across fits and unaffected by the RNG", {
  skip_if_not(has_fun("fit_lmm"))
  d <- hba1c_long()
  set.seed(1)
  f1 <- fit_lmm(AVAL ~ AVISIT + (1 | USUBJID), data = d)
  set.seed(2)
  f2 <- fit_lmm(AVAL ~ AVISIT + (1 | USUBJID), data = d)
  expect_identical(fixef(f1), fixef(f2))
  expect_identical(f1$theta, f2$theta)
  expect_identical(f1$logLik, f2$logLik)
})

mmrm_data <- function() {
  d <- glycotrial::adlb
  d <- d[d$PARAMCD == "HBA1C" & d$AVISITN > 0 & !is.na(d$CHG), , drop = FALSE]
  d$AVISIT <- factor(d$AVISIT, levels = unique(d$AVISIT[order(d$AVISITN)]))
  d$ARM <- factor(d$ARM)
  d
}

test_that("fit_mmrm() estimates are bit-identical across fits and row orders", {
  skip_if_not(has_fun("mmrm_fit"))
  d <- mmrm_data()
  f1 <- mmrm_fit(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID), data = d)
  f2 <- mmrm_fit(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID), data = d)
  expect_identical(coef(f1), coef(f2))
  expect_identical(vcov(f1), vcov(f2))
  expect_identical(as.numeric(logLik(f1)), as.numeric(logLik(f2)))
  # Shuffled rows: the engine sorts by subject and visit, so the estimates
  # agree to rounding (summation order may differ); 1e-10 relative.
  set.seed(5)
  f3 <- mmrm_fit(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID), data = d[sample(nrow(d)), ])
  expect_equal(coef(f3), coef(f1), tolerance = 1e-10)
})

test_that("results in a future worker process are bit-identical to the main process", {
  skip_on_cran()
  skip_if_not_installed("future")
  skip_if_not_installed("future.apply")
  local_plan <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(local_plan), add = TRUE)
  lib <- .libPaths()
  job <- function(i) {
    .libPaths(lib)
    ns <- asNamespace("glycotrial")
    out <- list(ci = glycotrial::diff_ci(9, 45, 2, 44, method = c("mn", "exact")))
    if (exists("fit_lmm", envir = ns, inherits = FALSE)) {
      d <- glycotrial::adlb
      d <- d[d$PARAMCD == "HBA1C" & !is.na(d$AVAL), , drop = FALSE]
      d$AVISIT <- factor(d$AVISIT, levels = unique(d$AVISIT[order(d$AVISITN)]))
      out$lmm <- glycotrial::fixef(glycotrial::fit_lmm(AVAL ~ AVISIT + (1 | USUBJID), data = d))
    }
    if (exists("mmrm_fit", envir = ns, inherits = FALSE)) {
      d <- glycotrial::adlb
      d <- d[d$PARAMCD == "HBA1C" & d$AVISITN > 0 & !is.na(d$CHG), , drop = FALSE]
      d$AVISIT <- factor(d$AVISIT, levels = unique(d$AVISIT[order(d$AVISITN)]))
      d$ARM <- factor(d$ARM)
      out$mmrm <- stats::coef(glycotrial::mmrm_fit(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID),
                                                   data = d))
    }
    out
  }
  local <- job(0)
  remote <- future.apply::future_lapply(1:2, job, future.seed = NULL)
  expect_identical(remote[[1]], local)
  expect_identical(remote[[2]], local)
})
