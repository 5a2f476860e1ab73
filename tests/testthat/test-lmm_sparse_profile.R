# Profile-likelihood intervals for fits with several grouping factors
# (R/lmm_sparse_profile.R): variance components and fixed effects against
# lme4::confint(method = "profile") to 1e-3 relative (lme4 interpolates its
# profile by splines; glycotrial solves it by uniroot).

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
