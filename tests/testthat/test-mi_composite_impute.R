# Draw-based imputation of the composite's components (R/mi_composite_impute.R).

test_that("imputed ADLB copies keep observed values and complete the responder visit", {
  imps <- mi_composite_impute(adlb, adsl, n_imputations = 3, seed = 11)
  expect_length(imps, 3)
  for (x in imps) {
    for (cd in c("HBA1C", "INSDOSE")) {
      wk <- x[x$PARAMCD == cd & x$AVISIT == "Week 48", ]
      expect_setequal(wk$USUBJID, adsl$USUBJID)
      expect_false(anyNA(wk$AVAL))
      expect_equal(wk$CHG, wk$AVAL - wk$BASE)
    }
    # every other record unchanged, every observed component record too
    other <- !adlb$PARAMCD %in% c("HBA1C", "INSDOSE")
    expect_equal(x[!x$PARAMCD %in% c("HBA1C", "INSDOSE"), ], adlb[other, ], ignore_attr = TRUE)
    comp <- adlb[!other & !is.na(adlb$AVAL), ]
    key <- paste(comp$USUBJID, comp$PARAMCD, comp$AVISIT)
    expect_equal(x$AVAL[match(key, paste(x$USUBJID, x$PARAMCD, x$AVISIT))], comp$AVAL)
    expect_true(all(x$AVAL[x$PARAMCD == "INSDOSE"] >= 0, na.rm = TRUE))
  }
  # the imputations differ (random draws) and are reproducible with the seed
  a <- imps[[1]]; b <- imps[[2]]
  s <- "GT-UCMSC-01-1023"
  expect_false(isTRUE(all.equal(a$AVAL[a$USUBJID == s & a$AVISIT == "Week 48"],
                                b$AVAL[b$USUBJID == s & b$AVISIT == "Week 48"])))
  expect_identical(mi_composite_impute(adlb, adsl, n_imputations = 3, seed = 11), imps)
  res <- mi_composite(imps, adsl, treatment = "UC-MSC", control = "Placebo")
  expect_identical(res$m, 3L)
  expect_error(mi_composite_impute(adlb, adsl, paramcd = "NOPE"), class = "glycotrial_error_mi_composite")
  # seeds: any whole number in [0, 2^32) (derived seeds wrap instead of
  # overflowing set.seed()); anything else is a classed error
  expect_length(mi_composite_impute(adlb, adsl, n_imputations = 2, seed = 2^32 - 1), 2)
  expect_error(mi_composite_impute(adlb, adsl, seed = "a"), class = "glycotrial_error")
  expect_error(mi_composite_impute(adlb, adsl, seed = 1.5), class = "glycotrial_error")
})

test_that("the conditional noise has the conditional covariance (inverse-partition identity)", {
  S <- matrix(c(1, 0.5, 0.3, 0.5, 2, 0.4, 0.3, 0.4, 1.5), 3)
  m <- c(FALSE, TRUE, TRUE)
  C_hand <- solve(solve(S)[m, m])  # Schur complement written differently
  z <- c(0.3, -1.2)
  expect_equal(glycotrial:::mi_conditional_noise(S, m, z), drop(t(chol(C_hand)) %*% z), tolerance = 1e-12)
  set.seed(3)
  draws <- t(replicate(20000, glycotrial:::mi_conditional_noise(S, m, rnorm(2))))
  expect_equal(cov(draws), C_hand, tolerance = 0.05)
})

test_that("draws average to the conditional mean of the fit written out from beta and Sigma", {
  g <- glycotrial:::mi_composite_grid(adlb, adsl, "HBA1C", 48, "ARM", NULL)
  vars <- list(subjid = "USUBJID", visit = "AVISIT", group = ".ARM", outcome = "CHG",
               covariates = c("BASE*AVISIT", ".ARM*AVISIT"))
  fit <- mi_reference_based(g, vars, method = mi_approxbayes(2), analysis_covariates = "BASE", seed = 1)
  fit$fits <- rep(fit$fits[1], 3000)  # one parameter draw, many imputations
  set.seed(5)
  ys <- glycotrial:::mi_composite_draws(fit)
  avg <- Reduce(`+`, ys) / length(ys)
  f <- fit$fits[[1]]
  s <- "GT-UCMSC-01-1023"
  rows <- g[g$USUBJID == s, ]
  X <- stats::model.matrix(~ .ARM + AVISIT + BASE * AVISIT + .ARM * AVISIT, rows)
  X <- X[, colnames(fit$problem$fit$x_matrix)]
  mu <- drop(X %*% f$beta)
  S <- f$sigma[[1]]
  o <- !is.na(rows$CHG)
  cm <- mu[!o] + S[!o, o] %*% solve(S[o, o], rows$CHG[o] - mu[o])
  got <- avg[which(g$USUBJID == s)][!o]
  # Monte-Carlo error: sd / sqrt(3000) < 0.02 here; 4 MC standard errors
  mcse <- sqrt(diag(solve(solve(S)[!o, !o])) / 3000)
  expect_true(all(abs(got - drop(cm)) < 4 * mcse))
})
