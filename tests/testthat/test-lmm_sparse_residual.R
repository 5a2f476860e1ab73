# Several grouping factors plus a residual covariance structure
# (R/lmm_sparse_residual.R): whitened sparse profiled deviance + log|C|,
# validated against nlme::lme (random = ~ 1 | SITE/USUBJID with corAR1 /
# corCompSymm) and against the single-factor core.

multi_resid_data <- function() {
  withr::with_seed(42, {
    ns <- 8; nsub <- 10; nv <- 5
    d <- expand.grid(AVISIT = paste0("V", 1:nv), sub = 1:nsub, SITE = paste0("S", 1:ns),
                     stringsAsFactors = FALSE)
    d$USUBJID <- paste(d$SITE, d$sub, sep = "-")
    d$ARM <- ifelse(d$sub %% 2 == 0, "A", "B")
    d$t <- as.integer(factor(d$AVISIT))
    site_eff <- stats::rnorm(ns, 0, 0.8)[as.integer(factor(d$SITE))]
    subj_eff <- stats::rnorm(ns * nsub, 0, 1)[as.integer(factor(d$USUBJID))]
    e <- unlist(lapply(seq_len(ns * nsub), function(i) {
      as.numeric(stats::arima.sim(list(ar = 0.5), nv)) * 0.7
    }))
    d$y <- 1 + 0.3 * d$t + 0.5 * (d$ARM == "A") + site_eff + subj_eff + e
    d[-c(3, 17, 44, 101), ]  # a few missing visits
  })
}

multi_resid_compare <- function(f, m) {
  rel <- abs(f$logLik - as.numeric(stats::logLik(m))) / abs(as.numeric(stats::logLik(m)))
  expect_lt(rel, 1e-6)
  expect_equal(unname(f$coefficients), unname(nlme::fixef(m)), tolerance = 1e-6)
  vc <- as.numeric(nlme::VarCorr(m)[c(2, 4), 1])  # SITE, USUBJID %in% SITE
  expect_equal(vapply(f$G_terms, c, 1), vc, tolerance = 1e-4)
  expect_equal(f$sigma2, m$sigma^2, tolerance = 1e-4)
}

test_that("SITE/USUBJID random intercepts + ar1 residuals match nlme::lme, REML and ML", {
  skip_if_not_installed("nlme")
  d <- multi_resid_data()
  ctrl <- nlme::lmeControl(msMaxIter = 200, tolerance = 1e-10, msTol = 1e-12)
  for (reml in c(TRUE, FALSE)) {
    f <- fit_lmm(y ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID) + ar1(AVISIT | USUBJID), d,
                 reml = reml)
    expect_s3_class(f, "glycotrial_lmm_multi_resid")
    m <- nlme::lme(y ~ ARM * AVISIT, random = ~ 1 | SITE / USUBJID, data = d,
                   correlation = nlme::corAR1(form = ~ t | SITE / USUBJID),
                   method = if (reml) "REML" else "ML", control = ctrl)
    multi_resid_compare(f, m)
    rho <- as.numeric(coef(m$modelStruct$corStruct, unconstrained = FALSE))
    expect_equal(f$residual_cov[1, 2] / f$residual_cov[1, 1], rho, tolerance = 1e-4)
    expect_equal(f$df_logLik, length(nlme::fixef(m)) + 4)
    expect_equal(stats::AIC(f), stats::AIC(m), tolerance = 1e-6)
  }
})

test_that("SITE/USUBJID random intercepts + cs residuals match nlme::lme, REML and ML", {
  skip_if_not_installed("nlme")
  d <- multi_resid_data()
  ctrl <- nlme::lmeControl(msMaxIter = 200, tolerance = 1e-10, msTol = 1e-12)
  for (reml in c(TRUE, FALSE)) {
    f <- fit_lmm(y ~ ARM * AVISIT + (1 | SITE / USUBJID) + cs(AVISIT | USUBJID), d, reml = reml)
    m <- nlme::lme(y ~ ARM * AVISIT, random = ~ 1 | SITE / USUBJID, data = d,
                   correlation = nlme::corCompSymm(form = ~ t | SITE / USUBJID),
                   method = if (reml) "REML" else "ML", control = ctrl)
    # CS residuals next to a subject intercept are nearly unidentifiable:
    # compare the likelihood and the fixed effects, and the total within-
    # subject covariance (subject variance + sigma^2 rho), which is identified.
    rel <- abs(f$logLik - as.numeric(stats::logLik(m))) / abs(as.numeric(stats::logLik(m)))
    expect_lt(rel, 1e-6)
    expect_equal(unname(f$coefficients), unname(nlme::fixef(m)), tolerance = 1e-6)
    vc <- as.numeric(nlme::VarCorr(m)[c(2, 4, 5), 1])
    rho <- as.numeric(coef(m$modelStruct$corStruct, unconstrained = FALSE))
    expect_equal(f$G_terms[[1]][1, 1], vc[1], tolerance = 1e-4)
    expect_equal(f$G_terms[[2]][1, 1] + f$residual_cov[1, 2], vc[2] + vc[3] * rho,
                 tolerance = 1e-4)
    expect_equal(f$residual_cov[1, 1] + f$G_terms[[2]][1, 1], vc[2] + vc[3], tolerance = 1e-4)
  }
})

test_that("with one grouping factor the forced multi path equals the single-factor path", {
  d <- multi_resid_data()
  for (reml in c(TRUE, FALSE)) {
    fo <- y ~ ARM * AVISIT + (1 | USUBJID) + ar1(AVISIT | USUBJID)
    s <- fit_lmm(fo, d, reml = reml)
    expect_false(inherits(s, "glycotrial_lmm_multi"))
    mf <- glycotrial:::lmm_fit_sparse(fo, d, reml = reml)
    expect_s3_class(mf, "glycotrial_lmm_multi_resid")
    expect_equal(mf$logLik, s$logLik, tolerance = 1e-7)
    expect_equal(mf$coefficients, s$coefficients, tolerance = 1e-6)
    expect_equal(mf$vcov, s$vcov, tolerance = 1e-4)
    expect_equal(unname(mf$G_terms[[1]]), unname(s$G), tolerance = 1e-4)
    expect_equal(fitted(mf), fitted(s), tolerance = 1e-5)
    expect_equal(fitted(mf, level = "population"), fitted(s, level = "population"),
                 tolerance = 1e-6)
    # Satterthwaite df are invariant to the parametrisation
    a_s <- anova(s)
    a_m <- anova(mf)
    expect_equal(a_m$DenDF, a_s$DenDF, tolerance = 1e-5)
    expect_equal(a_m$`F value`, a_s$`F value`, tolerance = 1e-5)
    expect_equal(residuals(mf, type = "pearson"), residuals(s, type = "pearson"),
                 tolerance = 1e-5)
    re_m <- ranef(mf)[[1]]
    re_s <- ranef(s)
    re_s <- if (is.data.frame(re_s)) re_s else re_s[[1]]
    expect_equal(unname(as.matrix(re_m)), unname(as.matrix(re_s)), tolerance = 1e-4)
  }
})

test_that("methods not available with a residual structure give a classed error; others work", {
  d <- multi_resid_data()
  f <- fit_lmm(y ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID) + ar1(AVISIT | USUBJID), d)
  expect_error(confint(f, method = "profile"), class = "glycotrial_error_unsupported")
  expect_error(glycotrial:::lmm_sparse_kr_setup(f), class = "glycotrial_error_unsupported")
  expect_error(anova(f, ddf = "Kenward-Roger"), class = "glycotrial_error_unsupported")
  # what is available: Satterthwaite anova, Wald intervals, predictions,
  # response residuals
  a <- anova(f)
  expect_true(all(is.finite(a$DenDF) & a$DenDF > 1))
  ci <- confint(f)
  expect_equal(unname(ci[, 1]), unname(f$coefficients - stats::qnorm(0.975) *
                                         sqrt(diag(f$vcov))))
  expect_equal(residuals(f), d$y - fitted(f))
  expect_equal(predict(f, newdata = d, level = "population"), unname(fitted(f, level = "population")))
})

test_that("simulate() draws from the fitted marginal model (site + subject + ar1)", {
  d <- multi_resid_data()
  f <- fit_lmm(y ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID) + ar1(AVISIT | USUBJID), d)
  sims <- as.matrix(simulate(f, nsim = 3000, seed = 1))
  # a subject with all 5 visits (rows in data order): implied covariance
  # G_site + G_subject + sigma^2 C, and between two subjects of one site G_site
  i <- which(d$USUBJID == "S1-2")
  j <- which(d$USUBJID == "S1-3")
  expect_length(i, 5)
  V <- f$G_terms[[1]][1, 1] + f$G_terms[[2]][1, 1] + f$residual_cov
  expect_equal(unname(stats::cov(t(sims[i, ]))), unname(V), tolerance = 0.1)
  expect_equal(mean(stats::cov(t(sims[i, ]), t(sims[j, ]))), f$G_terms[[1]][1, 1],
               tolerance = 0.25)
  expect_equal(unname(rowMeans(sims[i, ])), unname(fitted(f, level = "population")[i]),
               tolerance = 0.05)
})

test_that("weights and conditional variances with one grouping factor equal the single-factor path", {
  d <- multi_resid_data()
  d$w <- withr::with_seed(3, stats::runif(nrow(d), 0.5, 2))
  fo <- y ~ ARM * AVISIT + (1 | USUBJID) + ar1(AVISIT | USUBJID)
  s <- fit_lmm(fo, d, weights = "w")
  mf <- glycotrial:::lmm_fit_sparse(fo, d, weights = "w")
  expect_equal(mf$logLik, s$logLik, tolerance = 1e-7)
  expect_equal(mf$coefficients, s$coefficients, tolerance = 1e-6)
  expect_equal(residuals(mf, type = "pearson"), residuals(s, type = "pearson"), tolerance = 1e-5)
  s <- fit_lmm(fo, d)
  mf <- glycotrial:::lmm_fit_sparse(fo, d)
  rs <- ranef(s)
  cv_s <- attr(if (is.data.frame(rs)) rs else rs[[1]], "condVar")
  cv_m <- attr(ranef(mf)[[1]], "condVar")
  expect_equal(as.numeric(cv_m), as.numeric(unlist(cv_s)), tolerance = 1e-5)
})

test_that("crossed factors (lab x subject) + ar1: the fit maximises the dense (RE)ML likelihood", {
  d <- multi_resid_data()
  d$LAB <- withr::with_seed(5, sample(paste0("L", 1:6), nrow(d), replace = TRUE))
  d$y <- d$y + withr::with_seed(6, stats::rnorm(6, 0, 0.7))[as.integer(factor(d$LAB))]
  X <- stats::model.matrix(~ ARM * AVISIT, d)
  Zl <- stats::model.matrix(~ 0 + factor(LAB), d)
  Zs <- stats::model.matrix(~ 0 + factor(USUBJID), d)
  same <- outer(d$USUBJID, d$USUBJID, "==")
  lag <- abs(outer(d$t, d$t, "-"))
  # hand-written -2 log-likelihood at (sd_lab, sd_subj, sigma, rho), beta by GLS
  dev <- function(par, reml) {
    V <- par[1]^2 * tcrossprod(Zl) + par[2]^2 * tcrossprod(Zs) + par[3]^2 * same * par[4]^lag
    R <- chol(V)
    Xw <- backsolve(R, X, transpose = TRUE)
    yw <- backsolve(R, d$y, transpose = TRUE)
    beta <- qr.coef(qr(Xw), yw)
    rss <- sum((yw - Xw %*% beta)^2)
    n <- nrow(X); p <- ncol(X)
    if (reml) {
      (n - p) * log(2 * pi) + 2 * sum(log(diag(R))) +
        2 * sum(log(abs(diag(qr.R(qr(Xw)))))) + rss
    } else {
      n * log(2 * pi) + 2 * sum(log(diag(R))) + rss
    }
  }
  for (reml in c(TRUE, FALSE)) {
    f <- fit_lmm(y ~ ARM * AVISIT + (1 | LAB) + (1 | USUBJID) + ar1(AVISIT | USUBJID), d,
                 reml = reml)
    par <- c(sqrt(f$G_terms[[1]][1, 1]), sqrt(f$G_terms[[2]][1, 1]), sqrt(f$sigma2),
             f$residual_cov[1, 2] / f$residual_cov[1, 1])
    expect_equal(-dev(par, reml) / 2, f$logLik, tolerance = 1e-8)
    opt <- stats::optim(par, dev, reml = reml, control = list(reltol = 1e-12, maxit = 2000))
    expect_gt(opt$value, -2 * f$logLik - 1e-6)
    expect_equal(opt$par, par, tolerance = 1e-3)
  }
})
