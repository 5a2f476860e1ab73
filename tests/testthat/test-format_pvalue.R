# format_pvalue(): fixed decimals, "<0.001" below the smallest printable
# value, "-" for NA, "*" below alpha; values written out by hand.

test_that("p-values print with fixed decimals, a floor and a star", {
  expect_identical(format_pvalue(c(0.2, 0.0123, 1e-6, NA)),
                   c("0.200", "0.012", "<0.001", "-"))
  expect_identical(format_pvalue(c(0.2, 0.0123, 1e-6, NA), alpha = 0.05),
                   c("0.200", "0.012*", "<0.001*", "-"))
  expect_identical(format_pvalue(0.00049, digits = 4), "0.0005")
  expect_identical(format_pvalue(0.00001, digits = 4), "<0.0001")
  expect_error(format_pvalue("0.1"), class = "glycotrial_error_input")
  expect_error(format_pvalue(0.1, alpha = 1), class = "glycotrial_error_input")
})
