# mmrm_fit() against the R package mmrm (openpharma) on mmrm's own data sets.
#
# Two comparisons per model:
#  1. mmrm with its default optimiser: log-likelihoods agree to 1e-6
#     (relative) and glycotrial's optimum is at least as high;
#  2. mmrm started at glycotrial's theta (mmrm_fit_control(start =)), so that
#     both report the same optimum to full precision: theta, beta, SE, df
#     (Satterthwaite / Kenward-Roger), logLik and the covariance matrix agree
#     to a relative tolerance of 1e-6 (the tolerance is per quantity below).
# mmrm's default optimiser stops with relative errors of ~1e-3 in flat
# directions of theta (e.g. us on fev_data), which is why comparison 2 exists.

skip_if_not_installed("mmrm")

mmrm_pair <- function(formula, data, df = "Satterthwaite", reml = TRUE, weights = NULL,
                      vcov = NULL) {
  g <- mmrm_fit(formula, data, reml = reml, df = df, weights = weights, vcov = vcov)
  method <- if (df == "Kenward-Roger-Linear") "Kenward-Roger" else df
  args <- list(formula = formula, data = data, reml = reml, method = method)
  if (!is.null(weights)) args$weights <- weights
  args$vcov <- if (is.null(vcov)) g$vcov_type else vcov
  if (df == "Kenward-Roger-Linear") args$vcov <- "Kenward-Roger-Linear"
  m_default <- suppressWarnings(do.call(mmrm::mmrm, args))
  args$start <- g$theta
  m_start <- suppressWarnings(do.call(mmrm::mmrm, args))
  list(g = g, m = m_start, m_default = m_default)
}

expect_mmrm_agree <- function(p, tol = 1e-6, label = "") {
  g <- p$g
  m <- p$m
  ll_g <- g$loglik
  ll_def <- as.numeric(stats::logLik(p$m_default))
  expect_lt(abs(ll_g - ll_def) / abs(ll_def), tol, label = paste(label, "logLik vs default mmrm"))
  expect_gte(ll_g, ll_def - 1e-8 * abs(ll_def), label = paste(label, "glycotrial optimum >= mmrm"))
  expect_lt(rel_diff(ll_g, as.numeric(stats::logLik(m))), tol, label = paste(label, "logLik"))
  expect_lt(max(abs(g$theta - m$theta_est) / pmax(abs(m$theta_est), 0.1)), tol,
            label = paste(label, "theta"))
  ct_g <- summary(g)$coefficients
  ct_m <- summary(m)$coefficients
  expect_lt(max(abs(ct_g[, "Estimate"] - ct_m[, "Estimate"]) / ct_m[, "Std. Error"]), tol,
            label = paste(label, "beta (in SE units)"))
  expect_lt(rel_diff(ct_g[, "Std. Error"], ct_m[, "Std. Error"]), tol, label = paste(label, "SE"))
  expect_lt(rel_diff(ct_g[, "df"], ct_m[, "df"]), tol, label = paste(label, "df"))
  expect_lt(max(abs(ct_g[, "Pr(>|t|)"] - ct_m[, "Pr(>|t|)"])), tol, label = paste(label, "p"))
  if (g$cov_spatial) return(invisible())  # mmrm reports Sigma at distances 0, 1 only
  vg <- VarCorr(g)
  vm <- mmrm::component(m, "varcor")
  if (is.list(vg)) {
    for (k in names(vg)) expect_lt(rel_diff(unname(vg[[k]]), unname(vm[[k]])), tol, label = paste(label, "Sigma", k))
  } else {
    expect_lt(rel_diff(unname(vg), unname(vm)), tol, label = paste(label, "Sigma"))
  }
}

fev_formula <- function(cov) {
  stats::as.formula(paste0("FEV1 ~ RACE + SEX + ARMCD * AVISIT + ", cov))
}

test_that("every visit structure agrees with mmrm on fev_data (REML, Satterthwaite)", {
  fev <- mmrm::fev_data
  for (st in c("us", "toep", "toeph", "ar1", "ar1h", "ad", "adh", "cs", "csh")) {
    p <- mmrm_pair(fev_formula(paste0(st, "(AVISIT | USUBJID)")), fev)
    expect_mmrm_agree(p, label = st)
  }
})

test_that("ML, grouped, weighted and spatial fits agree with mmrm on fev_data", {
  fev <- mmrm::fev_data
  expect_mmrm_agree(mmrm_pair(fev_formula("us(AVISIT | USUBJID)"), fev, reml = FALSE), label = "ML us")
  expect_mmrm_agree(mmrm_pair(fev_formula("ar1h(AVISIT | USUBJID)"), fev, reml = FALSE), label = "ML ar1h")
  expect_mmrm_agree(mmrm_pair(fev_formula("us(AVISIT | ARMCD / USUBJID)"), fev), label = "grouped us")
  expect_mmrm_agree(mmrm_pair(fev_formula("cs(AVISIT | SEX / USUBJID)"), fev), label = "grouped cs")
  expect_mmrm_agree(mmrm_pair(fev_formula("us(AVISIT | USUBJID)"), fev, weights = fev$WEIGHT),
                    label = "weighted us")
  expect_mmrm_agree(mmrm_pair(fev_formula("sp_exp(VISITN | USUBJID)"), fev), label = "sp_exp")
})

test_that("Kenward-Roger and KR-linear df and covariance agree with mmrm (rel. tol 1e-6)", {
  fev <- mmrm::fev_data
  expect_mmrm_agree(mmrm_pair(fev_formula("us(AVISIT | USUBJID)"), fev, df = "Kenward-Roger"),
                    label = "KR us")
  expect_mmrm_agree(mmrm_pair(fev_formula("ar1h(AVISIT | USUBJID)"), fev, df = "Kenward-Roger"),
                    label = "KR ar1h")
  expect_mmrm_agree(mmrm_pair(fev_formula("toeph(AVISIT | USUBJID)"), fev,
                              df = "Kenward-Roger-Linear"), label = "KR-linear toeph")
  expect_mmrm_agree(mmrm_pair(fev_formula("us(AVISIT | ARMCD / USUBJID)"), fev,
                              df = "Kenward-Roger"), label = "KR grouped us")
})

test_that("between-within and residual df, and sandwich covariances agree with mmrm", {
  fev <- mmrm::fev_data
  expect_mmrm_agree(mmrm_pair(fev_formula("us(AVISIT | USUBJID)"), fev, df = "Between-Within"),
                    label = "BW")
  expect_mmrm_agree(mmrm_pair(fev_formula("us(AVISIT | USUBJID)"), fev, df = "Residual"),
                    label = "Residual")
  for (v in c("Empirical", "Empirical-Jackknife", "Empirical-Bias-Reduced")) {
    p <- mmrm_pair(fev_formula("us(AVISIT | USUBJID)"), fev, df = "Residual", vcov = v)
    expect_lt(rel_diff(sqrt(diag(vcov(p$g))), sqrt(diag(stats::vcov(p$m)))), 1e-6, label = v)
  }
})

test_that("Satterthwaite df with sandwich covariances agree with mmrm (Bell-McCaffrey; rel. tol 1e-6)", {
  fev <- mmrm::fev_data
  for (v in c("Empirical", "Empirical-Jackknife", "Empirical-Bias-Reduced")) {
    p <- mmrm_pair(fev_formula("us(AVISIT | USUBJID)"), fev, df = "Satterthwaite", vcov = v)
    expect_mmrm_agree(p, label = paste("Satterthwaite", v))
    # multi-dimensional: Type III F tests through mmrm's df_md()
    cols <- grep("^ARMCD.*:AVISIT", names(coef(p$m)))
    L <- matrix(0, length(cols), length(coef(p$m)))
    L[cbind(seq_along(cols), cols)] <- 1
    r <- mmrm::df_md(p$m, L)
    t3 <- glycotrial:::mmrm_test_md(p$g, L)
    expect_lt(rel_diff(t3$denom_df, r$denom_df), 1e-6, label = paste(v, "md df"))
    expect_lt(rel_diff(t3$f_stat, r$f_stat), 1e-6, label = paste(v, "md F"))
  }
  # weighted, other structure
  p <- mmrm_pair(fev_formula("ar1h(AVISIT | USUBJID)"), fev, df = "Satterthwaite",
                 vcov = "Empirical", weights = fev$WEIGHT)
  expect_mmrm_agree(p, label = "weighted ar1h empirical")
})

test_that("Type II and III F tests agree with mmrm::Anova (Satterthwaite and KR; rel. tol 1e-6)", {
  fev <- mmrm::fev_data
  anova_mmrm <- utils::getFromNamespace("Anova.mmrm", "mmrm")
  compare <- function(p, label) {
    for (ty in c("III", "II")) {
      a <- anova(p$g, type = ty)
      b <- anova_mmrm(p$m, type = ty)
      expect_equal(rownames(a), rownames(b))
      expect_equal(a[["Num Df"]], b[["Df"]], label = paste(label, ty, "num df"))
      expect_lt(rel_diff(a[["Denom Df"]], b[["Res.Df"]]), 1e-6, label = paste(label, ty, "denom df"))
      expect_lt(rel_diff(a[["F value"]], b[["F"]]), 1e-6, label = paste(label, ty, "F"))
      expect_lt(max(abs(a[["Pr(>F)"]] - b[["Pr(>F)"]])), 1e-6, label = paste(label, ty, "p"))
    }
  }
  p <- mmrm_pair(fev_formula("us(AVISIT | USUBJID)"), fev)
  compare(p, "Satterthwaite")
  compare(mmrm_pair(fev_formula("us(AVISIT | USUBJID)"), fev, df = "Kenward-Roger"), "KR")
  # a numeric covariate interacting with the visit
  compare(mmrm_pair(FEV1 ~ FEV1_BL * AVISIT + ARMCD * AVISIT + ar1(AVISIT | USUBJID), fev),
          "numeric x factor")
  # By hand: the joint test of the ARMCD:AVISIT coefficients (identity rows,
  # mmrm's df_md()) has the same F in both types (same hypothesis space).
  cols <- grep("^ARMCD.*:AVISIT", names(coef(p$m)))
  L <- matrix(0, length(cols), length(coef(p$m)))
  L[cbind(seq_along(cols), cols)] <- 1
  r <- mmrm::df_md(p$m, L)
  expect_lt(rel_diff(anova(p$g)["ARMCD:AVISIT", "F value"], r$f_stat), 1e-6)
  expect_lt(rel_diff(anova(p$g, type = "II")["ARMCD:AVISIT", "Denom Df"], r$denom_df), 1e-6)
  # By hand, Type III of ARMCD = the ARMCD difference averaged over the
  # visits: L has 1 at ARMCDTRT and 1/4 at each ARMCDTRT:AVISIT column.
  L3 <- matrix(0, 1, length(coef(p$m)), dimnames = list(NULL, names(coef(p$m))))
  L3[, "ARMCDTRT"] <- 1
  L3[, grep("^ARMCDTRT:AVISIT", colnames(L3))] <- 1 / 4
  r3 <- mmrm::df_md(p$m, L3)
  expect_lt(rel_diff(anova(p$g)["ARMCD", "F value"], r3$f_stat), 1e-6)
  expect_lt(rel_diff(anova(p$g)["ARMCD", "Denom Df"], r3$denom_df), 1e-6)
  expect_error(anova(p$g, type = "IV"), class = "glycotrial_error_input")
})

test_that("Type II F tests without an intercept: mmrm::Anova where it is parametrisation-free, a hand construction where mmrm differs (rel. tol 1e-6)", {
  # Without an intercept the first term containing a factor carries it: its
  # k coefficients are level means, and Type II tests their k - 1
  # differences to the last level, D = [I, -1], adjusted for all terms not
  # containing the term. By hand: with X1 the term's columns and M0 the
  # residual projection on the columns of the terms that neither are nor
  # contain it, L = D (X1'M0 X1)^-1 X1'M0 X (so L = D on the term's own
  # columns, 0 on the M0 ones, and D times the regression of the containing
  # terms' columns on X1 on theirs).
  fev <- mmrm::fev_data
  anova_mmrm <- utils::getFromNamespace("Anova.mmrm", "mmrm")
  hand_type2 <- function(g, term) {
    X <- g$x_matrix
    asg <- g$assign[!g$aliased]
    tt <- stats::delete.response(g$terms)
    labs <- attr(tt, "term.labels")
    fac <- attr(tt, "factors")
    idx <- match(term, labs)
    contains <- vapply(seq_along(labs), function(i) all(fac[fac[, idx] > 0, i] > 0), NA)
    X1 <- X[, asg == idx, drop = FALSE]
    X0 <- X[, !contains[asg], drop = FALSE]
    M0 <- diag(nrow(X))
    if (ncol(X0)) M0 <- M0 - X0 %*% solve(crossprod(X0), t(X0))
    k <- ncol(X1)
    D <- cbind(diag(k - 1), -1)
    D %*% solve(crossprod(X1, M0 %*% X1), crossprod(X1, M0 %*% X))
  }
  f <- FEV1 ~ 0 + ARMCD * AVISIT + RACE + us(AVISIT | USUBJID)
  p <- mmrm_pair(f, fev)
  a <- anova(p$g, type = "II")
  b <- anova_mmrm(p$m, type = "II")
  expect_equal(rownames(a), c("ARMCD", "AVISIT", "RACE", "ARMCD:AVISIT"))
  # terms not carrying the intercept: as mmrm::Anova
  for (tm in c("AVISIT", "RACE", "ARMCD:AVISIT")) {
    expect_equal(a[tm, "Num Df"], b[tm, "Df"])
    expect_lt(rel_diff(a[tm, "F value"], b[tm, "F"]), 1e-6, label = paste(tm, "F"))
    expect_lt(rel_diff(a[tm, "Denom Df"], b[tm, "Res.Df"]), 1e-6, label = paste(tm, "df"))
  }
  # ARMCD carries the intercept (columns ARMCDPBO, ARMCDTRT): the hand
  # construction, tested with mmrm's own df_md() on mmrm's fit
  L <- hand_type2(p$g, "ARMCD")
  expect_equal(dim(L), c(1L, length(coef(p$m))))
  r <- mmrm::df_md(p$m, L)
  expect_lt(rel_diff(a["ARMCD", "F value"], r$f_stat), 1e-6)
  expect_lt(rel_diff(a["ARMCD", "Denom Df"], r$denom_df), 1e-6)
  expect_lt(abs(a["ARMCD", "Pr(>F)"] - r$p_val), 1e-6)
  # The same column space with an intercept gives the same Type II
  # hypothesis for ARMCD (there mmrm::Anova agrees with glycotrial, test
  # above), so the test does not depend on the parametrisation:
  g1 <- mmrm_fit(FEV1 ~ ARMCD * AVISIT + RACE + us(AVISIT | USUBJID), fev, df = "Satterthwaite")
  a1 <- anova(g1, type = "II")
  expect_lt(rel_diff(a["ARMCD", "F value"], a1["ARMCD", "F value"]), 1e-6)
  expect_lt(rel_diff(a["ARMCD", "Denom Df"], a1["ARMCD", "Denom Df"]), 1e-6)
  # mmrm 0.3.x differs here: its h_type2_contrast() puts cbind(I, -1) on the
  # term's columns but ret[-1, ] - ret[1, ] (differences to the FIRST level)
  # on the containing terms' columns, which mixes two contrasts; with two
  # arms its ARMCD row tests (b_PBO - b_TRT) + (r_TRT - r_PBO)'b_int instead of
  # (b_PBO - b_TRT) + (r_PBO - r_TRT)'b_int (F 4.44 on 132 df against 31.76 on
  # 169 df, the value of the intercept parametrisation). Not asserted, so that
  # a fix in mmrm does not break this test.
  # A model where the intercept-carrying term (AVISIT) is contained in the
  # only other term: mmrm::Anova() stops (an empty x0 in its
  # h_type2_contrast()); glycotrial tests the visit differences adjusted for
  # nothing but themselves, L = D (X1'X1)^-1 X1'X, by hand again:
  f2 <- FEV1 ~ 0 + AVISIT + ARMCD:AVISIT + us(AVISIT | USUBJID)
  p2 <- mmrm_pair(f2, fev)
  a2 <- anova(p2$g, type = "II")
  L2 <- hand_type2(p2$g, "AVISIT")
  r2 <- mmrm::df_md(p2$m, L2)
  expect_equal(a2["AVISIT", "Num Df"], 3)
  expect_lt(rel_diff(a2["AVISIT", "F value"], r2$f_stat), 1e-6)
  expect_lt(rel_diff(a2["AVISIT", "Denom Df"], r2$denom_df), 1e-6)
})

test_that("anova() of a moment-route fit equals the row route (rel. tol 1e-6)", {
  fev <- mmrm::fev_data
  f <- FEV1 ~ FEV1_BL * AVISIT + ARMCD * AVISIT + us(AVISIT | USUBJID)
  g_row <- mmrm_fit(f, fev, df = "Satterthwaite")
  g_mom <- withr::with_options(list(glycotrial.mmrm_moment_rows = 1),
                               mmrm_fit(f, fev, df = "Satterthwaite"))
  for (ty in c("III", "II")) {
    a <- anova(g_row, type = ty)
    b <- anova(g_mom, type = ty)
    expect_equal(rownames(a), rownames(b))
    expect_lt(rel_diff(a[["F value"]], b[["F value"]]), 1e-6)
    expect_lt(rel_diff(a[["Denom Df"]], b[["Denom Df"]]), 1e-6)
  }
})

test_that("bcva_data (1000 subjects x 10 visits): us and ar1 agree with mmrm", {
  skip_on_cran()
  bcva <- mmrm::bcva_data
  f_us <- BCVA_CHG ~ BCVA_BL + RACE + ARMCD * AVISIT + us(AVISIT | USUBJID)
  g <- mmrm_fit(f_us, bcva, df = "Satterthwaite")
  m <- suppressWarnings(mmrm::mmrm(f_us, bcva, start = g$theta))
  expect_lt(rel_diff(g$loglik, as.numeric(stats::logLik(m))), 1e-6)
  ct_g <- summary(g)$coefficients
  ct_m <- summary(m)$coefficients
  expect_lt(max(abs(ct_g[, 1] - ct_m[, 1]) / ct_m[, 2]), 1e-6)
  expect_lt(rel_diff(ct_g[, 2], ct_m[, 2]), 1e-6)
  expect_lt(rel_diff(ct_g[, 3], ct_m[, 3]), 1e-6)
  f_ar1 <- BCVA_CHG ~ BCVA_BL + RACE + ARMCD * AVISIT + ar1(AVISIT | USUBJID)
  expect_mmrm_agree(mmrm_pair(f_ar1, bcva), label = "bcva ar1")
})
