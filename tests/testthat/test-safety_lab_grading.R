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
  # Criterion text (CTCAE v5.0 "Chronic kidney disease", MedDRA 10064848) as
  # transcribed in GitHub oncohub/CTCAE5 ctcaev5.js, commit
  # b5abf4e84948dcdc06742f81adff790141467f7c: G1 "eGFR ... or CrCl ... <LLN -
  # 60 ml/min/1.73 m2 ...", G2 "59 - 30", G3 "29 - 15", G4 "<15 ml/min/1.73 m2".
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
  # mg/dL uses CTCAE's own mg/dL thresholds (< 55, < 40, < 30), not converted
  # mmol/L ones: 54.5 mg/dL (3.025 mmol/L, grade 1 if converted) is grade 2;
  # 30.5 mg/dL (1.693 mmol/L, grade 4 if converted) is grade 3.
  expect_equal(grade1("GLUC", c(70, 69.9, 55, 54.5, 40, 39.9, 30.5, 30, 29.9), lln = 70,
                      unit = "mg/dL", dir = "L"), c(0, 1, 1, 2, 2, 3, 3, 3, 4))
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
  expect_equal(grade1("HGB", c(12, 11.9, 8, 7.99), lln = 12, unit = "g/dL", dir = "L"),
               c(0, 1, 2, 3))
  # mmol/L on CTCAE's mmol/L thresholds (< 6.2, < 4.9): 6.2 mmol/L (99.9 g/L if
  # converted, grade 2) is grade 1; 4.9 mmol/L (79.0 g/L) is grade 2.
  expect_equal(grade1("HGB", c(7.5, 7.49, 6.2, 6.19, 4.9, 4.89), lln = 7.5, unit = "mmol/L",
                      dir = "L"), c(0, 1, 1, 2, 2, 3))
})

# Reference: the pharmaverse admiral CTCAE v5.0 grading metadata, transcribed
# by hand from pharmaverse/admiral data-raw/adlb_grading/ncictcaev5.json (SI
# units; commit 534ecb32) and ncictcaev5_uscv.json (mg/dL glucose; commit
# 01087995), the source of atoxgr_criteria_ctcv5 in admiral. Each function is
# that term's GRADE_CODE case_when read top to bottom (the first condition
# that holds gives the grade; a condition on a missing value does not hold).
# "Baseline abnormal" is admiral's BNRIND = HIGH, here BASE > ANRHI. Chronic
# kidney disease and fever are not in admiral's table (it covers the
# Investigations, Metabolism and Blood SOCs only); they are checked against
# the CTCAE v5.0 text above.
admiral_v5 <- local({
  gt <- function(a, b) isTRUE(a > b)
  ge <- function(a, b) isTRUE(a >= b)
  lt <- function(a, b) isTRUE(a < b)
  le <- function(a, b) isTRUE(a <= b)
  liver <- function(f, g1_abn) function(a, lo, hi, b) {
    if (is.na(a) || is.na(hi)) return(NA)
    ab <- isTRUE(b > hi)
    r <- if (ab) b else hi
    if (gt(a, f[4] * r)) return(4)
    if (gt(a, f[3] * r)) return(3)
    if (gt(a, f[2] * r)) return(2)
    if (if (ab) g1_abn(a, b) else gt(a, hi)) return(1)
    0
  }
  low_abs <- function(t4, t3, t2, g_lln = 1) function(a, lo, hi, b) {
    if (is.na(a)) return(NA)
    if (!is.na(t4) && lt(a, t4)) return(4)
    if (lt(a, t3)) return(3)
    if (!is.na(t2) && lt(a, t2)) return(2)
    if (is.na(lo)) return(NA)
    if (lt(a, lo)) return(g_lln)
    0
  }
  high_abs <- function(t4, t3, t2) function(a, lo, hi, b) {
    if (is.na(a)) return(NA)
    if (gt(a, t4)) return(4)
    if (gt(a, t3)) return(3)
    if (gt(a, t2)) return(2)
    if (is.na(hi)) return(NA)
    if (gt(a, hi)) return(1)
    0
  }
  list(
    ALT = list("H", liver(c(1, 3, 5, 20), function(a, b) ge(a, 1.5 * b))),
    AST = list("H", liver(c(1, 3, 5, 20), function(a, b) ge(a, 1.5 * b))),
    ALP = list("H", liver(c(1, 2.5, 5, 20), function(a, b) ge(a, 2 * b))),
    BILI = list("H", liver(c(1, 1.5, 3, 10), function(a, b) gt(a, b))),
    CREAT = list("H", function(a, lo, hi, b) {
      if (is.na(a)) return(NA)
      if (!is.na(hi) && gt(a, 6 * hi)) return(4)
      if ((!is.na(hi) && gt(a, 3 * hi)) || (!is.na(b) && gt(a, 3 * b))) return(3)
      if ((!is.na(hi) && gt(a, 1.5 * hi)) || (!is.na(b) && gt(a, 1.5 * b))) return(2)
      if (is.na(hi)) return(NA)
      if (gt(a, hi)) return(1)
      0
    }),
    GLUC = list("L", low_abs(1.7, 2.2, 3)),
    NEUT = list("L", low_abs(0.5, 1, 1.5)),
    PLAT = list("L", low_abs(25, 50, 75)),
    HGB = list("L", low_abs(NA, 80, 100)),
    K = list("H", high_abs(7, 6, 5.5)),
    K = list("L", low_abs(2.5, 3, NA, g_lln = 2)),
    SODIUM = list("H", high_abs(160, 155, 150)),
    SODIUM = list("L", function(a, lo, hi, b) {
      if (is.na(a)) return(NA)
      if (lt(a, 120)) return(4)
      if (le(a, 129)) return(3)
      if (is.na(lo)) return(NA)
      if (lt(a, lo)) return(1)
      0
    }),
    GLUC_MGDL = list("L", low_abs(30, 40, 55)))
})

test_that("ctcae_v5 agrees with admiral's CTCAE v5.0 metadata on every threshold", {
  # Per term: reference ranges, baselines (normal, abnormal, missing) and values
  # just below, at and just above every threshold of the term.
  setup <- list(
    ALT = list(unit = "U/L", lo = 0, hi = c(40, NA), base = c(NA, 30, 60), f = c(1, 1.5, 3, 5, 20)),
    AST = list(unit = "U/L", lo = 0, hi = c(40, NA), base = c(NA, 30, 60), f = c(1, 1.5, 3, 5, 20)),
    ALP = list(unit = "U/L", lo = 0, hi = c(120, NA), base = c(NA, 80, 150), f = c(1, 2, 2.5, 5, 20)),
    BILI = list(unit = "umol/L", lo = 3, hi = c(21, NA), base = c(NA, 10, 30), f = c(1, 1.5, 3, 10)),
    CREAT = list(unit = "umol/L", lo = 60, hi = c(110, NA), base = c(NA, 50, 130), f = c(1, 1.5, 3, 6)),
    GLUC = list(unit = "mmol/L", lo = c(3.9, NA), hi = 6, base = NA, abs = c(3.9, 3, 2.2, 1.7)),
    NEUT = list(unit = "10^9/L", lo = c(2, NA), hi = 7, base = NA, abs = c(2, 1.5, 1, 0.5)),
    PLAT = list(unit = "10^9/L", lo = c(150, NA), hi = 400, base = NA, abs = c(150, 75, 50, 25)),
    HGB = list(unit = "g/L", lo = c(120, NA), hi = 160, base = NA, abs = c(120, 100, 80)),
    K = list(unit = "mmol/L", lo = c(3.5, NA), hi = c(5.1, NA), base = NA,
             abs = c(3.5, 3, 2.5, 5.1, 5.5, 6, 7)),
    SODIUM = list(unit = "mmol/L", lo = c(135, NA), hi = c(145, NA), base = NA,
                  abs = c(135, 129, 125, 120, 145, 150, 155, 160)))
  for (p in names(setup)) {
    st <- setup[[p]]
    grid <- expand.grid(lo = st$lo, hi = st$hi, base = st$base, k = seq_len(100))
    refs <- if (!is.null(st$f)) {
      unlist(lapply(st$f, function(f) f * c(st$hi, st$base)))
    } else st$abs
    refs <- refs[!is.na(refs)]
    vals <- sort(unique(c(outer(refs, c(0.999, 1, 1.001)), 0.5 * min(refs), 2 * max(refs))))
    grid <- grid[grid$k <= length(vals), ]
    grid$aval <- vals[grid$k]
    lb <- data.frame(USUBJID = "S", PARAMCD = p, AVAL = grid$aval, AVALU = st$unit,
                     ANRLO = grid$lo, ANRHI = grid$hi, BASE = grid$base)
    g <- grade_lab(lb, missing_range = "ignore")
    for (ref in admiral_v5[names(admiral_v5) == p]) {
      want <- mapply(ref[[2]], grid$aval, grid$lo, grid$hi, grid$base)
      got <- if (ref[[1]] == "H") g$ATOXGRH else g$ATOXGRL
      same <- (is.na(want) & is.na(got)) | (!is.na(want) & !is.na(got) & want == got)
      bad <- which(!same)
      expect(length(bad) == 0,
             sprintf("%s (%s): %d disagreement(s), first AVAL %g LLN %g ULN %g BASE %g: admiral %s, ours %s",
                     p, ref[[1]], length(bad), grid$aval[bad[1]], grid$lo[bad[1]], grid$hi[bad[1]],
                     grid$base[bad[1]], want[bad[1]], got[bad[1]]))
    }
  }
  # Glucose in mg/dL against admiral's USCV table (< 55, < 40, < 30 mg/dL).
  v <- sort(c(outer(c(70, 55, 40, 30), c(0.999, 1, 1.001))))
  lb <- data.frame(USUBJID = "S", PARAMCD = "GLUC", AVAL = v, AVALU = "mg/dL", ANRLO = 70)
  want <- vapply(v, function(a) admiral_v5$GLUC_MGDL[[2]](a, 70, NA, NA), numeric(1))
  expect_equal(grade_lab(lb)$ATOXGRL, as.integer(want))
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

test_that("signed ATOXGR/BTOXGR: -1 for a low grade 1, 0 when either direction is 0", {
  # Hand-worked: K 3.4 < LLN 3.5 is hypokalaemia grade 2 (worst case of
  # "< LLN - 3.0"), HGB 115 < LLN 120 is anaemia grade 1 (low only: signed
  # -1), SODIUM 132 < LLN 135 is hyponatraemia grade 1 with hypernatraemia 0
  # (signed -1: the low grade when the high grade is 0).
  lb <- data.frame(USUBJID = "S1", PARAMCD = c("K", "HGB", "SODIUM", "HGB"),
                   AVAL = c(3.4, 115, 132, 130), AVALU = c("mmol/L", "g/L", "mmol/L", "g/L"),
                   ANRLO = c(3.5, 120, 135, 120), ANRHI = c(5.1, 160, 145, 160),
                   BASE = c(4, 115, 132, NA))
  g <- grade_lab(lb, missing_range = "ignore")
  expect_identical(g$ATOXGRL, c(2L, 1L, 1L, 0L))
  expect_identical(g$ATOXGR, c(-2L, -1L, -1L, 0L))
  # Baselines graded with the normal-baseline criteria: 4 -> 0, 115 -> -1,
  # 132 -> -1, missing -> NA.
  expect_identical(g$BTOXGR, c(0L, -1L, -1L, NA))
})

test_that("grading is the same with one or two core threads (large input)", {
  # The core splits >= 50,000 records into contiguous blocks per thread; the
  # grades and the missing-range report must not depend on the split.
  set.seed(11)
  n <- 60000
  p <- sample(c("ALT", "K", "HGB", "EGFR"), n, TRUE)
  lb <- data.frame(USUBJID = "S1", PARAMCD = p, AVAL = rlnorm(n, 0, 0.6),
                   ANRLO = ifelse(runif(n) < 0.01, NA, 0.8), ANRHI = 1.2,
                   BASE = rlnorm(n, 0, 0.3), stringsAsFactors = FALSE)
  m <- c(ALT = 40, K = 4, HGB = 130, EGFR = 80)[p]
  lb[c("AVAL", "ANRLO", "ANRHI", "BASE")] <- lb[c("AVAL", "ANRLO", "ANRHI", "BASE")] * m
  one <- withr::with_options(list(glycotrial.threads = 1L),
                             tryCatch(grade_lab(lb), warning = conditionMessage))
  two <- withr::with_options(list(glycotrial.threads = 2L),
                             tryCatch(grade_lab(lb), warning = conditionMessage))
  expect_identical(one, two)
  g <- withr::with_options(list(glycotrial.threads = 2L), grade_lab(lb, missing_range = "ignore"))
  # Spot check against the criteria by hand: ALT x ULN with normal baseline.
  alt <- which(p == "ALT" & lb$BASE <= lb$ANRHI)
  r <- lb$AVAL[alt] / lb$ANRHI[alt]
  expect_identical(g$ATOXGRH[alt], as.integer((r > 1) + (r > 3) + (r > 5) + (r > 20)))
})
