# Composite responder endpoint under MI (R/mi_composite.R).

test_that("without between-imputation variance MI-Wilson and MI-Newcombe are Wilson and Newcombe", {
  y <- c(rep(1, 9), rep(0, 36), rep(1, 2), rep(0, 44))
  g1 <- rep(c(TRUE, FALSE), c(45, 46))
  pr <- glycotrial:::mi_pool_responders(list(y, y, y), g1, !g1,
                                        c(treatment = "T", control = "C"), 0.95)
  w <- prop_ci(c(9, 2), c(45, 46), method = "wilson")
  expect_equal(pr$arms$lower, w$lower, tolerance = 1e-12)
  expect_equal(pr$arms$upper, w$upper, tolerance = 1e-12)
  nc <- diff_ci(9, 45, 2, 46, method = "newcombe")
  expect_equal(pr$difference$lower[2], nc$lower, tolerance = 1e-12)
  expect_equal(pr$difference$upper[2], nc$upper, tolerance = 1e-12)
  # Newcombe's published example 1 (Newcombe 1998, Table II, 56/70 vs 48/80):
  # hybrid score interval 0.0524 to 0.3339
  y2 <- c(rep(1, 56), rep(0, 14), rep(1, 48), rep(0, 32))
  g <- rep(c(TRUE, FALSE), c(70, 80))
  pr2 <- glycotrial:::mi_pool_responders(list(y2, y2), g, !g, c(treatment = "T", control = "C"), 0.95)
  expect_equal(round(c(pr2$difference$lower[2], pr2$difference$upper[2]), 4), c(0.0524, 0.3339))
  # Rubin with B = 0: the Wald interval on n1 + n0 - 2 df
  # (Barnard-Rubin: df = (89 + 1) / (89 + 3) * 89 with no missing information)
  se <- sqrt(9 / 45 * 36 / 45 / 45 + 2 / 46 * 44 / 46 / 46)
  expect_equal(pr$difference$lower[1], 9 / 45 - 2 / 46 - qt(0.975, 90 / 92 * 89) * se,
               tolerance = 1e-12)
})

test_that("MI-Wilson with between-imputation variance follows Lott & Reiter written out", {
  p <- c(0.20, 0.25, 0.22, 0.18)
  n <- 50
  m <- 4
  u <- mean(p * (1 - p) / n); b <- var(p); r <- (1 + 1 / m) * b / u
  nu <- (m - 1) * (1 + 1 / r)^2
  t <- qt(0.975, nu)
  q <- mean(p)
  lo <- (q + t^2 * (1 + r) / (2 * n) - t * sqrt(q * (1 - q) * (1 + r) / n + t^2 * (1 + r)^2 / (4 * n^2))) /
    (1 + t^2 * (1 + r) / n)
  w <- glycotrial:::mi_wilson(p, n, 0.95)
  expect_equal(w$lower, lo, tolerance = 1e-12)
  expect_equal(w$df, nu, tolerance = 1e-12)
  # wider than the single-data-set Wilson interval at the mean
  z <- qnorm(0.975)
  wilson_lo <- (q + z^2 / (2 * n) - z * sqrt(q * (1 - q) / n + z^2 / (4 * n^2))) / (1 + z^2 / n)
  expect_lt(w$lower, wilson_lo)
})

test_that("mi_composite() derives responders per imputed data set and pools them", {
  hb48 <- adlb$PARAMCD == "HBA1C" & adlb$AVISIT == "Week 48"
  missing_ids <- setdiff(unique(adlb$USUBJID), adlb$USUBJID[hb48 & !is.na(adlb$AVAL)])
  expect_gt(length(missing_ids), 0)
  fill <- function(value) {
    last <- adlb[adlb$PARAMCD == "HBA1C" & adlb$AVISIT == "Week 12" & adlb$USUBJID %in% missing_ids, ]
    last$AVISIT <- "Week 48"; last$AVISITN <- 48; last$AVAL <- value; last$CHG <- value - last$BASE
    ins <- adlb[adlb$PARAMCD == "INSDOSE" & adlb$AVISIT == "Week 12" & adlb$USUBJID %in% missing_ids, ]
    ins$AVISIT <- "Week 48"; ins$AVISITN <- 48; ins$AVAL <- 0; ins$CHG <- -ins$BASE
    keep <- !(adlb$AVISIT == "Week 48" & adlb$USUBJID %in% missing_ids &
                adlb$PARAMCD %in% c("HBA1C", "INSDOSE"))
    rbind(adlb[keep, ], last, ins)
  }
  imps <- list(fill(6.0), fill(9.0), fill(6.0))  # responder, non-responder, responder
  res <- mi_composite(imps, adsl, treatment = "UC-MSC", control = "Placebo")
  expect_s3_class(res, "glycotrial_mi_composite")
  # hand: derive_responders() on each set, proportions by arm
  hand <- vapply(imps, function(d) {
    r <- derive_responders(d, adsl)
    c(mean(r$RESPONDER[r$ARM == "UC-MSC"]), mean(r$RESPONDER[r$ARM == "Placebo"]))
  }, numeric(2))
  expect_equal(unname(res$per_imputation[, "p1"]), hand[1, ])
  expect_equal(unname(res$per_imputation[, "p0"]), hand[2, ])
  expect_equal(res$arms$proportion, rowMeans(hand), tolerance = 1e-12)
  expect_equal(res$difference$estimate[1], mean(hand[1, ] - hand[2, ]), tolerance = 1e-12)
  expect_true(res$difference$lower[2] < res$difference$estimate[2])
  expect_output(print(res), "mi-newcombe")
  # a function returning the data sets works the same way
  res_f <- mi_composite(function() imps, adsl, treatment = "UC-MSC", control = "Placebo")
  expect_equal(res_f$difference, res$difference)
  # bad input
  expect_error(mi_composite(imps[1], adsl, treatment = "UC-MSC", control = "Placebo"),
               class = "glycotrial_error_mi_composite")
  expect_error(mi_composite(list(adlb, adlb), adsl, treatment = "UC-MSC", control = "Placebo"),
               class = "glycotrial_error_mi_composite", regexp = "undetermined")
  expect_error(mi_composite(imps, adsl, treatment = "X", control = "Placebo"),
               class = "glycotrial_error_input", regexp = "treatment")
})

test_that("the report's multiple-imputation row: proportions with CI, not fractional counts", {
  r <- derive_responders(adlb, adsl, visit = "Week 48")
  res <- responder_analysis(r, treatment = "UC-MSC", missing = "multiple-imputation",
                            n_imputations = 10, seed = 42)
  expect_identical(res$arms$method, rep("mi-wilson (Lott-Reiter)", 2))
  per <- res$imputation$per_imputation
  w <- glycotrial:::mi_wilson(per[, "p0"], 46, 0.95)
  expect_equal(res$arms$lower[2], w$lower, tolerance = 1e-12)
  expect_true("mi-newcombe (Lott-Reiter Wilson)" %in% res$difference$method)
  sk <- readLines(system.file("rmarkdown/templates/trial-report/skeleton/skeleton.Rmd",
                              package = "glycotrial"))
  expect_true(any(grepl("imputed % (CI)", sk, fixed = TRUE)))
})
