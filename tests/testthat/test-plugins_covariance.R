# mmrm_fit() with a covariance structure registered from COMPILED code in
# another package (tests/testthat/plugin-package: "plugin_cs", compound
# symmetry with theta = (log sd, atanh rho) and no analytic derivatives, so
# glycotrial differentiates it numerically). It describes the same model as
# the built-in cs (another parametrisation), so the fits must agree on
# everything that does not depend on the parametrisation.
test_that("a compiled covariance from another package fits like the built-in cs", {
  skip_on_cran()
  load_plugin_package()
  lst <- glycotrial_plugins("covariance")
  expect_equal(lst$implementation[lst$key == "plugin_cs"], "C++")
  expect_equal(lst$package[lst$key == "plugin_cs"], plugin_pkg)

  d <- sim_mmrm_data(n = 80)
  a <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + cs(AVISIT | USUBJID), d, df = "Satterthwaite")
  b <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + plugin_cs(AVISIT | USUBJID), d, df = "Satterthwaite",
                control = mmrm_fit_control(start = c(0, 0.3)))
  expect_true(b$convergence$converged)
  expect_true(b$cov_compiled)
  # same model: logLik (rel. 1e-9), coefficients, SEs and Sigma (1e-6);
  # Satterthwaite df are invariant to the parametrisation (1e-4: plugin_cs has
  # numerical derivatives only)
  expect_equal(b$loglik, a$loglik, tolerance = 1e-9)
  expect_equal(coef(b), coef(a), tolerance = 1e-6)
  expect_equal(unname(VarCorr(b)), unname(VarCorr(a)), tolerance = 1e-6)
  ca <- summary(a)$coefficients
  cb <- summary(b)$coefficients
  expect_equal(cb[, "Std. Error"], ca[, "Std. Error"], tolerance = 1e-6)
  expect_equal(cb[, "df"], ca[, "df"], tolerance = 1e-4)
  # by hand: Sigma of plugin_cs is exp(2 theta1) ((1 - rho) I + rho 11')
  rho <- tanh(b$theta[2])
  k <- nlevels(d$AVISIT)
  expect_equal(unname(VarCorr(b)), exp(2 * b$theta[1]) * ((1 - rho) * diag(k) + rho),
               tolerance = 1e-12)
  # Kenward-Roger is not invariant to a non-linear reparametrisation, so it
  # is compared with the same parametrisation written in R (both
  # differentiated numerically by glycotrial): same numbers.
  register_covariance("test_tanh_cs", n_theta = function(n_visits) 2L,
    sigma = function(theta, n_visits, coords) {
      m <- length(coords)
      exp(2 * theta[1]) * ((1 - tanh(theta[2])) * diag(m) + tanh(theta[2]))
    })
  on.exit(unregister_plugin("covariance", "test_tanh_cs"), add = TRUE)
  ctl <- mmrm_fit_control(start = c(0, 0.3))
  bk <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + plugin_cs(AVISIT | USUBJID), d, control = ctl)
  rk <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + test_tanh_cs(AVISIT | USUBJID), d, control = ctl)
  expect_equal(bk$loglik, rk$loglik, tolerance = 1e-10)
  expect_equal(summary(bk)$coefficients, summary(rk)$coefficients, tolerance = 1e-6)
})
