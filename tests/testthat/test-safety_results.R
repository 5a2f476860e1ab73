# The result object shared by the safety summaries: ARD in long form, "n (%)"
# and "est (lo, hi)" cells formatted as written out here, and the methods.

test_that("cells are formatted as n (pct) and est (lo, hi)", {
  fmt <- glycotrial:::fmt_n_pct
  # 3 / 7 = 42.857...% -> "42.9"; N = 0 gives the count alone.
  expect_identical(fmt(c(3, 0, 2), c(7, 5, 0)), c("3 (42.9)", "0 (0.0)", "2"))
  expect_identical(fmt(1, 3, digits = 2), "1 (33.33)")
  expect_identical(glycotrial:::fmt_est_ci(c(1.234, NA), c(0.5, 1), c(2.05, 2)),
                   c("1.2 (0.5, 2.0)", ""))
})

test_that("the long ARD keeps group columns and one row per statistic", {
  df <- data.frame(arm = c("A", "B"), n = c(2, 3), pct = c(50, 75))
  a <- glycotrial:::ard_long(df, "arm", c("n", "pct"), labels = c("n", "%"))
  expect_identical(a$arm, c("A", "A", "B", "B"))
  expect_identical(a$stat_name, c("n", "pct", "n", "pct"))
  expect_identical(a$stat, c(2, 50, 3, 75))
  expect_identical(nrow(glycotrial:::ard_long(df[0, ], "arm", "n")), 0L)
})

test_that("a safety result converts, tidies and prints its table", {
  d <- safety_toy()
  res <- ae_by_term(d$adae, d$adsl)
  expect_s3_class(res, "glycotrial_safety")
  expect_identical(as.data.frame(res), res$ard)
  expect_identical(tidy(res), res$ard)
  expect_identical(dim(format(res)), dim(res$table))
  expect_true(all(vapply(format(res), is.character, TRUE)))
  expect_output(print(res), res$title, fixed = TRUE)
})
