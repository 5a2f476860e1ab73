# Tests for 2x2 tables. Farrington-Manning: cicalc / WUSS 2016 values for
# 56/70 vs 48/80 (3-4 decimals -> 1e-3), and the identity with Pearson's
# chi-square at margin 0 (1e-10).

test_that("Farrington-Manning test reproduces published values", {
  r <- farrington_manning_test(56, 70, 48, 80, margin = c(0, 0.1), alternative = "greater")
  expect_close(r$statistic, c(2.65, 1.348), 5e-4)
  expect_close(r$p_value, c(0.004, 0.0889), 5e-4)
})

test_that("at margin 0 the squared statistic is Pearson's chi-square", {
  x1 <- c(9, 3, 20); n1 <- c(45, 30, 40); x2 <- c(2, 7, 20); n2 <- c(44, 30, 41)
  r <- farrington_manning_test(x1, n1, x2, n2)
  for (i in seq_along(x1)) {
    ref <- suppressWarnings(prop.test(c(x1[i], x2[i]), c(n1[i], n2[i]), correct = FALSE))
    expect_equal(r$statistic[i]^2, unname(ref$statistic), tolerance = 1e-10)
    expect_equal(r$p_value[i], ref$p.value, tolerance = 1e-10)
  }
  less <- farrington_manning_test(9, 45, 2, 44, alternative = "less")
  expect_equal(less$p_value, pnorm(r$statistic[1]), tolerance = 1e-12)
})

test_that("bad input raises classed errors", {
  expect_error(farrington_manning_test(1, 10, 1, 10, margin = 1), class = "glycotrial_error_input")
  expect_error(farrington_manning_test(1, 10, 1, 10, alternative = "up"),
               class = "glycotrial_error_input")
})
