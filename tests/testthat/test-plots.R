# Shared plotting pieces: the Okabe-Ito palette, axis labels with units, and
# mean +- SE by group written out by hand. (The report figures themselves
# are tested in test-report.R.)

test_that("the palette is Okabe & Ito's, in order, and bounded", {
  expect_identical(glycotrial_palette(3), c("#0072B2", "#D55E00", "#009E73"))
  expect_length(glycotrial_palette(), 8)
  expect_error(glycotrial_palette(0), class = "glycotrial_error_input")
})

test_that("mean and SE by group equal the hand calculation; labels carry the unit", {
  y <- c(1, 3, NA, 10, 14, 5)
  g <- list(arm = c("A", "A", "A", "B", "B", "C"), visit = c(1, 1, 1, 2, 2, 2))
  ms <- glycotrial:::mean_se_by(y, g)
  expect_identical(ms$arm, c("A", "B", "C"))
  expect_identical(ms$n, c(2L, 2L, 1L))
  expect_equal(ms$mean, c(2, 12, 5))
  # SE = sd / sqrt(n): sd(1, 3) = sqrt(2), sd(10, 14) = sqrt(8); one value: NA.
  expect_equal(ms$se, c(sqrt(2) / sqrt(2), sqrt(8) / sqrt(2), NA))
  d <- data.frame(PARAM = "Hemoglobin A1c (%)", AVALU = "%")
  expect_identical(glycotrial:::param_axis_label(d, "HBA1C"), "Hemoglobin A1c (%)")
  expect_identical(glycotrial:::param_axis_label(d, "HBA1C", what = "Change in"),
                   "Change in Hemoglobin A1c (%)")
  expect_identical(glycotrial:::param_axis_label(data.frame(x = 1), "HBA1C"), "HBA1C")
})

test_that("the theme and scales are ggplot2 objects with the palette", {
  skip_if_not_installed("ggplot2")
  expect_s3_class(theme_glycotrial(), "theme")
  sc <- scale_colour_glycotrial()
  expect_identical(unname(sc$palette(2)[1:2]), c("#0072B2", "#D55E00"))
  expect_error(theme_glycotrial(base_size = -1), class = "glycotrial_error_input")
})
