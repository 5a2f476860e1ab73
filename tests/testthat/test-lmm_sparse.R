# fit_lmm() with several grouping factors (sparse profiled-deviance core,
# R/lmm_sparse.R, src/core/lmm/sparse_lmm.cpp) against lme4::lmer fitted with
# a tight BOBYQA tolerance (helper-lmm.R): fixed effects, variance
# components and log-likelihood to 1e-6 relative, conditional modes and
# their conditional variances to 1e-5 (absolute, on the data's scale).

lmm_sparse_compare <- function(f, l, tol = 1e-6, tol_re = 1e-5) {
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(l)), tolerance = tol)
  expect_equal(unname(fixef(f)), unname(lme4::fixef(l)), tolerance = tol)
  expect_equal(unname(vcov(f)), unname(as.matrix(vcov(l))), tolerance = 1e-5)
  vf <- VarCorr(f)
  vl <- as.data.frame(lme4::VarCorr(l))
  for (t in vf$terms) {
    ref <- vl[vl$grp == t$group & is.na(vl$var2), ]
    expect_equal(unname(diag(t$G)), ref$vcov[match(names(t$sd), ref$var1)], tolerance = tol)
  }
  expect_equal(vf$sigma, stats::sigma(l), tolerance = tol)
  rf <- ranef(f)
  rl <- lme4::ranef(l, condVar = TRUE)
  expect_setequal(names(rf), names(rl))
  for (g in names(rl)) {
    a <- as.matrix(rf[[g]])
    b <- as.matrix(rl[[g]])
    expect_lt(max(abs(a[rownames(b), colnames(b), drop = FALSE] - b)), tol_re)
    cv <- attr(rf[[g]], "condVar")[, , match(rownames(b), rownames(a)), drop = FALSE]
    expect_lt(max(abs(as.numeric(cv) - as.numeric(attr(rl[[g]], "postVar")))), tol_re)
  }
}

test_that("crossed random intercepts match lme4 (Penicillin), REML and ML", {
  skip_if_not_installed("lme4")
  data("Penicillin", package = "lme4", envir = environment())
  for (reml in c(TRUE, FALSE)) {
    fm <- diameter ~ 1 + (1 | plate) + (1 | sample)
    f <- fit_lmm(fm, Penicillin, reml = reml)
    expect_s3_class(f, "glycotrial_lmm_multi")
    expect_false(f$singular)
    lmm_sparse_compare(f, lmm_tight_lmer(fm, Penicillin, REML = reml))
  }
})

test_that("nested random intercepts match lme4 (Pastes), both spellings", {
  skip_if_not_installed("lme4")
  data("Pastes", package = "lme4", envir = environment())
  for (reml in c(TRUE, FALSE)) {
    l <- lmm_tight_lmer(strength ~ 1 + (1 | batch/cask), Pastes, REML = reml)
    f <- fit_lmm(strength ~ 1 + (1 | batch/cask), Pastes, reml = reml)
    lmm_sparse_compare(f, l)
    expect_setequal(names(ranef(f)), c("batch", "cask:batch"))
    f2 <- fit_lmm(strength ~ 1 + (1 | batch) + (1 | cask:batch), Pastes, reml = reml)
    expect_equal(as.numeric(logLik(f2)), as.numeric(logLik(f)), tolerance = 1e-8)
  }
})

test_that("the sparse core reproduces the single-factor core (sleepstudy)", {
  skip_if_not_installed("lme4")
  data("sleepstudy", package = "lme4", envir = environment())
  fm <- Reaction ~ Days + (1 + Days | Subject)
  for (reml in c(TRUE, FALSE)) {
    a <- fit_lmm(fm, sleepstudy, reml = reml)
    b <- glycotrial:::lmm_fit_sparse(fm, sleepstudy, reml = reml)
    expect_equal(as.numeric(logLik(b)), as.numeric(logLik(a)), tolerance = 1e-6)
    expect_equal(fixef(b), fixef(a), tolerance = 1e-6)
    expect_equal(b$G_terms[[1]], a$G, tolerance = 1e-6, ignore_attr = TRUE)
    expect_equal(b$sigma2, a$sigma2, tolerance = 1e-6)
    expect_lt(max(abs(as.matrix(ranef(b)$Subject) - as.matrix(ranef(a)))), 1e-5)
    expect_lt(max(abs(attr(ranef(b)$Subject, "condVar") - attr(ranef(a), "condVar"))), 1e-5)
    lmm_sparse_compare(b, lmm_tight_lmer(fm, sleepstudy, REML = reml))
  }
})

test_that("methods work on a multi-factor fit", {
  skip_if_not_installed("lme4")
  data("Penicillin", package = "lme4", envir = environment())
  fm <- diameter ~ 1 + (1 | plate) + (1 | sample)
  f <- fit_lmm(fm, Penicillin)
  l <- lmm_tight_lmer(fm, Penicillin)
  expect_equal(unname(predict(f)), unname(stats::fitted(l)), tolerance = 1e-6)
  expect_equal(unname(predict(f, level = "population")), rep(unname(fixef(f)), nrow(Penicillin)))
  expect_equal(unname(residuals(f)), unname(stats::residuals(l)), tolerance = 1e-5)
  nd <- data.frame(plate = c("a", "zz"), sample = c("A", "F"))
  expect_equal(predict(f, nd), unname(predict(l, nd, allow.new.levels = TRUE)), tolerance = 1e-6)
  expect_equal(AIC(f), AIC(l), tolerance = 1e-6)
  expect_equal(BIC(f), BIC(l), tolerance = 1e-6)
  ci <- confint(f)
  se <- sqrt(vcov(f)[1, 1])
  expect_equal(unname(ci[1, ]), fixef(f)[[1]] + c(-1, 1) * stats::qnorm(0.975) * se)
  # profile intervals: test-lmm_sparse_kr.R; a bad parm is a classed error
  expect_error(confint(f, parm = "nope", method = "profile"), class = "glycotrial_error_input")
  s <- simulate(f, nsim = 2, seed = 1)
  expect_equal(dim(s), c(nrow(Penicillin), 2))
  expect_length(coef(f), 2)
  expect_equal(coef(f)$plate[["(Intercept)"]], fixef(f)[[1]] + ranef(f)$plate[["(Intercept)"]])
  g <- glance(f)
  expect_equal(g$logLik, as.numeric(logLik(l)), tolerance = 1e-6)
  td <- tidy(f)
  expect_equal(td$estimate[td$term == "sd__Observation"], sigma(l), tolerance = 1e-6)
  expect_output(print(f), "plate")
  expect_output(print(summary(f)), "Coefficients")
})

test_that("crossed random slopes match lme4 and Satterthwaite df match lmerTest", {
  skip_if_not_installed("lme4")
  skip_if_not_installed("lmerTest")
  set.seed(11)
  d <- expand.grid(rep = 1:2, subj = sprintf("s%02d", 1:15), item = sprintf("i%02d", 1:8))
  d$x <- stats::rnorm(nrow(d))
  d$grp <- factor(ifelse(as.integer(d$subj) %% 2 == 0, "A", "B"))
  bs <- matrix(stats::rnorm(30), 15) %*% chol(matrix(c(1, 0.4, 0.4, 0.5), 2))
  bi <- stats::rnorm(8, 0, 0.7)
  k <- as.integer(d$subj)
  d$y <- 2 + 0.5 * d$x + 0.3 * (d$grp == "A") + bs[k, 1] + bs[k, 2] * d$x +
    bi[as.integer(d$item)] + stats::rnorm(nrow(d), 0, 0.8)
  fm <- y ~ x + grp + (1 + x | subj) + (1 | item)
  for (reml in c(TRUE, FALSE)) {
    f <- fit_lmm(fm, d, reml = reml)
    l <- lmm_tight_lmer(fm, d, REML = reml)
    lmm_sparse_compare(f, l)
    cor_l <- attr(lme4::VarCorr(l)$subj, "correlation")[1, 2]
    expect_equal(VarCorr(f)$terms[[1]]$cor[1, 2], cor_l, tolerance = 1e-5)
  }
  f <- fit_lmm(fm, d)
  # Kenward-Roger df for this design: test-lmm_sparse_kr.R (vs lmerTest)
  expect_error(anova(f, ddf = "nope"), class = "glycotrial_error_input")
  lt <- lmerTest::lmer(fm, d, control = lme4::lmerControl(optimizer = "bobyqa",
                                                          optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
  ref <- summary(lt)$coefficients
  expect_equal(summary(f)$coefficients$df, unname(ref[, "df"]), tolerance = 1e-4)
  a <- anova(f)
  ra <- stats::anova(lt)
  expect_equal(a$DenDF, ra$DenDF, tolerance = 1e-4)
  expect_equal(a$`F value`, ra$`F value`, tolerance = 1e-6)
})

crossed_ab <- function(seed) {
  set.seed(seed)
  d <- expand.grid(a = letters[1:6], b = LETTERS[1:5], r = 1:2)
  d$y <- stats::rnorm(6)[as.integer(d$a)] + stats::rnorm(nrow(d))
  d
}

test_that("a singular multi-factor fit is flagged, not an error", {
  skip_if_not_installed("lme4")
  d <- crossed_ab(6)  # lme4: theta = (0.3146, 0), REML criterion 172.5774
  expect_warning(f <- fit_lmm(y ~ 1 + (1 | a) + (1 | b), d),
                 class = "glycotrial_warning_singular_fit")
  expect_true(f$singular)
  expect_lt(VarCorr(f)$terms[[2]]$sd[[1]], 1e-3)
  l <- suppressMessages(lme4::lmer(y ~ 1 + (1 | a) + (1 | b), d))
  expect_equal(f$deviance, lme4::REMLcrit(l), tolerance = 1e-8)
})

test_that("a search that reaches the bound 0 leaves it when the deviance falls further in", {
  skip_if_not_installed("lme4")
  # Both variance components' first steps overshoot to the bound 0. There
  # the one-sided gradient is 0 (the deviance is even in theta), and the
  # optimiser used to stop and report a converged singular fit at REML
  # deviance 171.64; lme4's optimum is 166.55 at theta = (0.4866, 0.2754).
  d <- crossed_ab(3)
  f <- fit_lmm(y ~ 1 + (1 | a) + (1 | b), d)
  l <- lme4::lmer(y ~ 1 + (1 | a) + (1 | b), d)
  expect_false(f$singular)
  expect_equal(f$deviance, lme4::REMLcrit(l), tolerance = 1e-8)
  expect_equal(unname(f$theta), unname(lme4::getME(l, "theta")), tolerance = 1e-4)
})

test_that("observation weights with crossed factors match lme4", {
  skip_if_not_installed("lme4")
  data("Penicillin", package = "lme4", envir = environment())
  pen <- Penicillin
  pen$w <- rep(c(0.5, 1, 2), length.out = nrow(pen))
  fm <- diameter ~ 1 + (1 | plate) + (1 | sample)
  for (reml in c(TRUE, FALSE)) {
    f <- fit_lmm(fm, pen, reml = reml, weights = "w")
    l <- lme4::lmer(fm, pen, REML = reml, weights = w,
                    control = lme4::lmerControl(optimizer = "bobyqa",
                                                optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
    lmm_sparse_compare(f, l)
    # lme4's Pearson residuals are sqrt(w) (y - fitted), not divided by sigma
    expect_equal(unname(residuals(f, type = "pearson") * sqrt(f$sigma2)),
                 unname(stats::residuals(l, type = "pearson")), tolerance = 1e-5)
  }
})

test_that("emmeans on a multi-factor fit matches emmeans on lmerTest (Satterthwaite)", {
  skip_if_not_installed("emmeans")
  skip_if_not_installed("lmerTest")
  set.seed(5)
  d <- expand.grid(rep = 1:2, subj = sprintf("s%02d", 1:12), item = sprintf("i%02d", 1:6))
  d$trt <- factor(ifelse(as.integer(d$item) %% 2 == 0, "A", "B"))
  d$y <- 1 + 0.5 * (d$trt == "A") + stats::rnorm(12)[as.integer(d$subj)] +
    stats::rnorm(6, 0, 0.5)[as.integer(d$item)] + stats::rnorm(nrow(d))
  fm <- y ~ trt + (1 | subj) + (1 | item)
  f <- fit_lmm(fm, d)
  l <- lmerTest::lmer(fm, d, control = lme4::lmerControl(optimizer = "bobyqa",
                                                          optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
  a <- as.data.frame(emmeans::emmeans(f, "trt"))
  b <- as.data.frame(emmeans::emmeans(l, "trt", lmer.df = "satterthwaite"))
  expect_equal(a$emmean, b$emmean, tolerance = 1e-6)
  expect_equal(a$SE, b$SE, tolerance = 1e-5)
  expect_equal(a$df, b$df, tolerance = 1e-4)
})

test_that("both design paths share the input checks and residuals()", {
  skip_if_not_installed("lme4")
  data("Pastes", package = "lme4", envir = environment())
  p <- Pastes
  p$t <- as.character(seq_len(nrow(p)) %% 3)
  # the same classed error, with the same message, from either path
  e1 <- expect_error(fit_lmm(strength ~ 1 + (1 + t | batch), p), class = "glycotrial_error_input")
  e2 <- expect_error(fit_lmm(strength ~ 1 + (1 + t | batch) + (1 | cask), p),
                     class = "glycotrial_error_input")
  expect_equal(conditionMessage(e1), conditionMessage(e2))
  p$batch[3] <- NA
  e1 <- expect_error(fit_lmm(strength ~ 1 + (1 | batch), p), class = "glycotrial_error_input")
  e2 <- expect_error(fit_lmm(strength ~ 1 + (1 | batch/cask), p), class = "glycotrial_error_input")
  expect_equal(conditionMessage(e1), conditionMessage(e2))
  expect_error(fit_lmm(y ~ 1 + (1 | cask:batch) + (1 | batch), Pastes |> transform(y = as.character(strength))),
               class = "glycotrial_error_input")
  # residuals by hand: y - fitted (response), divided by sigma (Pearson)
  f <- fit_lmm(strength ~ 1 + (1 | batch/cask), Pastes)
  expect_equal(residuals(f), Pastes$strength - fitted(f), tolerance = 1e-12)
  expect_equal(residuals(f, type = "pearson"), residuals(f) / sqrt(f$sigma2), tolerance = 1e-12)
  expect_equal(unname(residuals(f, level = "population")), Pastes$strength - unname(fixef(f)),
               tolerance = 1e-12)
  expect_equal(predict(f, newdata = Pastes[1:3, ], level = "population"),
               rep(unname(fixef(f)), 3), tolerance = 1e-12)
})
