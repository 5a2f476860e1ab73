# Multiple-imputation helpers of the responder analysis (R/missing_data.R).

test_that("the imputation model draws from the regression on the earlier visits", {
  # Fixture: complete data for everyone except S5's Week 48 HbA1c. With
  # 3 observed placebo subjects the model falls back to baseline + previous
  # visit; the draws must lie around the regression prediction.
  lb <- fixture_adlb()
  more <- lapply(1:12, function(i) {
    x <- lb[lb$USUBJID == "S4", ]; x$USUBJID <- paste0("Q", i)
    x$AVAL <- x$AVAL + c(rep(i / 10, 3), 0, 0, 0)[seq_len(nrow(x))]
    x
  })
  lb2 <- rbind(lb, do.call(rbind, more))
  sl <- rbind(fixture_adsl(), data.frame(USUBJID = paste0("Q", 1:12), ARM = "P", STRATA = "x"))
  r <- derive_responders(lb2, sl)
  imps <- glycotrial:::impute_responders(r, r$ARM, c("A", "P"), 20, seed = 3)
  expect_length(imps, 20)
  expect_true(all(vapply(imps, function(y) all(y %in% c(0, 1)), logical(1))))
  # Non-missing responders are kept exactly.
  obs <- !is.na(r$RESPONDER)
  expect_true(all(vapply(imps, function(y) all(y[obs] == r$RESPONDER[obs]), logical(1))))
})

# A composite of two strongly correlated components (within-visit
# correlation 0.9, 0.3 across visits), each met by about half the subjects,
# 40 % missing at week 48 completely at random: the composite rate (about
# 0.42) is far from the product of the marginal rates (0.25), so imputing one
# component without the other at the same visit biases it down (to about
# 0.36 here); the imputation must recover the full-data rate.
mi_correlated_composite <- function(n = 1000, rho = 0.9, seed = 7) {
  set.seed(seed)
  R <- matrix(0.3, 4, 4)
  R[1:2, 1:2] <- R[3:4, 3:4] <- rho
  diag(R) <- 1
  z <- matrix(stats::rnorm(n * 4), n) %*% chol(R)  # (H24, I24, H48, I48)
  ids <- sprintf("S%04d", seq_len(n))
  hb0 <- 8 + stats::runif(n, -0.2, 0.2)
  ins0 <- 40 + stats::runif(n, -4, 4)
  miss <- seq_len(n) %% 5 < 2
  rec <- function(cd, v, vn, aval, base, unit, fl) {
    data.frame(USUBJID = ids, PARAMCD = cd, AVISIT = v, AVISITN = vn, AVAL = aval, BASE = base,
               CHG = aval - base, AVALU = unit, ABLFL = fl)
  }
  rows <- list(rec("HBA1C", "Baseline", 0, hb0, hb0, "%", "Y"),
               rec("INSDOSE", "Baseline", 0, ins0, ins0, "U/day", "Y"))
  for (v in 1:2) {
    h <- hb0 - 1 + 0.8 * z[, 2 * v - 1]
    i <- ins0 * (0.5 + 0.25 * z[, 2 * v])
    if (v == 2) {
      truth <- mean(h < 7 & i <= 0.5 * ins0)
      h[miss] <- NA
      i[miss] <- NA
    }
    rows <- c(rows, list(rec("HBA1C", paste("Week", 24 * v), 24 * v, h, hb0, "%", ""),
                         rec("INSDOSE", paste("Week", 24 * v), 24 * v, i, ins0, "U/day", "")))
  }
  adlb <- do.call(rbind, rows)
  list(adlb = adlb[!is.na(adlb$AVAL), ], truth = truth,
       adsl = data.frame(USUBJID = ids, ARM = rep(c("Placebo", "Drug"), length.out = n)))
}

test_that("MI of a composite keeps the correlation of its components at the analysis visit", {
  tr <- mi_correlated_composite()
  r <- derive_responders(tr$adlb, tr$adsl, visit = "Week 48")
  res <- responder_analysis(r, treatment = "Drug", control = "Placebo",
                            missing = "multiple-imputation", n_imputations = 50, seed = 1)
  per <- res$imputation$per_imputation
  rate <- mean((per[, "p1"] + per[, "p0"]) / 2)  # equal arm sizes
  # only the 400 imputed responses differ from the full data: their
  # imputation noise is ~0.01 in one data set, less in the mean of 50
  expect_equal(rate, tr$truth, tolerance = 0.03 / tr$truth)
})

test_that("a subject without one component's baseline does not cost the others their correlated imputation", {
  # Two subjects (one per arm) lack the HbA1c baseline and their week-48
  # values: their HbA1c is never imputed, so the HbA1c week-48 column has a
  # gap in both arms. Dropping that predictor for the whole arm (as before)
  # imputed insulin without HbA1c and gave 0.356 against 0.419.
  tr <- mi_correlated_composite()
  gap <- c("S0001", "S0006")
  a <- tr$adlb
  a <- a[!(a$USUBJID %in% gap & a$PARAMCD == "HBA1C" & a$AVISITN == 0), ]
  hb <- a$USUBJID %in% gap & a$PARAMCD == "HBA1C"
  a$BASE[hb] <- NA
  a$CHG[hb] <- NA
  r <- derive_responders(a, tr$adsl, visit = "Week 48")
  res <- responder_analysis(r, treatment = "Drug", control = "Placebo",
                            missing = "multiple-imputation", n_imputations = 50, seed = 1)
  per <- res$imputation$per_imputation
  expect_equal(mean((per[, "p1"] + per[, "p0"]) / 2), tr$truth, tolerance = 0.03 / tr$truth)
})

test_that("without undecided responses the imputations are the observed responses (no model is fitted)", {
  # 3 placebo subjects, all with an observed week-48 response but gaps at
  # earlier visits: too few to fit an imputation model, and none is needed
  a <- adlb[!(adlb$PARAMCD == "INSDOSE" & adlb$AVISITN %in% c(4, 8, 12, 36)), ]
  sl <- adsl[c(1:4, 50:53), ]
  r <- derive_responders(a[a$USUBJID %in% sl$USUBJID, ], sl, visit = "Week 48")
  expect_false(anyNA(r$RESPONDER))
  imps <- glycotrial:::impute_responders(r, r$ARM, c("Placebo", "UC-MSC"), 4, seed = 1)
  expect_identical(imps, rep(list(as.numeric(r$RESPONDER)), 4))
  res <- responder_analysis(r, treatment = "UC-MSC", missing = "multiple-imputation",
                            n_imputations = 4, seed = 1)
  expect_equal(res$imputation$pooled$between, 0)
})
