# Tipping delta of a delta grid and its plot (R/mi_tipping_plot.R).

test_that("the tipping delta interpolates the confidence limit that crosses 0", {
  d <- mi_example_data(n = 80, seed = 11)
  fit <- mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"),
                            analysis_covariates = "BASE")
  grid <- seq(0, 3, by = 0.25)
  tp <- mi_tipping_point(fit, deltas = grid)
  expect_s3_class(tp, "glycotrial_mi_tipping")
  w <- tp[tp$visit == "WEEK16", ]
  # hand rule: the TRT - PBO difference is negative and significant at delta 0;
  # shifting TRT's imputed values up moves the upper limit across 0
  expect_lt(w$upper[1], 0)
  j <- which(w$upper > 0)[1]
  expect_true(w$p_value[j - 1] < 0.05 && w$p_value[j] >= 0.05)
  expected <- w$delta[j - 1] - w$upper[j - 1] * (w$delta[j] - w$delta[j - 1]) /
    (w$upper[j] - w$upper[j - 1])
  tip <- mi_tipping_delta(tp)
  expect_identical(tip$bound, "upper")
  expect_equal(tip$tipping_delta, expected, tolerance = 1e-12)
  # a refit with that delta on every imputed TRT value puts the upper limit near 0
  imp <- mi_imputed_data(fit)
  rows <- imp$imputed & imp$ARM == "TRT"
  dl <- data.frame(USUBJID = imp$USUBJID[rows], AVISIT = as.character(imp$AVISIT[rows]),
                   delta = tip$tipping_delta)
  at <- mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"),
                           analysis_covariates = "BASE", delta = dl)
  expect_lt(abs(at$results$upper[4]), 0.01)
  # no change over the grid: NA
  expect_true(is.na(mi_tipping_delta(mi_tipping_point(fit, deltas = c(0, 0.01)))$tipping_delta))
  expect_error(mi_tipping_delta(tp, visit = "WEEK99"), class = "glycotrial_error_input", regexp = "WEEK99")
  expect_error(mi_tipping_delta(as.data.frame(fit)), class = "glycotrial_error_input")
})

test_that("autoplot() draws the band, the estimates, the zero line and the tipping delta", {
  skip_if_not_installed("ggplot2")
  d <- mi_example_data(n = 80, seed = 11)
  fit <- mi_reference_based(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"),
                            analysis_covariates = "BASE")
  tp <- mi_tipping_point(fit, deltas = seq(0, 3, by = 0.25))
  p <- ggplot2::autoplot(tp)
  expect_s3_class(p, "ggplot")
  geoms <- vapply(p$layers, function(l) class(l$geom)[1], "")
  expect_identical(geoms, c("GeomRibbon", "GeomLine", "GeomPoint", "GeomHline", "GeomVline"))
  w <- tp[tp$visit == "WEEK16", ]
  expect_equal(p$data$estimate, w$estimate)
  expect_equal(p$data$upper, w$upper)
  b <- ggplot2::ggplot_build(p)
  expect_equal(b$data[[5]]$xintercept, mi_tipping_delta(tp)$tipping_delta)
  expect_equal(b$data[[4]]$yintercept, 0)
  # another visit: the plot follows it
  p8 <- ggplot2::autoplot(tp, visit = "WEEK8")
  expect_equal(p8$data$estimate, tp$estimate[tp$visit == "WEEK8"])
  pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_invisible(plot(tp))
})
