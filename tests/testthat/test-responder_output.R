# responder_table() and the other outputs carry the analysis numbers.

test_that("the publication table carries the analysis numbers", {
  res <- responder_analysis(derive_responders(adlb, adsl), treatment = "UC-MSC",
                            missing = "complete-case", ci = list(diff = "wald"))
  tab <- responder_table(res)
  expect_named(tab, c("statistic", "UC-MSC", "Placebo", "UC-MSC vs Placebo"))
  expect_equal(tab[["UC-MSC"]][tab$statistic == "N"], "45")
  expect_equal(tab[["Placebo"]][3], "2 (4.5)")
  expect_equal(tab[["UC-MSC vs Placebo"]][grepl("^Risk difference", tab$statistic)],
               "15.5 (2.2, 28.7)")
  skip_if_not_installed("flextable")
  ft <- flextable::as_flextable(res)
  expect_s3_class(ft, "flextable")
  skip_if_not_installed("knitr")
  expect_match(as.character(knitr::knit_print(res)), "Risk difference")
})
