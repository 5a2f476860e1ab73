# Profile-likelihood intervals for fits with several grouping factors
# (R/lmm_sparse_profile.R): variance components and fixed effects against
# lme4::confint(method = "profile") to 1e-3 relative (lme4 interpolates its
# profile by splines; glycotrial solves it by uniroot), and single profile
# points of the C++ minimisation (optimum at the estimate, exact constraints).

test_that("profile intervals on crossed and nested fits match lme4::confint(method = 'profile')", {
  skip_if_not_installed("lme4")
  data("Penicillin", package = "lme4", envir = environment())
  data("Pastes", package = "lme4", envir = environment())
  for (cs in list(list(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin),
                  list(strength ~ 1 + (1 | batch/cask), Pastes))) {
    f <- fit_lmm(cs[[1]], cs[[2]])
    l <- lmm_tight_lmer(cs[[1]], cs[[2]])
    cl <- suppressMessages(suppressWarnings(lme4::confint.merMod(l, method = "profile", oldNames = FALSE)))
    cf <- confint(f, method = "profile")
    # lme4 names: "sd_(Intercept)|g", "sigma", "(Intercept)"
    map <- c(sub("^sd__", "sd_", rownames(cf)))
    map[map == "sd_Observation"] <- "sigma"
    expect_equal(unname(cf), unname(cl[map, ]), tolerance = 1e-3)
  }
})

test_that("profile intervals with a random slope (SDs, correlation) match lme4", {
  skip_if_not_installed("lme4")
  d <- lmm_sparse_kr_sim()
  fm <- y ~ trt + x + (1 + x | subj) + (1 | item)
  f <- fit_lmm(fm, d)
  l <- lmm_tight_lmer(fm, d)
  cl <- suppressMessages(suppressWarnings(lme4::confint.merMod(l, parm = "theta_", method = "profile",
                                               oldNames = FALSE)))
  cf <- confint(f, parm = "theta_", method = "profile")
  expect_equal(rownames(cf), c("sd__(Intercept)|subj", "cor__(Intercept).x|subj", "sd__x|subj",
                               "sd__(Intercept)|item", "sd__Observation"))
  expect_equal(unname(cf), unname(cl), tolerance = 1e-3)
  expect_error(confint(f, parm = "sd__nope", method = "profile"), class = "glycotrial_error_input")
})

test_that("a C++ profile point is the ML optimum at the estimate and holds its constraint exactly", {
  skip_if_not_installed("lme4")
  data("Penicillin", package = "lme4", envir = environment())
  ml <- fit_lmm(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin, reml = FALSE)
  ptr <- glycotrial:::lmm_sparse_ptr(ml)
  s0 <- sqrt(ml$sigma2)
  vc <- glycotrial:::lmm_sparse_vc_table(ml)
  expect_equal(vc$name[1], "sd__(Intercept)|plate")
  prof <- function(kind, term, i, j, value, fit = ml, p = ptr) {
    glycotrial:::cpp_lmm_sparse_profile_vc(p, kind, term, i, j, value, fit$theta, sqrt(fit$sigma2),
                                           fit$theta, sqrt(fit$sigma2), 500L, 1e-6)
  }
  # sd(plate) fixed at its ML estimate: the profile is the ML optimum
  p0 <- prof("sd", 0L, 0L, 0L, vc$estimate[1])
  expect_true(p0$converged)
  expect_lt(abs(p0$deviance - ml$deviance), 1e-6)
  # sd(plate) = 1 and sigma = 0.6: constraints exact, deviance that of the point, above the optimum
  p1 <- prof("sd", 0L, 0L, 0L, 1)
  expect_equal(p1$sigma * p1$theta[1], 1, tolerance = 1e-13)
  expect_equal(p1$deviance, glycotrial:::cpp_lmm_sparse_deviance_sigma(ptr, p1$theta, p1$sigma))
  expect_gt(p1$deviance, ml$deviance + 1e-3)
  p2 <- prof("sigma", -1L, -1L, -1L, 0.6)
  expect_identical(p2$sigma, 0.6)
  expect_gt(p2$deviance, ml$deviance + 1e-3)
  # a correlation fixed in a 2 x 2 block: the covariance's correlation is exactly the value
  d <- lmm_sparse_kr_sim()
  ms <- fit_lmm(y ~ trt + x + (1 + x | subj) + (1 | item), d, reml = FALSE)
  ps <- glycotrial:::lmm_sparse_ptr(ms)
  pc <- prof("cor", 0L, 0L, 1L, -0.3, ms, ps)
  expect_true(pc$converged)
  G <- glycotrial:::cpp_lmm_sparse_relcov(ps, pc$theta, 0L)
  expect_equal(G[1, 2] / sqrt(G[1, 1] * G[2, 2]), -0.3, tolerance = 1e-13)
  # warm-started from cor -> -1 (where the optimum has sd(x) at 0, a
  # stationary point), the profile at -0.9 is still that from the estimate
  pe <- prof("cor", 0L, 0L, 1L, -1 + 1e-6, ms, ps)
  expect_lt(pe$sigma * sqrt(sum(pe$theta[2:3]^2)), 1e-6)
  pw <- glycotrial:::cpp_lmm_sparse_profile_vc(ps, "cor", 0L, 0L, 1L, -0.9, pe$theta, pe$sigma,
                                               ms$theta, sqrt(ms$sigma2), 500L, 1e-6)
  expect_equal(pw$deviance, prof("cor", 0L, 0L, 1L, -0.9, ms, ps)$deviance, tolerance = 1e-9)
  expect_error(prof("cor", 0L, 0L, 1L, 1.5, ms, ps), class = "glycotrial_error_input")
  expect_error(prof("sd", 5L, 0L, 0L, 1), class = "glycotrial_error_input")
})

test_that("profile points whose inner minimisation did not converge give a classed warning", {
  skip_if_not_installed("lme4")
  data("Penicillin", package = "lme4", envir = environment())
  f <- fit_lmm(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin)
  expect_no_warning(confint(f, parm = "sd__(Intercept)|plate", method = "profile"))
  # the same core answers, reported as not converged (a core that stopped early)
  ns <- asNamespace("glycotrial")
  for (fn in c("cpp_lmm_sparse_profile_vc", "cpp_lmm_profile_vc")) {
    orig <- get(fn, ns)
    local({
      o <- orig
      utils::assignInNamespace(fn, function(...) utils::modifyList(o(...), list(converged = FALSE)),
                               "glycotrial")
    })
    withr::defer(utils::assignInNamespace(fn, orig, "glycotrial"))
  }
  expect_warning(confint(f, parm = "sd__(Intercept)|plate", method = "profile"),
                 class = "glycotrial_warning_convergence")
  s <- fit_lmm(Reaction ~ Days + (1 | Subject), lme4::sleepstudy)
  expect_warning(confint(s, parm = "sd__(Intercept)", method = "profile"),
                 class = "glycotrial_warning_convergence")
})
