# OGTT indices against the worked example of the tabletools documentation
# (OGTT profile t5 / g5 / i5 of helper-indices.R) and the original papers.

test_that("Matsuda, insulinogenic and disposition indices match the worked example", {
  # tabletools documents 3.43125 for the trapezoid means (AUC / 120 min):
  # Gmean = 16980 / 120 = 141.5, Imean = 6051 / 120 = 50.425.
  m_trap <- matsuda(t5, g5, i5, glucose_unit = "mg/dL")
  expect_equal(m_trap, 10000 / sqrt(93 * 12.8 * 141.5 * 50.425), tolerance = 1e-12)
  expect_equal(m_trap, 3.43125, tolerance = 1e-5)
  # Arithmetic means 132.2 and 46.02 -> 3.7159.
  m_arit <- matsuda(t5, g5, i5, glucose_unit = "mg/dL", method = "arithmetic")
  expect_equal(m_arit, 10000 / sqrt(93 * 12.8 * 132.2 * 46.02), tolerance = 1e-12)
  expect_equal(round(m_arit, 3), 3.716)
  # The same profile in SI units gives the same index (glucose converted back and forth).
  expect_equal(matsuda(t5 / 60, g5 / 18.016, i5 * 6, glucose_unit = "mmol/L",
                       insulin_unit = "pmol/L", time_unit = "h"), m_trap, tolerance = 1e-12)
  # IGI = (30.7 - 12.8) / (129 - 93) = 0.497222.
  igi <- insulinogenic_index(t5, g5, i5, glucose_unit = "mg/dL")
  expect_equal(igi, 17.9 / 36, tolerance = 1e-12)
  expect_equal(round(igi, 3), 0.497)
  expect_equal(disposition_index(t5, g5, i5, glucose_unit = "mg/dL"), igi * m_trap,
               tolerance = 1e-12)
  cp <- c(1.2, 2.6, 4.1, 4.5, 3.3)
  igi_cp <- insulinogenic_index(t5, g5, cpeptide = cp, glucose_unit = "mg/dL")
  expect_equal(igi_cp, 1.4 / 36, tolerance = 1e-12)
  expect_equal(disposition_index(t5, g5, i5, cpeptide = cp, glucose_unit = "mg/dL"),
               igi_cp * m_trap, tolerance = 1e-12)
  # Several curves at once, named by id, reduced grid 0/60/120 for curve "b".
  two <- matsuda(c(t5, 0, 60, 120), c(g5, 90, 150, 110), c(i5, 10, 50, 30),
                 id = c(rep("a", 5), rep("b", 3)), glucose_unit = "mg/dL")
  expect_named(two, c("a", "b"))
  expect_equal(two[["b"]], 10000 / sqrt(90 * 10 * (90 + 2 * 150 + 110) / 4 *
                                          (10 + 2 * 50 + 30) / 4), tolerance = 1e-12)
})

test_that("Stumvoll indices reproduce the equations of Stumvoll 2000", {
  # I in pmol/L (x 6), G in mmol/L (/ 18): I0 76.8, I30 184.2, I120 264; G30 7.1667, G120 5.3889.
  s1 <- 1283 + 1.829 * 184.2 - 138.7 * 129 / 18 + 3.772 * 76.8   # 915.5747
  s2 <- 287 + 0.4164 * 184.2 - 26.07 * 129 / 18 + 0.9226 * 76.8  # 247.7216
  isi <- 0.156 - 0.0000459 * 264 - 0.000321 * 76.8 - 0.00541 * 97 / 18  # 0.0900757
  f <- function(index) stumvoll(t5, g5, i5, index = index, glucose_unit = "mg/dL",
                                glucose_factor = 18)
  expect_equal(f("first_phase"), s1, tolerance = 1e-12)
  expect_equal(f("second_phase"), s2, tolerance = 1e-12)
  expect_equal(f("isi"), isi, tolerance = 1e-12)
  expect_equal(round(f("first_phase"), 2), 915.57)
})

test_that("Gutt ISI follows the published definition", {
  # m = [75000 + (G0 - G120)[mg/L] * 0.19 * 80] / 120, MPG mmol/L, log10 of mean insulin.
  g <- c(5.0, 7.0)
  m <- (75000 + (5 - 7) * 180.16 * 0.19 * 80) / 120
  expect_equal(gutt_isi(c(0, 120), g, c(8, 52), weight = 80), m / (6 * log10(30)),
               tolerance = 1e-12)
  expect_equal(gutt_isi(c(0, 120), g, c(8, 52), weight = 176.37, weight_unit = "lb"),
               gutt_isi(c(0, 120), g, c(8, 52), weight = 176.37 * 0.45359237), tolerance = 1e-12)
})

test_that("OGIS matches the tabletools worked examples (Mari 2001 calculator constants)", {
  # tabletools calculate_isi_ogis() documentation: 344.5 (mg/dL, uU/mL) and 345 (SI, hours).
  o <- ogis(c(0, 90, 120), c(90, 135, 115), c(15, 150, 0), height = 170, weight = 70,
            glucose_unit = "mg/dL")
  expect_equal(o, 344.5, tolerance = 0.05 / 344.5)
  o_si <- ogis(c(0, 1.5, 2), c(5.0, 7.5, 6.39), c(90, 900, 0), height = 1.70, height_unit = "m",
               weight = 70, insulin_unit = "pmol/L", time_unit = "h")
  expect_equal(round(o_si), 344)  # documented as "345" after rounding of G in mmol/L
  expect_equal(o_si, 345, tolerance = 1 / 345)
  o180 <- ogis(c(0, 120, 180), c(90, 135, 115), c(15, 150, 0), height = 170, weight = 70,
               glucose_unit = "mg/dL", version = "180")
  expect_true(is.finite(o180) && o180 > 0)
})

test_that("indices agree with CRAN InsuSensCalc where the definitions coincide", {
  skip_if_not_installed("InsuSensCalc")
  skip_if_not_installed("dplyr")
  d <- as.data.frame(InsuSensCalc::example_data)
  ref <- suppressWarnings(suppressMessages(InsuSensCalc::isi_calculator(d, category = "ogtt")))
  ref_f <- suppressWarnings(suppressMessages(InsuSensCalc::isi_calculator(d, category = "fasting")))
  # InsuSensCalc: G in mmol/L, I in pmol/L, uU/mL = pmol/L / 6, mg/dL = mmol/L * 18.
  expect_equal(homa1_ir(d$G0, d$I0, insulin_unit = "pmol/L"), -ref_f$Homa_IR_inv,
               tolerance = 1e-10)
  n <- nrow(d)
  id <- rep(seq_len(n), each = 3)
  tt <- rep(c(0, 30, 120), n)
  gg <- as.vector(rbind(d$G0, d$G30, d$G120))
  ii <- as.vector(rbind(d$I0, d$I30, d$I120))
  m_trap <- matsuda(tt, gg, ii, id = id, insulin_unit = "pmol/L", glucose_factor = 18)
  m_arit <- matsuda(tt, gg, ii, id = id, insulin_unit = "pmol/L", glucose_factor = 18,
                    method = "arithmetic")
  expect_equal(unname(m_trap), ref$Matsuda_Auc, tolerance = 1e-10)
  expect_equal(unname(m_arit), ref$Matsuda_ISI, tolerance = 1e-10)
  # Stumvoll ISI ("Modified_stumvoll": 0.156 - 4.59e-5 I120 - 0.000321 I0 - 0.00541 G120).
  s <- stumvoll(tt, gg, ii, id = id, index = "isi", insulin_unit = "pmol/L")
  expect_equal(unname(s), ref$Modified_stumvoll, tolerance = 1e-10)
  # QUICKI differs on purpose: InsuSensCalc uses natural logarithms, Katz 2000 log10.
  q <- quicki(d$G0, d$I0, insulin_unit = "pmol/L", glucose_factor = 18)
  expect_equal(q, ref_f$Quicki * log(10), tolerance = 1e-10)
})
