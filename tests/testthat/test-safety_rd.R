# safety_rd(): the risk difference of the safety tables. Reference: the
# Newcombe (1998, Stat Med 17:873, method 10) hybrid score interval written out
# here from Wilson (1927) score limits, and diff_ci() for the other methods.

wilson_by_hand <- function(x, n, z = qnorm(0.975)) {
  p <- x / n
  centre <- (p + z^2 / (2 * n)) / (1 + z^2 / n)
  half <- z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2)) / (1 + z^2 / n)
  c(centre - half, centre + half)
}

test_that("the default interval is Newcombe's hybrid score interval", {
  rd <- glycotrial:::safety_rd(c(9, 5), c(45, 20), c(2, 5), c(44, 25))
  for (i in 1:2) {
    x1 <- c(9, 5)[i]; n1 <- c(45, 20)[i]; x2 <- c(2, 5)[i]; n2 <- c(44, 25)[i]
    w1 <- wilson_by_hand(x1, n1); w2 <- wilson_by_hand(x2, n2)
    d <- x1 / n1 - x2 / n2
    expect_equal(rd$estimate[i], d, tolerance = 1e-12)
    expect_equal(rd$lower[i], d - sqrt((x1 / n1 - w1[1])^2 + (w2[2] - x2 / n2)^2),
                 tolerance = 1e-10)
    expect_equal(rd$upper[i], d + sqrt((w1[2] - x1 / n1)^2 + (x2 / n2 - w2[1])^2),
                 tolerance = 1e-10)
  }
})

test_that("an arm without subjects gives NA, other methods go through diff_ci()", {
  rd <- glycotrial:::safety_rd(c(3, 1), c(10, 0), c(1, 2), c(12, 8), method = "wald")
  expect_true(all(is.na(rd[2, ])))
  ref <- diff_ci(3, 10, 1, 12, method = "wald")
  expect_equal(unlist(rd[1, ]), unlist(ref[1, c("estimate", "lower", "upper")]),
               ignore_attr = TRUE)
  # Wald by hand: 3/10 - 1/12 +- 1.96 * sqrt(.3 * .7 / 10 + (1/12)(11/12) / 12).
  se <- sqrt(0.3 * 0.7 / 10 + (1 / 12) * (11 / 12) / 12)
  expect_equal(rd$lower[1], 0.3 - 1 / 12 - qnorm(0.975) * se, tolerance = 1e-10)
  expect_error(glycotrial:::safety_rd(1, 10, 1, 10, method = "nosuch"),
               class = "glycotrial_error_input")
})
