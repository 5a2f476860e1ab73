# Areas under the curve on the OGTT profile t5 / g5 / i5 of helper-indices.R,
# trapezoids written out by hand.

test_that("AUCs on arbitrary grids: total, Wolever incremental, net", {
  expect_equal(auc_total(t5, g5), 16980)
  expect_equal(auc_total(t5, i5), 6051, tolerance = 1e-12)
  expect_equal(auc_incremental(t5, g5), 5820)
  expect_equal(auc_incremental(t5, i5), 4515, tolerance = 1e-12)
  # A curve that dips below baseline: baseline 5; increments 0, +2, -2, +1 on 0/30/60/120.
  # Positive-only area (Wolever): 0-30 triangle 30, 30-60 crossing at 45 -> 0.5*2*15 = 15,
  # 60-120 crossing at 100 -> 0.5*1*20 = 10; total 55.
  tt <- c(0, 30, 60, 120)
  yy <- c(5, 7, 3, 6)
  expect_equal(auc_incremental(tt, yy), 55, tolerance = 1e-12)
  # Net = total - baseline * duration = (180 + 150 + 270) - 600 = 0.
  expect_equal(auc_incremental(tt, yy, method = "net"), 0, tolerance = 1e-12)
  expect_equal(auc_total(tt, yy), 600)
  # Missing values are skipped, hours converted to minutes.
  expect_equal(auc_total(c(0, 0.5, 1), c(1, NA, 3), time_unit = "h"), 120)
  # C-peptide / glucose AUC ratio (nmol/L*min over mmol/L*min).
  r <- cpeptide_glucose_auc_ratio(t5, g5 / 18.016, c(1, 2, 3, 3, 2) / 0.331 * 0.331,
                                  cpeptide_unit = "nmol/L")
  expect_equal(r, auc_total(t5, c(1, 2, 3, 3, 2)) / auc_total(t5, g5 / 18.016),
               tolerance = 1e-12)
})
