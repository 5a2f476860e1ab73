# CTCAE v5.0 grades at every threshold: just below, at and just above each
# boundary, worked out by hand from the criterion text (">" thresholds leave
# the boundary value in the lower grade; ">=" and "<=" include it).
grade1 <- function(paramcd, aval, uln = NA, lln = NA, base = NA, unit = NA, dir = "H") {
  lb <- data.frame(USUBJID = "S1", PARAMCD = paramcd, AVAL = aval, AVALU = unit,
                   ANRLO = lln, ANRHI = uln, BASE = base, stringsAsFactors = FALSE)
  g <- suppressWarnings(grade_lab(lb))
  if (dir == "H") g$ATOXGRH else g$ATOXGRL
}

test_that("ALT/AST with normal baseline: > ULN, > 3, > 5, > 20 x ULN", {
  v <- c(40, 40.01, 120, 120.01, 200, 200.01, 800, 800.01)
  expect_equal(grade1("ALT", v, uln = 40, base = 30), c(0, 1, 1, 2, 2, 3, 3, 4))
  expect_equal(grade1("AST", v, uln = 40, base = 30), c(0, 1, 1, 2, 2, 3, 3, 4))
  # No baseline: the normal-baseline criteria apply.
  expect_equal(grade1("ALT", v, uln = 40), c(0, 1, 1, 2, 2, 3, 3, 4))
})

test_that("ALT/AST with abnormal baseline: >= 1.5, > 3, > 5, > 20 x baseline", {
  # Baseline 60 > ULN 40.
  v <- c(89.99, 90, 180, 180.01, 300, 300.01, 1200, 1200.01)
  expect_equal(grade1("ALT", v, uln = 40, base = 60), c(0, 1, 1, 2, 2, 3, 3, 4))
  expect_equal(grade1("AST", v, uln = 40, base = 60), c(0, 1, 1, 2, 2, 3, 3, 4))
})

test_that("ALP: normal baseline x ULN 2.5/5/20; abnormal baseline >= 2 x baseline", {
  v <- c(100, 100.01, 250, 250.01, 500, 500.01, 2000, 2000.01)
  expect_equal(grade1("ALP", v, uln = 100, base = 80), c(0, 1, 1, 2, 2, 3, 3, 4))
  w <- c(239.99, 240, 300, 300.01, 600, 600.01, 2400, 2400.01)  # baseline 120 > ULN
  expect_equal(grade1("ALP", w, uln = 100, base = 120), c(0, 1, 1, 2, 2, 3, 3, 4))
})

test_that("bilirubin: > 1, 1.5, 3, 10 x ULN or x abnormal baseline", {
  v <- c(20, 20.01, 30, 30.01, 60, 60.01, 200, 200.01)
  expect_equal(grade1("BILI", v, uln = 20, base = 10), c(0, 1, 1, 2, 2, 3, 3, 4))
  w <- c(25, 25.01, 37.5, 37.51, 75, 75.01, 250, 250.01)  # baseline 25 > ULN 20
  expect_equal(grade1("BILI", w, uln = 20, base = 25), c(0, 1, 1, 2, 2, 3, 3, 4))
})

test_that("creatinine: x ULN (1, 1.5, 3, 6) or x baseline (1.5, 3)", {
  v <- c(100, 100.01, 150, 150.01, 300, 300.01, 600, 600.01)
  expect_equal(grade1("CREAT", v, uln = 100), c(0, 1, 1, 2, 2, 3, 3, 4))
  # Baseline 50: > 1.5 x baseline is grade 2 even below ULN, > 3 x baseline grade 3.
  expect_equal(grade1("CREAT", c(75, 75.01, 150, 150.01), uln = 100, base = 50), c(0, 2, 2, 3))
  # Without ULN the baseline criteria still grade; grade 1 needs ULN.
  expect_equal(grade1("CREAT", c(70, 80, 160), base = 50), c(NA, 2, 3))
})

test_that("eGFR (CKD): < LLN, < 60, < 30, < 15", {
  v <- c(90, 89.99, 60, 59.99, 30, 29.99, 15, 14.99)
  expect_equal(grade1("EGFR", v, lln = 90, unit = "mL/min/1.73m2", dir = "L"),
               c(0, 1, 1, 2, 2, 3, 3, 4))
  # CTCAE v5.0 G2 "59 - 30" read as < 60: 59.5 is grade 2.
  expect_equal(grade1("EGFR", 59.5, lln = 90, unit = "mL/min/1.73m2", dir = "L"), 2)
  # Grade 1 (< LLN) needs the LLN: without it values of 60 or more are not
  # graded (NA, with a missing_range warning); the absolute criteria still apply.
  expect_equal(grade1("EGFR", c(75, 60, 59.99, 29.99), unit = "mL/min/1.73m2", dir = "L"),
               c(NA, NA, 2, 3))
  lb <- data.frame(USUBJID = "S1", PARAMCD = "EGFR", AVAL = 75, AVALU = "mL/min/1.73m2",
                   ANRLO = NA_real_, ANRHI = NA_real_)
  expect_warning(grade_lab(lb), class = "glycotrial_warning_missing_range")
})

test_that("hypoglycaemia: < LLN, < 3.0, < 2.2, < 1.7 mmol/L; mg/dL converted", {
  v <- c(3.9, 3.89, 3.0, 2.99, 2.2, 2.19, 1.7, 1.69)
  expect_equal(grade1("GLUC", v, lln = 3.9, unit = "mmol/L", dir = "L"), c(0, 1, 1, 2, 2, 3, 3, 4))
  # 54 mg/dL = 2.997 mmol/L (grade 2); 55 mg/dL = 3.053 mmol/L (grade 1); LLN 70 mg/dL.
  expect_equal(grade1("GLUC", c(70, 55, 54), lln = 70, unit = "mg/dL", dir = "L"), c(0, 1, 2))
})

test_that("neutrophils, platelets and haemoglobin", {
  v <- c(2, 1.99, 1.5, 1.49, 1.0, 0.99, 0.5, 0.49)
  expect_equal(grade1("NEUT", v, lln = 2, unit = "10^9/L", dir = "L"), c(0, 1, 1, 2, 2, 3, 3, 4))
  expect_equal(grade1("NEUT", c(1490, 1500), lln = 2000, unit = "/mm3", dir = "L"), c(2, 1))
  p <- c(150, 149.9, 75, 74.9, 50, 49.9, 25, 24.9)
  expect_equal(grade1("PLAT", p, lln = 150, unit = "10^9/L", dir = "L"), c(0, 1, 1, 2, 2, 3, 3, 4))
  h <- c(120, 119.9, 100, 99.9, 80, 79.9)
  expect_equal(grade1("HGB", h, lln = 120, unit = "g/L", dir = "L"), c(0, 1, 1, 2, 2, 3))
  expect_equal(grade1("HGB", c(10, 9.99), lln = 12, unit = "g/dL", dir = "L"), c(1, 2))
})

test_that("potassium and sodium in both directions", {
  k <- c(5, 5.01, 5.5, 5.51, 6, 6.01, 7, 7.01)
  expect_equal(grade1("K", k, uln = 5, lln = 3.5, unit = "mmol/L"), c(0, 1, 1, 2, 2, 3, 3, 4))
  kl <- c(3.5, 3.49, 3.0, 2.99, 2.5, 2.49)  # < LLN is grade 2 (worst case: symptomatic)
  expect_equal(grade1("K", kl, uln = 5, lln = 3.5, unit = "mmol/L", dir = "L"), c(0, 2, 2, 3, 3, 4))
  na <- c(145, 145.1, 150, 150.1, 155, 155.1, 160, 160.1)
  expect_equal(grade1("SODIUM", na, uln = 145, lln = 135, unit = "mmol/L"),
               c(0, 1, 1, 2, 2, 3, 3, 4))
  nl <- c(135, 134.9, 130, 129.5, 129, 120, 119.9)  # 125-129 -> grade 3 (worst case)
  expect_equal(grade1("SODIUM", nl, uln = 145, lln = 135, unit = "mmol/L", dir = "L"),
               c(0, 1, 1, 1, 3, 3, 4))
})

test_that("fever from temperature (Celsius and Fahrenheit)", {
  t <- c(37.9, 38.0, 39.0, 39.01, 40.0, 40.01)
  expect_equal(grade1("TEMP", t, unit = "C"), c(0, 1, 1, 2, 2, 3))
  expect_equal(grade1("TEMP", c(100.3, 100.4, 102.3), unit = "F"), c(0, 1, 2))
})

test_that("grade_lab adds ADaM columns, baseline grades and signed ATOXGR", {
  lb <- data.frame(USUBJID = "S1", PARAMCD = c("ALT", "K", "K", "HBA1C"),
                   AVAL = c(140, 2.8, 5.8, 7), AVALU = c("U/L", "mmol/L", "mmol/L", "%"),
                   ANRLO = c(0, 3.5, 3.5, 4), ANRHI = c(40, 5, 5, 6),
                   BASE = c(45, 4, 4, 7))
  g <- grade_lab(lb)
  expect_equal(g$ATOXGRH, c(2L, 0L, 2L, NA))
  expect_equal(g$ATOXGRL, c(NA, 3L, 0L, NA))
  expect_equal(g$ATOXGR, c(2L, -3L, 2L, NA))
  # ALT baseline 45 > ULN 40 is abnormal: 140 > 3 x 45 is grade 2; the
  # baseline value itself is grade 1.
  expect_equal(g$BTOXGRH, c(1L, 0L, 0L, NA))
  expect_equal(g$ATOXDSCL[2], "Hypokalemia")
  expect_equal(g$ATOXDSCH[1], "Alanine aminotransferase increased")
})

test_that("bad lab input: mixed or unknown units, missing ranges", {
  lb <- data.frame(USUBJID = "S1", PARAMCD = "GLUC", AVAL = c(5, 90), AVALU = c("mmol/L", "mg/dL"),
                   ANRLO = c(3.9, 70), ANRHI = NA, BASE = NA)
  expect_error(grade_lab(lb), "GLUC", class = "glycotrial_error_units")
  lb$AVALU <- "furlongs"
  expect_error(grade_lab(lb), "furlongs", class = "glycotrial_error_input")
  alt <- data.frame(USUBJID = "S1", PARAMCD = "ALT", AVAL = c(50, 60), ANRHI = c(40, NA),
                    BASE = 30)
  expect_warning(g <- grade_lab(alt), "ALT", class = "glycotrial_warning_missing_range")
  expect_equal(g$ATOXGRH, c(1L, NA))
  expect_error(grade_lab(alt, missing_range = "error"), class = "glycotrial_error_missing_range")
  expect_error(grade_lab(alt, scheme = "nope"), class = "glycotrial_error_unknown_plugin")
  alt$AVAL <- as.character(alt$AVAL)
  expect_error(grade_lab(alt), class = "glycotrial_error_input")
  expect_error(grade_lab(alt, paramcd = c(XYZ = "ALT")), class = "glycotrial_error_input")
})

test_that("user-defined schemes register through the registry", {
  rules <- data.frame(param = "FPG", direction = "high", grade = 1:3, ref = "ABS", op = ">",
                      factor = c(7, 13.3, 22.2), term = "Hyperglycaemia")
  register_lab_grading("test_hyper", rules, description = "test")
  on.exit(unregister_plugin("lab_grading", "test_hyper"))
  expect_true("test_hyper" %in% glycotrial_plugins("lab_grading")$key)
  expect_true("ctcae_v5" %in% glycotrial_plugins("lab_grading")$key)
  g <- grade_lab(data.frame(USUBJID = 1, PARAMCD = "FPG", AVAL = c(7, 7.1, 13.3, 13.4, 23)),
                 scheme = "test_hyper")
  expect_equal(g$ATOXGRH, c(0L, 1L, 1L, 2L, 3L))
  # paramcd remaps the scheme's parameter onto another PARAMCD.
  g2 <- grade_lab(data.frame(USUBJID = 1, PARAMCD = "GLUCF", AVAL = 14), scheme = "test_hyper",
                  paramcd = c(FPG = "GLUCF"))
  expect_equal(g2$ATOXGRH, 2L)
  bad <- rules
  bad$ref <- "MEDIAN"
  expect_error(register_lab_grading("test_bad", bad), class = "glycotrial_error_input")
  expect_error(register_lab_grading("test_hyper", rules[1, ]),
               class = "glycotrial_error_registry_conflict")
})
