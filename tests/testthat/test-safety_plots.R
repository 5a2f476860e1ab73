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
