# index_ratio_mmrm(): MMRM of log(index / baseline) with back-transformed
# LS-mean differences, against mmrm::mmrm + emmeans on the same data prepared
# by hand, and against a hand-written log-scale ANCOVA for one visit.

ratio_test_indices <- function() {
  keep <- adlb$PARAMCD %in% c("FPG", "FCPEP", "FINS")
  suppressWarnings(beta_cell_indices(adlb[keep, ], indices = c("homa_ir_cp", "homa_b_cp"),
                                     keep = c("ARM", "AVISITN")))
}

test_that("ratios equal exp() of mmrm + emmeans differences on log(index) (rel. tol 1e-4)", {
  suppressWarnings(skip_if_not_installed("mmrm"))  # (mmrm warns about its TMB build)
  skip_if_not_installed("emmeans")
  idx <- ratio_test_indices()
  r <- index_ratio_mmrm(idx, reference = "Placebo", covariance = "us")
  expect_s3_class(r, "glycotrial_index_ratio")
  expect_equal(r$models$covariance, c("us", "us"))
  expect_true(all(r$models$converged))
  for (k in c("homa_ir_cp", "homa_b_cp")) {
    # The same analysis data, built by hand: post-baseline log index, log baseline.
    w <- as.data.frame(idx)[, c("USUBJID", "ARM", "AVISIT", "AVISITN", k)]
    names(w)[5] <- "y"
    b <- w[w$AVISITN == 0, c("USUBJID", "y")]
    names(b)[2] <- "base"
    h <- merge(w[w$AVISITN > 0, ], b, by = "USUBJID")
    h <- h[!is.na(h$y) & !is.na(h$base) & h$y > 0 & h$base > 0, ]
    h$LOGCHG <- log(h$y) - log(h$base)
    h$LOGBASE <- log(h$base)
    h$AVISIT <- factor(h$AVISIT, levels = unique(h$AVISIT[order(h$AVISITN)]))
    h$ARM <- factor(h$ARM, levels = c("Placebo", "UC-MSC"))
    h$USUBJID <- factor(h$USUBJID)
    m <- mmrm::mmrm(LOGCHG ~ LOGBASE + ARM * AVISIT + us(AVISIT | USUBJID), data = h,
                    method = "Kenward-Roger")
    em <- emmeans::emmeans(m, ~ ARM | AVISIT)
    ct <- as.data.frame(summary(emmeans::contrast(em, "trt.vs.ctrl"), infer = TRUE))
    got <- r$ratios[r$ratios$PARAMCD == k, ]
    expect_equal(nrow(got), 3)
    expect_equal(got$AVISIT, as.character(ct$AVISIT))
    expect_equal(got$contrast, rep("UC-MSC / Placebo", 3))
    expect_equal(got$ratio, exp(ct$estimate), tolerance = 1e-4)
    expect_equal(got$lower, exp(ct$lower.CL), tolerance = 1e-4)
    expect_equal(got$upper, exp(ct$upper.CL), tolerance = 1e-4)
    expect_equal(got$df, ct$df, tolerance = 1e-3)
    expect_equal(got$p_value, ct$p.value, tolerance = 1e-3)
    expect_equal(got$n, as.vector(table(h$AVISIT)))
    # Geometric mean ratio to baseline by arm: exp() of the emmeans LS-means.
    es <- as.data.frame(summary(em))
    gl <- r$lsmeans[r$lsmeans$PARAMCD == k, ]
    expect_equal(gl$ratio_to_baseline, exp(es$emmean), tolerance = 1e-4)
    expect_equal(gl$lower, exp(es$lower.CL), tolerance = 1e-4)
    expect_equal(gl$upper, exp(es$upper.CL), tolerance = 1e-4)
  }
})

test_that("with one post-baseline visit the ratio is the log-scale ANCOVA, by hand (tol 1e-6)", {
  idx <- ratio_test_indices()
  one <- idx[idx$AVISITN %in% c(0, 48), ]
  # Satterthwaite df with the asymptotic covariance: for one visit this is
  # exactly the OLS ANCOVA. (Kenward-Roger's adjusted covariance depends on the
  # log-sd parametrisation and is slightly smaller, as in mmrm.)
  r <- index_ratio_mmrm(one, reference = "Placebo", indices = "homa_b_cp", covariance = "us",
                        df = "Satterthwaite")
  w <- as.data.frame(one)
  b <- w[w$AVISITN == 0, c("USUBJID", "homa_b_cp")]
  t48 <- w[w$AVISITN == 48, c("USUBJID", "ARM", "homa_b_cp")]
  h <- merge(t48, b, by = "USUBJID", suffixes = c("", "_base"))
  h <- h[complete.cases(h), ]
  # ANCOVA written out: y = log(Y48), X = [1, arm == UC-MSC, log(base)].
  y <- log(h$homa_b_cp)
  X <- cbind(1, h$ARM == "UC-MSC", log(h$homa_b_cp_base))
  beta <- solve(crossprod(X), crossprod(X, y))
  res <- y - X %*% beta
  dfr <- nrow(X) - 3
  s2 <- sum(res^2) / dfr
  se <- sqrt(s2 * solve(crossprod(X))[2, 2])
  q <- qt(0.975, dfr)
  expect_equal(r$ratios$ratio, exp(beta[2]), tolerance = 1e-6)
  expect_equal(r$ratios$lower, exp(beta[2] - q * se), tolerance = 1e-6)
  expect_equal(r$ratios$upper, exp(beta[2] + q * se), tolerance = 1e-6)
  expect_equal(r$ratios$df, dfr, tolerance = 1e-6)
  expect_equal(r$ratios$AVISIT, "Week 48")
  expect_equal(as.data.frame(r), r$ratios)
  expect_output(print(r), "ratios of geometric means")
})

test_that("index_ratio_mmrm() rejects bad input with classed errors", {
  idx <- ratio_test_indices()
  expect_error(index_ratio_mmrm(idx, reference = "Drug"), class = "glycotrial_error_input")
  expect_error(index_ratio_mmrm(list(1)), class = "glycotrial_error_input")
  expect_error(index_ratio_mmrm(idx, covariance = 1), class = "glycotrial_error_input")
  expect_error(index_ratio_mmrm(idx, arm = "TRT"), class = "glycotrial_error_input")
  expect_error(index_ratio_mmrm(idx[idx$ARM == "Placebo", ]), class = "glycotrial_error_input")
  expect_error(index_ratio_mmrm(idx, conf_level = 2), class = "glycotrial_error_input")
})
