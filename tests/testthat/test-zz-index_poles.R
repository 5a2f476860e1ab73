# Poles and near-poles of the index formulas: a zero
# denominator, log of 1 or a denominator that is zero up to rounding gives NA
# with glycotrial_warning_undefined_index, never an astronomically large number.

undefined <- function(expr) {
  expect_warning(out <- expr, class = "glycotrial_warning_undefined_index")
  out
}

test_that("homa1_b: the 3.5 mmol/L pole reached through a unit conversion is undefined", {
  # 63.056 mg/dL / 18.016 = 3.5 + 4e-16 mmol/L: 20 * 10 / 4e-16 = 4.5e17 before the fix.
  expect_true(is.na(undefined(homa1_b(63.056, 10, glucose_unit = "mg/dL"))))
  expect_true(is.na(undefined(homa1_b(63, 10, glucose_unit = "mg/dL", glucose_factor = 18))))
  # 63.06 mg/dL (3.5 mmol/L rounded to 4 digits) is within rounding of the pole too.
  expect_true(is.na(undefined(homa1_b(63.06, 10, glucose_unit = "mg/dL"))))
  # Away from the pole the formula is unchanged: 20 * 10 / (3.6 - 3.5) = 2000.
  expect_equal(homa1_b(3.6, 10), 2000)
  out <- undefined(homa1_b(c(5, 3.5 + 1e-12, 7), c(10, 10, 10)))
  expect_equal(out, c(20 * 10 / 1.5, NA, 20 * 10 / 3.5))
})

test_that("homa_b_cp: same pole", {
  expect_true(is.na(undefined(homa_b_cp(63.056, 500, glucose_unit = "mg/dL",
                                        cpeptide_unit = "pmol/L"))))
  expect_equal(homa_b_cp(5, 500, cpeptide_unit = "pmol/L"), 0.27 * 500 / 1.5)
})

test_that("quicki: log10 G + log10 I at or near 0 is undefined", {
  # G * I = 1 (mg/dL x uU/mL): 1 / log10(1) = 1 / 0.
  expect_true(is.na(undefined(quicki(100, 0.01, glucose_unit = "mg/dL"))))
  expect_true(is.na(undefined(quicki(100, 0.01 * (1 + 1e-9), glucose_unit = "mg/dL"))))
  expect_equal(quicki(93, 12.8, glucose_unit = "mg/dL"), 1 / (log10(93) + log10(12.8)))
})

ogtt <- function(g, i, cp = NULL) {
  x <- list(time = c(0, 30, 60, 120), glucose = g, insulin = i)
  if (!is.null(cp)) x$cpeptide <- cp
  x
}

test_that("insulinogenic and disposition indices: glucose not rising, or rising by rounding only", {
  flat <- ogtt(c(100, 100, 140, 120), c(10, 50, 60, 40), c(1, 3, 4, 3))
  expect_true(is.na(undefined(evaluate_index("igi", flat))))
  expect_true(is.na(undefined(evaluate_index("igi_cp", flat))))
  expect_true(is.na(undefined(evaluate_index("di_oral", flat))))
  expect_true(is.na(undefined(evaluate_index("di_oral_cp", flat))))
  # 5.55 mmol/L at 0 and 30 min converted with a factor that leaves a 1e-14 rise.
  tiny <- ogtt(c(100, 100 * (1 + 1e-13), 140, 120), c(10, 50, 60, 40))
  expect_true(is.na(undefined(evaluate_index("igi", tiny))))
  ok <- ogtt(c(100, 150, 140, 120), c(10, 50, 60, 40))
  expect_equal(unname(evaluate_index("igi", ok)), (50 - 10) / (150 - 100))
})

test_that("matsuda: zero fasting insulin is undefined, not Inf", {
  expect_true(is.na(undefined(evaluate_index("matsuda", ogtt(c(100, 150, 140, 120),
                                                               c(0, 50, 60, 40))))))
})

test_that("gutt: mean insulin of 1 uU/mL (log10 = 0) is undefined", {
  x <- list(time = c(0, 120), glucose = c(5, 7), insulin = c(1, 1), weight = c(70, 70))
  expect_true(is.na(undefined(evaluate_index("gutt", x))))
  x$insulin <- c(1, 1 + 1e-9)
  expect_true(is.na(undefined(evaluate_index("gutt", x))))
})

test_that("cpeptide_glucose_auc_ratio: zero glucose AUC is undefined, not an overflow", {
  x <- list(time = c(0, 30, 60), glucose = c(0, 0, 0), cpeptide = c(1, 2, 3))
  # (glucose 0 is also physiologically implausible: that warning is not the point here)
  out <- suppressWarnings(undefined(evaluate_index("cpeptide_glucose_auc_ratio", x)),
                          classes = "glycotrial_warning_implausible_value")
  expect_true(is.na(out))
})
