# evaluate_index(): any registered index by key, with unit conversion, curves
# split by id, and classed warnings for impossible values and missing time
# points. References: the formulas written out by hand.

test_that("row indices convert units and recycle, as the formula by hand", {
  # HOMA1-IR = G[mmol/L] * I[uU/mL] / 22.5; 60 pmol/L = 10 uU/mL (6 pmol/L per uU/mL).
  v <- evaluate_index("homa1_ir", list(glucose = c(5.2, 6.1), insulin = c(60, 90)),
                      units = c(insulin = "pmol/L"))
  expect_equal(v, c(5.2 * 10, 6.1 * 15) / 22.5, tolerance = 1e-12)
  expect_equal(evaluate_index("homa1_ir", list(glucose = c(5, 6), insulin = 10)),
               c(5, 6) * 10 / 22.5, tolerance = 1e-12)
  expect_warning(v <- evaluate_index("homa1_ir", list(glucose = c(5, -1), insulin = 10)),
                 class = "glycotrial_warning_impossible_value")
  expect_identical(is.na(v), c(FALSE, TRUE))
})

test_that("curve indices give one value per curve, named by id", {
  # Trapezoids: (0-30) 30 * (5 + 8) / 2 = 195; (30-60) 30 * 17 / 2 = 255;
  # (60-120) 60 * 15 / 2 = 450; total 900 mmol/L x min.
  tm <- c(0, 30, 60, 120)
  g <- c(5, 8, 9, 6)
  expect_equal(evaluate_index("glucose_auc", list(time = tm, glucose = g)), 900)
  v <- evaluate_index("glucose_auc", list(time = c(tm, tm), glucose = c(g, 2 * g)),
                      id = rep(c("b", "a"), each = 4))
  expect_equal(v, c(b = 900, a = 1800))
  # a curve without the 30-minute point for the insulinogenic index
  expect_warning(evaluate_index("igi", list(time = c(0, 60), glucose = c(90, 160), insulin = c(10, 40))),
                 class = "glycotrial_warning_missing_timepoint")
  expect_error(evaluate_index("igi", list(time = c(0, 60), glucose = c(90, 160), insulin = c(10, 40)),
                              strict = TRUE), class = "glycotrial_error")
  expect_error(evaluate_index("no_such_index", list(glucose = 5)), class = "glycotrial_error")
})
