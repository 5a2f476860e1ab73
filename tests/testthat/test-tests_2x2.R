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

test_that("Fisher's exact test matches stats::fisher.test over a grid incl. zero cells", {
  g <- expand.grid(x1 = c(0, 3, 9, 12), n1 = 12, x2 = c(0, 2, 7, 10), n2 = 10)
  for (alt in c("two.sided", "greater", "less")) {
    r <- with(g, fisher_exact_test(x1, n1, x2, n2, alternative = alt))
    for (i in seq_len(nrow(g))) {
      m <- matrix(c(g$x1[i], g$x2[i], g$n1[i] - g$x1[i], g$n2[i] - g$x2[i]), 2)
      ref <- fisher.test(m, alternative = alt)
      expect_equal(r$p_value[i], ref$p.value, tolerance = 1e-10)
      expect_equal(r$estimate[i], unname(ref$estimate), tolerance = 1e-4)
      # fisher.test finds the limits with uniroot (default tolerance ~1e-4).
      expect_equal(c(r$lower[i], r$upper[i]), as.numeric(ref$conf.int), tolerance = 1e-3)
    }
  }
  p <- fisher_exact_test(9, 45, 2, 44)
  expect_close(p$p_value, 0.04956, 5e-6)
})

test_that("Pearson chi-square matches stats::chisq.test (with and without Yates)", {
  tabs <- list(matrix(c(9, 2, 36, 42), 2), matrix(c(12, 5, 9, 7, 3, 11), 2),
               matrix(c(3, 3, 10, 10), 2))
  for (m in tabs) for (cc in c(FALSE, TRUE)) {
    r <- pearson_chisq_test(m, correct = cc)
    ref <- suppressWarnings(chisq.test(m, correct = cc))
    expect_equal(r$statistic, unname(ref$statistic), tolerance = 1e-12)
    expect_equal(r$p_value, ref$p.value, tolerance = 1e-10)
    expect_equal(r$min_expected, min(ref$expected), tolerance = 1e-12)
  }
  expect_error(pearson_chisq_test(matrix(c(0, 0, 3, 4), 2)), class = "glycotrial_error_input")
  expect_error(pearson_chisq_test(1:4), class = "glycotrial_error_input")
})
