# fit_joint(): the stacked bivariate model against nlme::lme (independent
# residuals with response-specific variances), against a direct REML
# likelihood written out here (correlated residuals, AR(1) over visits), and
# the composite probability against mvtnorm::pmvnorm.

# adlb-like data from a known joint model: correlated random intercepts
# (r = 0.5), cross-response residual correlation 0.3, AR(1) 0.5 over visits.
joint_sim <- function(n = 60, seed = 7) {
  set.seed(seed)
  visits <- c(0, 12, 24, 36, 48)
  out <- list()
  for (i in seq_len(n)) {
    arm <- if (i %% 2) "UC-MSC" else "Placebo"
    b <- MASS::mvrnorm(1, c(0, 0), matrix(c(0.3, 0.5 * sqrt(0.3 * 0.04), 0.5 * sqrt(0.3 * 0.04), 0.04), 2))
    Cv <- 0.5^abs(outer(1:4, 1:4, "-"))
    U <- matrix(c(0.2, 0.3 * sqrt(0.2 * 0.02), 0.3 * sqrt(0.2 * 0.02), 0.02), 2)
    e <- matrix(MASS::mvrnorm(1, rep(0, 8), kronecker(U, Cv)), 4)
    h0 <- 8.5 + stats::rnorm(1, 0, 0.5); d0 <- exp(stats::rnorm(1, log(0.6), 0.2))
    eff <- if (arm == "UC-MSC") 1 else 0
    h <- c(h0, h0 - 0.3 - 0.8 * eff * (1:4) / 4 + b[1] + e[, 1])
    ld <- c(log(d0), log(d0) - 0.1 - 0.5 * eff * (1:4) / 4 + b[2] + e[, 2])
    id <- sprintf("SIM-%03d", i)
    out[[i]] <- rbind(
      data.frame(USUBJID = id, ARM = arm, PARAMCD = "HBA1C", AVISITN = visits,
                 AVISIT = c("Baseline", paste("Week", visits[-1])), AVAL = h, BASE = h0),
      data.frame(USUBJID = id, ARM = arm, PARAMCD = "INSDOSEKG", AVISITN = visits,
                 AVISIT = c("Baseline", paste("Week", visits[-1])), AVAL = exp(ld), BASE = d0))
  }
  do.call(rbind, out)
}

joint_small <- function() {
  d <- adlb[adlb$USUBJID %in% unique(adlb$USUBJID)[1:50], ]
  d
}

# The REML criterion of fit_joint() with correlated AR(1) residuals written out
# in full, per subject: V_i = Z G Z' + W^-1/2 (U (x) C) W^-1/2 (W = 1 without
# weights). par: G log-Cholesky (3), U log-Cholesky (3), atanh(rho).
joint_reml_by_hand <- function(par, des, w = rep(1, length(des$y))) {
  X <- des$X; y <- des$y; Z <- des$Z; sub <- des$subject
  LG <- matrix(c(exp(par[1]), par[2], 0, exp(par[3])), 2)
  LU <- matrix(c(exp(par[4]), par[5], 0, exp(par[6])), 2)
  G <- LG %*% t(LG); U <- LU %*% t(LU); rho <- tanh(par[7])
  A <- 0; b <- 0; ld <- 0; yy <- 0
  for (s in levels(sub)) {
    i <- which(sub == s)
    Zi <- Z[i, , drop = FALSE]
    t <- des$coords[i]; g <- des$groups[i] + 1
    sw <- 1 / sqrt(w[i])
    R <- U[g, g] * rho^abs(outer(t, t, "-")) * outer(sw, sw)
    V <- Zi %*% G %*% t(Zi) + R
    Vi <- solve(V)
    ld <- ld + as.numeric(determinant(V)$modulus)
    A <- A + t(X[i, ]) %*% Vi %*% X[i, ]
    b <- b + t(X[i, ]) %*% Vi %*% y[i]
    yy <- yy + drop(t(y[i]) %*% Vi %*% y[i])
  }
  beta <- solve(A, b)
  n <- length(y); p <- ncol(X)
  ld + as.numeric(determinant(A)$modulus) + yy - sum(b * beta) + (n - p) * log(2 * pi)
}

# joint_reml_by_hand()'s parameters at a fit's estimates
joint_par_at_fit <- function(f) {
  LG <- t(chol(f$G)); LU <- t(chol(f$joint$residual_cov))
  ptr <- glycotrial:::lmm_ptr(f)
  rho <- glycotrial:::cpp_lmm_residual_cov(ptr, f$theta_absolute, c(0, 1), c(0L, 0L))
  rho <- rho[1, 2] / rho[1, 1]
  c(log(LG[1, 1]), LG[2, 1], log(LG[2, 2]), log(LU[1, 1]), LU[2, 1], log(LU[2, 2]), atanh(rho))
}

joint_num_grad <- function(fn, par, h = 1e-5) {
  vapply(seq_along(par), function(j) {
    pp <- par; pm <- par; pp[j] <- pp[j] + h; pm[j] <- pm[j] - h
    (fn(pp) - fn(pm)) / (2 * h)
  }, numeric(1))
}

test_that("independent residuals: matches nlme::lme on the stacked data", {
  d <- joint_small()
  f <- fit_joint(d, formula = ~ ARM + AVISIT, residual = "independent")
  dd <- f$design$data
  dd$X <- f$design$X
  dd$r0 <- as.numeric(dd$.resp == 0)
  dd$r1 <- as.numeric(dd$.resp == 1)
  dd$resp <- factor(dd$.resp)
  dd$id <- factor(dd$USUBJID)
  m <- nlme::lme(.y ~ 0 + X, random = list(id = nlme::pdSymm(~ 0 + r0 + r1)),
                 weights = nlme::varIdent(form = ~ 1 | resp), data = dd,
                 control = nlme::lmeControl(opt = "optim", msMaxIter = 1000, tolerance = 1e-10,
                                            msTol = 1e-12))
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-8)
  expect_equal(unname(fixef(f)), unname(nlme::fixef(m)), tolerance = 1e-5)
  G <- unclass(nlme::getVarCov(m))
  expect_equal(unname(f$G), unname(matrix(G, 2)), tolerance = 1e-4)
  s2 <- m$sigma^2 * c(1, coef(m$modelStruct$varStruct, unconstrained = FALSE)^2)
  expect_equal(unname(diag(f$joint$residual_cov)), unname(s2), tolerance = 1e-4)
  expect_equal(f$joint$cor_residual, 0)
})

test_that("correlated residuals with AR(1): optimum of a directly written REML likelihood", {
  skip_if_not_installed("MASS")
  d <- joint_sim()
  f <- fit_joint(d, formula = ~ ARM * AVISIT, time_cor = "ar1")
  expect_false(f$singular)
  par <- joint_par_at_fit(f)
  expect_equal(joint_reml_by_hand(par, f$design), f$deviance, tolerance = 1e-8)
  # numerical gradient of the hand-written criterion is ~0 at our estimates
  g <- joint_num_grad(function(p) joint_reml_by_hand(p, f$design), par)
  expect_lt(max(abs(g)), 1e-3)
  expect_gt(abs(f$joint$cor_residual), 0)
})

test_that("composite probability equals the bivariate normal probability computed directly", {
  skip_if_not_installed("mvtnorm")
  d <- joint_small()
  f <- fit_joint(d, formula = ~ ARM * AVISIT)
  comp <- f$joint$composite
  expect_equal(comp$arm, c("Placebo", "UC-MSC"))
  V <- f$G + f$joint$residual_cov
  dd <- f$design$data
  b <- fixef(f)
  mu1 <- b[["HBA1C:(Intercept)"]] + b[["HBA1C:ARMUC-MSC"]] + b[["HBA1C:AVISITWeek 48"]] +
    b[["HBA1C:ARMUC-MSC:AVISITWeek 48"]]
  mu2 <- b[["INSDOSEKG:(Intercept)"]] + b[["INSDOSEKG:ARMUC-MSC"]] +
    b[["INSDOSEKG:AVISITWeek 48"]] + b[["INSDOSEKG:ARMUC-MSC:AVISITWeek 48"]]
  base <- dd$BASE[dd$.resp == 1 & !duplicated(paste(dd$USUBJID, dd$.resp))]
  base <- base[order(unique(dd$USUBJID[dd$.resp == 1]))]
  ids <- intersect(unique(dd$USUBJID[dd$.resp == 0]), unique(dd$USUBJID[dd$.resp == 1]))
  first2 <- dd[dd$.resp == 1 & !duplicated(paste(dd$USUBJID, dd$.resp)), ]
  c2 <- first2$BASE[match(sort(ids), first2$USUBJID)] + log(0.5)
  p <- mean(vapply(c2, function(cc) {
    mvtnorm::pmvnorm(upper = c(7, cc), mean = c(mu1, mu2), sigma = V,
                     algorithm = mvtnorm::GenzBretz(abseps = 1e-10, maxpts = 1e6))[1]
  }, numeric(1)))
  expect_equal(comp$probability[2], p, tolerance = 1e-6)
  expect_true(all(comp$conf.low < comp$probability & comp$probability < comp$conf.high))
  dif <- attr(comp, "difference")
  expect_equal(dif$estimate, comp$probability[2] - comp$probability[1])
  expect_output(print(f), "composite")
})

test_that("the core's bivariate normal cdf agrees with mvtnorm", {
  skip_if_not_installed("mvtnorm")
  a <- c(-1.2, 0.3, 2, 0.5, -0.4)
  b <- c(0.7, -0.1, 1.5, 0.5, 2.5)
  r <- c(0.6, -0.8, 0.95, -0.3, 0.999)
  ref <- vapply(seq_along(a), function(i) {
    mvtnorm::pmvnorm(upper = c(a[i], b[i]), corr = matrix(c(1, r[i], r[i], 1), 2),
                     algorithm = mvtnorm::GenzBretz(abseps = 1e-12, maxpts = 1e7))[1]
  }, numeric(1))
  expect_equal(glycotrial:::cpp_lmm_bvn(a, b, r), ref, tolerance = 1e-8)
})

test_that("bad input to fit_joint gives classed errors", {
  d <- joint_small()
  expect_error(fit_joint(d, params = c("HBA1C", "NOPE")), "has no rows",
               class = "glycotrial_error_input")
  expect_error(fit_joint(d, params = "HBA1C"), class = "glycotrial_error_input")
  expect_error(fit_joint(d, transform = c("identity", "sqrt")), class = "glycotrial_error_input")
  expect_error(fit_joint(d, random = "quadratic"), class = "glycotrial_error_input")
  expect_error(fit_joint(d, target_visit = 50), "not a visit", class = "glycotrial_error_input")
  expect_error(fit_joint(d, dose_reduction = 1.5), class = "glycotrial_error_input")
  dn <- d
  dn$AVAL[dn$PARAMCD == "INSDOSEKG"][3] <- -1
  expect_error(fit_joint(dn), "positive", class = "glycotrial_error_input")
  expect_error(fit_joint(d, formula = y ~ ARM), class = "glycotrial_error_input")
  expect_error(fit_joint(d[, names(d) != "BASE"]), "baseline", class = "glycotrial_error_input")
})

test_that("weights, independent residuals: match nlme::lme stacked with varIdent x varFixed", {
  d <- joint_small()
  set.seed(11)
  d$W <- stats::runif(nrow(d), 0.5, 2)
  f <- fit_joint(d, formula = ~ ARM + AVISIT, residual = "independent", weights = "W")
  dd <- f$design$data
  expect_equal(f$design$weights, dd$W)
  dd$X <- f$design$X
  dd$r0 <- as.numeric(dd$.resp == 0)
  dd$r1 <- as.numeric(dd$.resp == 1)
  dd$resp <- factor(dd$.resp)
  dd$id <- factor(dd$USUBJID)
  dd$iw <- 1 / dd$W
  m <- nlme::lme(.y ~ 0 + X, random = list(id = nlme::pdSymm(~ 0 + r0 + r1)),
                 weights = nlme::varComb(nlme::varIdent(form = ~ 1 | resp), nlme::varFixed(~ iw)),
                 data = dd,
                 control = nlme::lmeControl(opt = "optim", msMaxIter = 1000, tolerance = 1e-10,
                                            msTol = 1e-12))
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(m)), tolerance = 1e-8)
  expect_equal(unname(fixef(f)), unname(nlme::fixef(m)), tolerance = 1e-5)
  expect_equal(unname(f$G), unname(matrix(unclass(nlme::getVarCov(m)), 2)), tolerance = 1e-4)
  # weights change the fit; unit weights do not
  f0 <- fit_joint(d, formula = ~ ARM + AVISIT, residual = "independent")
  expect_gt(abs(as.numeric(logLik(f)) - as.numeric(logLik(f0))), 1e-3)
  f1 <- fit_joint(d, formula = ~ ARM + AVISIT, residual = "independent", weights = rep(1, nrow(d)))
  expect_equal(as.numeric(logLik(f1)), as.numeric(logLik(f0)), tolerance = 1e-10)
  expect_equal(f1$joint$composite$probability, f0$joint$composite$probability, tolerance = 1e-8)
})

test_that("weights, correlated AR(1) residuals: optimum of a directly written weighted REML likelihood", {
  skip_if_not_installed("MASS")
  d <- joint_sim(n = 40)
  set.seed(12)
  w_full <- stats::runif(nrow(d), 0.5, 2)
  f <- fit_joint(d, formula = ~ ARM + AVISIT, time_cor = "ar1", weights = w_full)
  par <- joint_par_at_fit(f)
  expect_equal(joint_reml_by_hand(par, f$design, f$design$weights), f$deviance, tolerance = 1e-8)
  g <- joint_num_grad(function(p) joint_reml_by_hand(p, f$design, f$design$weights), par)
  expect_lt(max(abs(g)), 1e-3)
  # methods and the bootstrap run with weights
  expect_false(anyNA(summary(f)$coefficients))
  expect_false(anyNA(residuals(f, type = "pearson")))
  b <- joint_bootstrap(f, n_boot = 4, seed = 2)
  expect_true(all(is.finite(b$conf.low)))
})

test_that("bad weights to fit_joint give classed errors", {
  d <- joint_small()
  expect_error(fit_joint(d, weights = 1:3), "one value per row", class = "glycotrial_error_input")
  expect_error(fit_joint(d, weights = "NOPE"), "lacks", class = "glycotrial_error_input")
  expect_error(fit_joint(d, weights = as.character(seq_len(nrow(d)))), "numeric vector",
               class = "glycotrial_error_input")
  w <- rep(1, nrow(d))
  used <- which(d$PARAMCD == "HBA1C" & d$AVISITN > 0)
  w[used[4]] <- -1
  expect_error(fit_joint(d, weights = w), sprintf("row %d", used[4]),
               class = "glycotrial_error_input")
  w[used[4]] <- NA
  expect_error(fit_joint(d, weights = w), "positive and finite", class = "glycotrial_error_input")
  # bad values on rows that are not used (other parameters, baseline) are ignored
  w <- rep(1, nrow(d))
  w[d$PARAMCD != "HBA1C" & d$PARAMCD != "INSDOSEKG" | d$AVISITN == 0] <- NA
  expect_s3_class(fit_joint(d, weights = w), "glycotrial_joint")
})
