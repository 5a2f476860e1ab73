test_that("baseline_table() matches a hand calculation", {
  d <- data.frame(USUBJID = sprintf("S%02d", 1:7), ARM = c("A", "A", "A", "B", "B", "B", "B"),
                  AGE = c(30, 40, 50, 20, 25, 35, 60), SEX = c("F", "M", "M", "F", "F", "M", "F"),
                  stringsAsFactors = FALSE)
  tab <- baseline_table(d, vars = c("AGE", "SEX"))
  expect_s3_class(tab, "glycotrial_baseline_table")
  expect_equal(names(tab), c("Characteristic", "Statistic", "A (N=3)", "B (N=4)", "Total (N=7)"))
  # Arm A ages 30, 40, 50: mean 40, SD 10; median 40, Q1 35, Q3 45 (type 7).
  expect_equal(tab[1, "A (N=3)"], "40.0 \u00b1 10.0")
  expect_equal(tab[2, "A (N=3)"], "40.0 [35.0, 45.0]")
  # Arm B ages 20, 25, 35, 60: mean 35, SD sqrt(((15^2)+(10^2)+0+(25^2))/3) = 17.8;
  # quantiles type 7: median 30, Q1 23.75, Q3 41.25.
  expect_equal(tab[1, "B (N=4)"], sprintf("35.0 \u00b1 %.1f", sqrt((225 + 100 + 625) / 3)))
  expect_equal(tab[2, "B (N=4)"], "30.0 [23.8, 41.2]")
  # Sex: A has 1 F of 3 (33.3 %), B has 3 F of 4 (75.0 %).
  expect_equal(tab$Statistic[3:4], c("F, n (%)", "M, n (%)"))
  expect_equal(tab[3, "A (N=3)"], "1 (33.3)")
  expect_equal(tab[3, "B (N=4)"], "3 (75.0)")
  expect_equal(tab[4, "Total (N=7)"], "3 (42.9)")
  expect_equal(attr(tab, "n"), c(A = 3L, B = 4L, Total = 7L))
  expect_output(print(tab), "Mean")
})

test_that("baseline_table() handles missing values, populations and bad input", {
  d <- data.frame(USUBJID = 1:4, ARM = c("A", "A", "B", "B"), BMI = c(25, NA, 30, 32),
                  ITTFL = c("Y", "Y", "Y", "N"))
  tab <- baseline_table(d, vars = "BMI")
  expect_equal(tab$Statistic, c("Mean \u00b1 SD", "Median [Q1, Q3]", "Missing, n"))
  expect_equal(tab[3, "A (N=2)"], "1")
  tab2 <- baseline_table(d, vars = "BMI", population = "ITTFL", total = FALSE)
  expect_equal(names(tab2)[3:4], c("A (N=2)", "B (N=1)"))
  expect_equal(tab2[1, "B (N=1)"], "30.0 \u00b1 NA")
  expect_warning(baseline_table(d, vars = c("BMI", "NOPE")),
                 class = "glycotrial_warning_missing_column")
  expect_error(baseline_table(d, arm = "TRT"), class = "glycotrial_error_input")
  expect_error(baseline_table(rbind(d, d)), class = "glycotrial_error_input")
  expect_error(baseline_table(d, vars = character()), class = "glycotrial_error_input")
  expect_error(baseline_table(list(a = 1)), class = "glycotrial_error_input")
})

test_that("baseline_table() on the shipped data orders arms by TRT01PN", {
  tab <- baseline_table(adsl)
  expect_equal(names(tab)[3:5], c("UC-MSC (N=45)", "Placebo (N=46)", "Total (N=91)"))
  age <- adsl$AGE[adsl$ARM == "UC-MSC"]
  expect_equal(tab[1, 3], sprintf("%.1f \u00b1 %.1f", mean(age), sd(age)))
})

test_that("disposition_table() counts the CONSORT flow", {
  tab <- disposition_table(adsl, adlb, screened = 103)
  cnt <- attr(tab, "counts")
  expect_equal(unname(cnt["Randomized", ]), c(45L, 46L, 91L))
  expect_equal(unname(cnt["Discontinued", ]), c(0L, 2L, 2L))
  expect_equal(unname(cnt[nrow(cnt), ]), c(45L, 44L, 89L))
  expect_equal(tab$Category[1], "Screened/enrolled")
  expect_equal(tab$Total[1], "103")
  expect_equal(tab[tab$Category == "Discontinued", "Placebo"], "2 (4.3)")
  # Reasons are indented sub-rows, capitalised as sentences.
  why <- tab$Category[startsWith(tab$Category, "  ")]
  expect_true(length(why) > 0)
  reasons <- unique(adsl$DCSREAS[adsl$EOSSTT == "DISCONTINUED"])
  expect_setequal(trimws(why), paste0(substr(reasons, 1, 1), tolower(substring(reasons, 2))))
  expect_error(disposition_table(adsl, arm = "NOPE"), class = "glycotrial_error_input")
  expect_error(disposition_table(adsl, adlb[, c("USUBJID", "AVAL")]),
               class = "glycotrial_error_input")
})

test_that("report_table() renders HTML with formatted numbers", {
  skip_if_not_installed("knitr")
  x <- report_table(data.frame(a = c(1.23456, NA), b = c("x", "y")), caption = "Cap", digits = 2)
  expect_s3_class(x, "knit_asis")
  expect_match(x, "<table")
  expect_match(x, "1.23")
  expect_match(x, "Cap")
  md <- report_table(data.frame(a = 1L), format = "markdown")
  expect_match(md, "\\|")
  # knit_print is registered for glycotrial tables.
  out <- knitr::knit_print(baseline_table(adsl, vars = "AGE"))
  expect_match(out, "Mean")
})
