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

# Two correlated parameters at two post-baseline visits: (H24, I24, H48, I48)
# normal with covariance S_true; 40 % of the subjects miss both at week 48.
mi_joint_trial <- function(n = 300, seed = 7) {
  set.seed(seed)
  sd <- c(1, 2, 1, 2)
  R <- matrix(c(1, .8, .6, .5,
                .8, 1, .5, .6,
                .6, .5, 1, .8,
                .5, .6, .8, 1), 4)
  S <- R * outer(sd, sd)
  y <- matrix(stats::rnorm(n * 4), n) %*% chol(S)
  ids <- sprintf("S%03d", seq_len(n))
  arm <- rep(c("A", "B"), length.out = n)
  miss <- seq_len(n) %% 5 < 2
  rows <- list()
  for (p in 1:2) {
    cd <- c("HBA1C", "INSDOSE")[p]
    base <- c(8, 40)[p]
    rows[[length(rows) + 1]] <- data.frame(USUBJID = ids, PARAMCD = cd, AVISIT = "Baseline", AVISITN = 0,
                                           AVAL = base, BASE = base, CHG = 0)
    for (v in 1:2) {
      chg <- y[, 2 * (v - 1) + p]
      if (v == 2) chg[miss] <- NA
      rows[[length(rows) + 1]] <- data.frame(USUBJID = ids, PARAMCD = cd, AVISIT = c("Week 24", "Week 48")[v],
                                             AVISITN = c(24, 48)[v], AVAL = base + chg, BASE = base, CHG = chg)
    }
  }
  adlb <- do.call(rbind, rows)
  # baselines vary a little so that BASE is estimable
  adlb$BASE <- adlb$BASE + (as.integer(factor(adlb$USUBJID)) %% 7) / 10
  adlb$AVAL <- adlb$BASE + adlb$CHG
  list(adlb = adlb, adsl = data.frame(USUBJID = ids, ARM = arm), S = S, miss = ids[miss])
}

test_that("joint imputation keeps the correlation of the components; separate imputation loses it", {
  tr <- mi_joint_trial()
  # the conditional covariance of (H48, I48) given (H24, I24), written out
  S <- tr$S
  C <- S[3:4, 3:4] - S[3:4, 1:2] %*% solve(S[1:2, 1:2], S[1:2, 3:4])
  r_cond <- C[1, 2] / sqrt(C[1, 1] * C[2, 2])  # 0.61
  pair_cor <- function(imps) {
    # one subject's imputed week-48 pair over the imputations
    v <- t(vapply(imps, function(x) {
      w <- x[x$USUBJID == tr$miss[1] & x$AVISIT == "Week 48", ]
      c(w$CHG[w$PARAMCD == "HBA1C"], w$CHG[w$PARAMCD == "INSDOSE"])
    }, numeric(2)))
    stats::cor(v[, 1], v[, 2])
  }
  joint <- mi_composite_impute(tr$adlb, tr$adsl, visit = 48, n_imputations = 400, seed = 3)
  sep <- mi_composite_impute(tr$adlb, tr$adsl, visit = 48, n_imputations = 400, seed = 3, joint = FALSE)
  # sampling SE of a correlation from 400 draws ~ (1 - r^2) / 20 = 0.03
  expect_equal(pair_cor(joint), r_cond, tolerance = 0.15 / r_cond)
  expect_lt(abs(pair_cor(sep)), 0.15)
})

test_that("intercurrent events: visit mapping, strategies of the joint model, bad visits", {
  tr <- mi_joint_trial(n = 60)
  s <- tr$miss[1]
  # an event at baseline applies from the first post-baseline visit
  ice <- data.frame(USUBJID = s, AVISIT = "Baseline", strategy = "JR")
  st <- glycotrial:::mi_composite_stack(
    lapply(c("HBA1C", "INSDOSE"), function(cd) glycotrial:::mi_composite_grid(tr$adlb, tr$adsl, cd, 48, "ARM", NULL)),
    c("HBA1C", "INSDOSE"))
  expect_identical(levels(st$data$.VISIT),
                   c("Week 24 / HBA1C", "Week 24 / INSDOSE", "Week 48 / HBA1C", "Week 48 / INSDOSE"))
  m <- glycotrial:::mi_composite_ice(ice, tr$adlb, c("HBA1C", "INSDOSE"), 48, st$data, ".VISIT", NULL)
  expect_identical(m$.VISIT, "Week 24 / HBA1C")
  # an event after the imputed visits is dropped
  ice2 <- data.frame(USUBJID = s, AVISIT = "Week 48", strategy = "JR")
  expect_null(glycotrial:::mi_composite_ice(ice2, tr$adlb, "HBA1C", 24,
                                            st$data[st$data$AVISITN <= 24, ], ".VISIT", NULL))
  expect_error(mi_composite_impute(tr$adlb, tr$adsl, n_imputations = 2,
                                   data_ice = data.frame(USUBJID = s, AVISIT = "Week 99", strategy = "JR"),
                                   reference = c(A = "A", B = "A")),
               class = "glycotrial_error_mi_composite", regexp = "Week 99")
  expect_error(mi_composite_impute(tr$adlb, tr$adsl, n_imputations = 2,
                                   data_ice = data.frame(USUBJID = s, AVISIT = "Week 48", strategy = "CIR"),
                                   reference = c(A = "A", B = "A")),
               class = "glycotrial_error_mi_composite", regexp = "joint = FALSE")
  expect_error(mi_composite_impute(tr$adlb, tr$adsl, joint = NA), class = "glycotrial_error")
  # JR under the joint model: same draws as MAR (same seed), shifted means
  # for the subject of arm B from week 48 on, nothing else changes
  sb <- tr$miss[tr$adsl$ARM[match(tr$miss, tr$adsl$USUBJID)] == "B"][1]
  run <- function(strategy) {
    mi_composite_impute(tr$adlb, tr$adsl, n_imputations = 3, seed = 1,
                        data_ice = data.frame(USUBJID = sb, AVISIT = "Week 48", strategy = strategy),
                        reference = c(A = "A", B = "A"))
  }
  jr <- run("JR")
  mar <- run("MAR")
  at <- function(x, id) x$CHG[x$USUBJID == id & x$AVISIT == "Week 48"]
  expect_false(isTRUE(all.equal(at(jr[[1]], sb), at(mar[[1]], sb))))
  other <- setdiff(tr$miss, sb)[1]
  expect_equal(at(jr[[1]], other), at(mar[[1]], other), tolerance = 1e-12)
})

test_that("a joint model too large for the trial is refused before any fit", {
  tr <- mi_joint_trial(n = 20)  # 4 parameter-visits need 24 subjects
  expect_error(mi_composite_impute(tr$adlb, tr$adsl, n_imputations = 2),
               class = "glycotrial_error_mi_composite", regexp = "4 parameter-visits.*20 subjects")
  expect_length(mi_composite_impute(tr$adlb, tr$adsl, n_imputations = 2, joint = FALSE, seed = 1), 2)
})
