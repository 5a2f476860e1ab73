# Worked examples for the single-index functions. Unless stated otherwise the
# OGTT profile is the one of the issue and of the tabletools documentation
# (JMLuther/tabletools, calculate_matsuda_index() example):
#   t = 0, 30, 60, 90, 120 min
#   glucose = 93, 129, 178, 164, 97 mg/dL; insulin = 12.8, 30.7, 68.5, 74.1, 44.0 uU/mL
t5 <- c(0, 30, 60, 90, 120)
g5 <- c(93, 129, 178, 164, 97)
i5 <- c(12.8, 30.7, 68.5, 74.1, 44.0)

test_that("HOMA1 and QUICKI reproduce the hand calculations", {
  # The classical mg/dL form HOMA1-IR = G[mg/dL] * I / 405 uses 18 mg/dL per mmol/L:
  # 93 * 12.8 / 405 = 2.939259.
  expect_equal(homa1_ir(93, 12.8, glucose_unit = "mg/dL", glucose_factor = 18),
               93 * 12.8 / 405, tolerance = 1e-12)
  expect_equal(round(homa1_ir(93, 12.8, glucose_unit = "mg/dL", glucose_factor = 18), 3), 2.939)
  # With the molar-mass factor 18.016 (default): 93 / 18.016 * 12.8 / 22.5 = 2.936649.
  expect_equal(homa1_ir(93, 12.8, glucose_unit = "mg/dL"), 93 / 18.016 * 12.8 / 22.5,
               tolerance = 1e-12)
  # HOMA1-%B = 360 * I / (G[mg/dL] - 63) = 360 * 12.8 / 30 = 153.6.
  expect_equal(homa1_b(93, 12.8, glucose_unit = "mg/dL", glucose_factor = 18), 153.6,
               tolerance = 1e-12)
  # QUICKI = 1 / (log10 12.8 + log10 93) = 0.3251297 (no glucose conversion involved).
  expect_equal(quicki(93, 12.8, glucose_unit = "mg/dL"), 1 / (log10(12.8) + log10(93)),
               tolerance = 1e-12)
  expect_equal(round(quicki(93, 12.8, glucose_unit = "mg/dL"), 4), 0.3251)
  # Insulin in pmol/L with the 6.00 default and the legacy 6.945 override.
  expect_equal(homa1_ir(5.2, 60, insulin_unit = "pmol/L"), 5.2 * 10 / 22.5, tolerance = 1e-12)
  expect_equal(homa1_ir(5.2, 69.45, insulin_unit = "pmol/L", insulin_factor = 6.945),
               5.2 * 10 / 22.5, tolerance = 1e-12)
  expect_equal(homa1_ir(5.2, 10, insulin_unit = "mU/L"), 5.2 * 10 / 22.5, tolerance = 1e-12)
  expect_equal(glucose_insulin_ratio(93, 12.8, glucose_unit = "mg/dL"), 93 / 12.8)
})

test_that("C-peptide indices follow Li 2004, Funakoshi 2011 and Ohkura 2013", {
  # FPG 7.2 mmol/L, FCP 2.1 ng/mL = 2.1 * 331 = 695.1 pmol/L.
  expect_equal(homa_ir_cp(7.2, 2.1), 1.5 + 7.2 * 695.1 / 2800, tolerance = 1e-12)
  expect_equal(homa_b_cp(7.2, 695.1, cpeptide_unit = "pmol/L"), 0.27 * 695.1 / 3.7,
               tolerance = 1e-12)
  expect_equal(homa_b_cp(7.2, 0.6951, cpeptide_unit = "nmol/L", population = "normal"),
               0.27 * 695.1 / 3.7 + 50, tolerance = 1e-12)
  # CPI = 1.5 / 130 * 100 = 1.1538; Ohkura = 20 / (1.5 * 130) = 0.10256.
  expect_equal(cpi(130, 1.5, glucose_unit = "mg/dL"), 1.5 / 130 * 100, tolerance = 1e-12)
  expect_equal(ohkura_index(130, 1.5, glucose_unit = "mg/dL"), 20 / 195, tolerance = 1e-12)
  # C-peptide factor override (0.33 as in tabletools).
  expect_equal(homa_ir_cp(7.2, 2.1, cpeptide_factor = 0.33), 1.5 + 7.2 * 693 / 2800,
               tolerance = 1e-12)
})

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

test_that("HbA1c, eAG and CKD-EPI 2021 reproduce published values", {
  # IFCC-NGSP master equation; 7.0 % = 53 mmol/mol and 6.5 % = 48 mmol/mol (IFCC tables).
  expect_equal(round(hba1c_convert(c(7.0, 6.5))), c(53, 48))
  expect_equal(hba1c_convert(7.0), (7.0 - 2.15) / 0.0915, tolerance = 1e-12)
  expect_equal(hba1c_convert(48, from = "mmol/mol"), 0.0915 * 48 + 2.15, tolerance = 1e-12)
  expect_equal(hba1c_convert(hba1c_convert(8.1), from = "mmol/mol", to = "%"), 8.1,
               tolerance = 1e-12)
  # ADAG: HbA1c 7 % -> 154 mg/dL (8.6 mmol/L); 6 % -> 126 mg/dL (7.0 mmol/L; the table
  # rounds 28.7 * 6 - 46.7 = 125.5 up).
  expect_equal(eag(c(7, 6), unit = "mg/dL"), c(154.2, 125.5), tolerance = 1e-12)
  expect_equal(round(eag(c(7, 6)), 1), c(8.6, 7.0))
  # CKD-EPI 2021: creatinine 1.09 mg/dL, 55-year-old man -> 80 mL/min/1.73 m2.
  expect_equal(round(egfr_ckd_epi_2021(1.09, 55, "M")), 80)
  expect_equal(egfr_ckd_epi_2021(1.09, 55, "M"), 142 * (1.09 / 0.9)^-1.2 * 0.9938^55,
               tolerance = 1e-12)
  # Woman, creatinine 0.6 mg/dL (below kappa 0.7), 40 years.
  expect_equal(egfr_ckd_epi_2021(0.6, 40, "F"), 142 * (0.6 / 0.7)^-0.241 * 0.9938^40 * 1.012,
               tolerance = 1e-12)
  expect_equal(egfr_ckd_epi_2021(96.4, 55, 0, creatinine_unit = "umol/L"),
               egfr_ckd_epi_2021(96.4 / 88.42, 55, "Male"), tolerance = 1e-12)
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

test_that("every built-in index is a compiled plugin listed with units and references", {
  lst <- glycotrial_plugins("index")
  keys <- c("homa1_ir", "homa1_b", "quicki", "homa_ir_cp", "homa_b_cp", "cpi", "ohkura",
            "glucose_insulin_ratio", "matsuda", "matsuda_arithmetic", "igi", "igi_cp",
            "di_oral", "di_oral_cp", "stumvoll_first_phase", "stumvoll_second_phase",
            "stumvoll_isi", "gutt", "ogis", "ogis_180", "auc_total", "auc_incremental",
            "auc_net", "glucose_auc", "cpeptide_glucose_auc_ratio", "hba1c_ifcc", "eag",
            "egfr_ckd_epi_2021")
  expect_true(all(keys %in% lst$key))
  b <- lst[lst$key %in% keys, ]
  expect_true(all(b$implementation == "C++"))
  expect_true(all(b$package == "glycotrial"))
  expect_true(all(nzchar(b$reference)))
  expect_match(b$units[b$key == "homa1_ir"], "glucose [mmol/L; also mg/dL]", fixed = TRUE)
  expect_match(b$units[b$key == "homa1_ir"], "insulin [uU/mL; also pmol/L] -> 1", fixed = TRUE)
  info <- index_info("matsuda")
  expect_equal(info$shape, "curve")
  expect_equal(info$times, 0)
  expect_equal(unname(info$inputs), c("mg/dL", "uU/mL"))
  expect_match(info$formula, "10000 / sqrt")
  expect_equal(index_info("igi")$output_unit, "uU/mL per mg/dL")
})

test_that("convert_units() converts and refuses unknown units", {
  expect_equal(convert_units(5.5, "glucose", "mmol/L", "mg/dL"), 5.5 * 18.016)
  expect_equal(convert_units(60, "insulin", "pmol/L", "\u00b5IU/mL"), 10)
  expect_equal(convert_units(1, "cpeptide", "ng/mL", "pmol/L"), 331)
  expect_equal(convert_units(53, "hba1c", "mmol/mol", "%"), 0.0915 * 53 + 2.15)
  expect_error(convert_units(5, "glucose", "mmol/dL", "mg/dL"), class = "glycotrial_error_unit")
  expect_error(convert_units(5, "glucose", "mmol/L", "mg/dL", glucose_factor = -1),
               class = "glycotrial_error_input")
})
