# autoplot() and knit_print() methods of fits, LS-means, index ratios and
# indices: the plotted values are the numbers of the objects themselves.

hba1c_fit <- function() {
  d <- adlb[adlb$PARAMCD == "HBA1C" & adlb$AVISITN > 0, ]
  d$AVISIT <- factor(d$AVISIT, levels = unique(d$AVISIT[order(d$AVISITN)]))
  d$ARM <- factor(d$ARM, levels = c("Placebo", "UC-MSC"))
  mmrm_fit(CHG ~ BASE + ARM * AVISIT + ar1(AVISIT | USUBJID), data = d)
}

test_that("autoplot of a fit shows its LS-means and CIs by arm and visit", {
  skip_if_not_installed("ggplot2")
  fit <- hba1c_fit()
  p <- ggplot2::autoplot(fit)
  expect_s3_class(p, "ggplot")
  ls <- least_squares_means(fit, specs = "ARM", by = "AVISIT")
  pts <- ggplot2::layer_data(p, 2)
  expect_equal(sort(pts$y), sort(ls$lsmeans$estimate), tolerance = 1e-12)
  bars <- ggplot2::layer_data(p, 3)
  expect_equal(sort(bars$ymin), sort(ls$lsmeans$lower), tolerance = 1e-12)
  expect_equal(sort(bars$ymax), sort(ls$lsmeans$upper), tolerance = 1e-12)
  expect_match(p$labels$y, "CHG")
  expect_s3_class(ggplot2::autoplot(ls), "ggplot")
  expect_error(glycotrial:::autoplot_mmrm(1), class = "glycotrial_error_input")
  expect_error(glycotrial:::autoplot_lsmeans(1), class = "glycotrial_error_input")
})

test_that("autoplot of index ratios and of indices", {
  skip_if_not_installed("ggplot2")
  keep <- adlb$PARAMCD %in% c("FPG", "FCPEP", "FINS")
  idx <- suppressWarnings(beta_cell_indices(adlb[keep, ], indices = c("homa_ir_cp", "homa_b_cp"),
                                            keep = c("ARM", "AVISITN")))
  r <- index_ratio_mmrm(idx, reference = "Placebo", covariance = "cs")
  p <- ggplot2::autoplot(r)
  pts <- ggplot2::layer_data(p, 3)
  expect_equal(sort(10^pts$x), sort(r$ratios$ratio), tolerance = 1e-10)
  q <- ggplot2::autoplot(idx)
  expect_s3_class(q, "ggplot")
  # Mean of HOMA-IR (C-peptide) at baseline in the placebo arm, by hand.
  v <- idx$homa_ir_cp[idx$AVISITN == 0 & idx$ARM == "Placebo"]
  qd <- ggplot2::layer_data(q, 2)
  expect_true(any(abs(qd$y - mean(v, na.rm = TRUE)) < 1e-12))
  expect_error(glycotrial:::autoplot_index_ratio(1), class = "glycotrial_error_input")
  expect_error(glycotrial:::autoplot_indices(data.frame(a = 1)), class = "glycotrial_error_input")
})

test_that("knit_print renders fits, LS-means and ratios as tables", {
  skip_if_not_installed("knitr")
  fit <- hba1c_fit()
  out <- knitr::knit_print(fit)
  expect_s3_class(out, "knit_asis")
  expect_match(out, "<table", fixed = TRUE)
  expect_match(out, "ARMUC-MSC", fixed = TRUE)
  ls <- least_squares_means(fit, specs = "ARM", by = "AVISIT")
  out <- knitr::knit_print(ls)
  expect_match(out, sprintf("%.3f", ls$diffs$estimate[1]), fixed = TRUE)
  keep <- adlb$PARAMCD %in% c("FPG", "FCPEP", "FINS")
  idx <- suppressWarnings(beta_cell_indices(adlb[keep, ], indices = "homa_b_cp",
                                            keep = c("ARM", "AVISITN")))
  r <- index_ratio_mmrm(idx, reference = "Placebo", covariance = "cs")
  out <- knitr::knit_print(r)
  expect_match(out, sprintf("%.3f", r$ratios$ratio[1]), fixed = TRUE)
})

test_that("knit_print renders safety tables with title and footnote, and index changes", {
  skip_if_not_installed("knitr")
  x <- ae_overview(adae, adsl)
  out <- knitr::knit_print(x)
  expect_s3_class(out, "knit_asis")
  expect_match(out, x$title, fixed = TRUE)
  expect_match(out, "<table", fixed = TRUE)
  if (!is.null(x$meta$footnote)) expect_match(out, x$meta$footnote, fixed = TRUE)
  keep <- adlb$PARAMCD %in% c("FPG", "FCPEP", "FINS")
  idx <- suppressWarnings(beta_cell_indices(adlb[keep, ], indices = "homa_b_cp",
                                            keep = c("ARM", "AVISITN")))
  ch <- index_change(idx, log = TRUE)
  out <- knitr::knit_print(ch)
  expect_match(out, "geometric mean ratio", fixed = TRUE)
  expect_match(out, sprintf("%.3f", ch$summary$ratio[1]), fixed = TRUE)
})
