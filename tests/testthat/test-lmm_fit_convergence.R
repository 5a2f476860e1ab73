# fit_lmm() with two grouping factors and a residual structure: converged =
# TRUE must mean the optimum. Reference: nlme::lme with
# corAR1 on the same model (REML); our log-likelihood may not be below it.

test_that("SITE + USUBJID + ar1 reaches nlme's optimum on several data sets", {
  skip_if_not_installed("nlme")
  for (seed in 1:4) {
    d <- lmm_sim_site_ar1(seed)
    fit <- suppressWarnings(fit_lmm(AVAL ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID) +
                                      ar1(AVISIT | USUBJID), d))
    ref <- nlme::lme(AVAL ~ ARM * AVISIT, random = list(SITE = ~1, USUBJID = ~1),
                     correlation = nlme::corAR1(form = ~ t | SITE / USUBJID), data = d,
                     control = nlme::lmeControl(msMaxIter = 500, tolerance = 1e-10))
    # seed 3 stopped 0.21 log-likelihood units below nlme before the fix
    expect_gte(as.numeric(logLik(fit)) - as.numeric(logLik(ref)), -1e-4)
    expect_true(fit$converged)
    expect_true(max(abs(fit$optinfo$gradient)) < 2e-3 || fit$optinfo$newton_decrement < 1e-5)
    expect_true(all(fit$optinfo$hessian_eigen > -1e-4))
  }
})

test_that("a failed optimality check gives converged = FALSE and a classed warning", {
  d <- lmm_sim_site_ar1(3)
  # an end point that is not stationary must fail the check
  chk <- glycotrial:::lmm_sparse_resid_check(function(p) sum((p - 1)^2), c(0, 0), c(-Inf, -Inf))
  expect_false(chk$ok)
  expect_false(chk$grad_ok)
  # a saddle point passes the gradient test but not the Hessian test
  chk <- glycotrial:::lmm_sparse_resid_check(function(p) p[1]^2 - p[2]^2, c(0, 0), c(-Inf, -Inf))
  expect_true(chk$grad_ok)
  expect_false(chk$hess_ok)
  # at a lower bound the deviance must rise into the interior
  chk <- glycotrial:::lmm_sparse_resid_check(function(p) (p[1] + 1)^2, 0, 0)
  expect_true(chk$ok)
  chk <- glycotrial:::lmm_sparse_resid_check(function(p) (p[1] - 1)^2, 0, 0)
  expect_false(chk$ok)
  # a variance component at its bound 0: the deviance is even in it, so the
  # one-sided gradient there is 0 although it falls further in (minimum at 0.3)
  chk <- glycotrial:::lmm_sparse_resid_check(function(p) (p[1]^2 - 0.09)^2 * 100, 0, 0)
  expect_false(chk$ok)
  # a steep direction: gradient 0.003 but 1e-7 from the optimum (Newton
  # decrement tiny) counts as converged
  chk <- glycotrial:::lmm_sparse_resid_check(function(p) 2.5e4 * (p[1] - 1.2e-7)^2 + p[2]^2,
                                            c(0, 0), c(-Inf, -Inf))
  expect_true(chk$ok)
  # too few iterations: the end point is reported as not converged, with a warning
  expect_warning(
    fit <- suppressWarnings(
      fit_lmm(AVAL ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID) + ar1(AVISIT | USUBJID), d,
              control = lmm_control(max_iter = 1)),
      classes = "glycotrial_warning_singular_fit"),
    class = "glycotrial_warning_convergence")
  expect_false(fit$converged)
})
