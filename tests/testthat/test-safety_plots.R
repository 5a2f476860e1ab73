# autoplot() of the safety summaries: the plotted values are the numbers of
# the objects themselves (percentages and risk differences of the ARD).

test_that("the AE dot plot shows the ARD's percentages and risk differences", {
  skip_if_not_installed("ggplot2")
  d <- safety_toy()
  res <- ae_by_term(d$adae, d$adsl)
  g <- ggplot2::autoplot(res)
  expect_s3_class(g, "ggplot")
  pts <- g$layers[[1]]$data
  a <- res$ard
  ref <- a[a$level == "pt" & a$stat_name == "pct", ]
  expect_equal(sort(pts$stat), sort(ref$stat))
  # Nausea in arm A: S1, S2 of 3 subjects.
  expect_equal(pts$stat[pts$pt == "Nausea" & pts$arm == "A"], 200 / 3)
  rd <- g$layers[[length(g$layers)]]$data
  expect_equal(sort(rd$rd), sort(a$stat[a$level == "pt" & a$stat_name == "rd"]))
  expect_error(ggplot2::autoplot(ae_by_term(d$adae, d$adsl, by = "soc")), class = "glycotrial_error")
})

test_that("the eDISH plot shows each subject's peak ratios", {
  skip_if_not_installed("ggplot2")
  d <- lab_toy()
  res <- hys_law(d$adlb, d$adsl)
  g <- ggplot2::autoplot(res)
  s <- res$data$subjects
  s <- s[!is.na(s$at_uln) & !is.na(s$bili_uln) & s$at_uln > 0 & s$bili_uln > 0, ]
  expect_equal(g$data$at_uln, s$at_uln)
  expect_equal(g$data$bili_uln, s$bili_uln)
})

# autoplot() of the AE dot plot and eDISH: arms in the arm column's factor
# order with the package palette (issue 19 item 4), without the report's help.

arm_order_trial <- function(levels) {
  adsl <- data.frame(USUBJID = paste0("S", 1:6),
                     ARM = factor(rep(c("Placebo", "High", "Low"), each = 2), levels = levels),
                     SAFFL = "Y", TRTSDT = as.Date("2024-01-01"),
                     TRTEDT = as.Date("2024-03-30"), stringsAsFactors = FALSE)
  # Nausea: Placebo 1/2 = 50%, High 2/2 = 100%, Low 0/2 = 0% (hand counts).
  adae <- data.frame(USUBJID = c("S1", "S3", "S4"), AEBODSYS = "GI", AEDECOD = "Nausea",
                     TRTEMFL = "Y", ASTDY = 5, stringsAsFactors = FALSE)
  # One subject per arm with liver tests: peak ALT/ULN 2 (Placebo S1), 4 (High S3),
  # 8 (Low S5); BILI/ULN 1, 3, 0.5. Low's S6 has no BILI (not plotted).
  mk <- function(id, alt, bili) {
    data.frame(USUBJID = id, PARAMCD = c("ALT", "AST", "BILI", "ALP"),
               AVAL = c(alt * 40, 20, bili * 20, 60), ANRHI = c(40, 40, 20, 120), ADY = 15,
               stringsAsFactors = FALSE)
  }
  adlb <- rbind(mk("S1", 2, 1), mk("S3", 4, 3), mk("S5", 8, 0.5))
  list(adsl = adsl, adae = adae, adlb = adlb)
}

# Colour of the layer-1 point(s) at x, and the colour scale's legend order.
point_colour <- function(b, x) unique(b$data[[1]]$colour[abs(b$data[[1]]$x - x) < 1e-9])
legend_order <- function(b) b$plot$scales$get_scales("colour")$get_limits()

test_that("AE dot plot: arm order from the factor levels, colours from the palette", {
  skip_if_not_installed("ggplot2")
  pal <- glycotrial_palette()
  for (lv in list(c("Placebo", "High", "Low"), c("Low", "High", "Placebo"))) {
    d <- arm_order_trial(lv)
    res <- ae_by_term(d$adae, d$adsl, ref_arm = "Placebo")
    b <- ggplot2::ggplot_build(ggplot2::autoplot(res))
    expect_identical(legend_order(b), lv)
    # Percent panel (x = percent of subjects): 50% is Placebo, 100% High, 0% Low.
    expect_identical(point_colour(b, 50), pal[match("Placebo", lv)])
    expect_identical(point_colour(b, 100), pal[match("High", lv)])
    expect_identical(point_colour(b, 0), pal[match("Low", lv)])
    expect_identical(b$plot$scales$get_scales("shape")$get_limits(), lv)
  }
})

test_that("eDISH: arm order from the factor levels, colours from the palette", {
  skip_if_not_installed("ggplot2")
  pal <- glycotrial_palette()
  for (lv in list(c("Placebo", "High", "Low"), c("Low", "High", "Placebo"))) {
    d <- arm_order_trial(lv)
    res <- hys_law(d$adlb, d$adsl)
    b <- ggplot2::ggplot_build(ggplot2::autoplot(res))
    expect_identical(legend_order(b), lv)
    # Log10 x axis: peak ALT/ULN 2 is Placebo, 4 High, 8 Low.
    expect_identical(point_colour(b, log10(2)), pal[match("Placebo", lv)])
    expect_identical(point_colour(b, log10(4)), pal[match("High", lv)])
    expect_identical(point_colour(b, log10(8)), pal[match("Low", lv)])
  }
  # An arm without plottable points keeps its place and the others their colours.
  d <- arm_order_trial(c("Placebo", "High", "Low"))
  d$adlb <- d$adlb[!(d$adlb$USUBJID == "S5" & d$adlb$PARAMCD == "BILI"), ]
  b <- ggplot2::ggplot_build(ggplot2::autoplot(hys_law(d$adlb, d$adsl)))
  expect_identical(legend_order(b), c("Placebo", "High", "Low"))
  expect_identical(point_colour(b, log10(4)), pal[2])
  expect_length(point_colour(b, log10(8)), 0)
})
