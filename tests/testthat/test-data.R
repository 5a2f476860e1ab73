# Structure and content of the shipped example trial (data/*.rda).

test_that("shipped data sets have the documented ADaM columns", {
  expect_true(all(c("USUBJID", "ARM", "TRT01P", "TRT01A", "AGE", "SEX", "BMI", "WEIGHT",
                    "DIABDUR", "ITTFL", "SAFFL", "PPROTFL", "TRTSDT", "TRTEDT", "EOSSTT",
                    "DCSREAS", "STRATA") %in% names(adsl)))
  expect_true(all(c("USUBJID", "PARAMCD", "PARAM", "AVISIT", "AVISITN", "ADY", "ATPT",
                    "ATPTN", "AVAL", "AVALU", "BASE", "CHG", "PCHG", "ANRLO", "ANRHI",
                    "ABLFL", "ANL01FL") %in% names(adlb)))
  expect_true(all(c("USUBJID", "AEDECOD", "AEBODSYS", "AESEV", "AETOXGR", "AESER", "AEREL",
                    "TRTEMFL", "ASTDY", "AENDY", "AEACN", "AEOUT", "AEINFNO") %in% names(adae)))
  expect_true(all(c("USUBJID", "EXSEQ", "ASTDY", "EXDOSE", "EXDOSU") %in% names(adex)))
  expect_equal(anyDuplicated(adsl$USUBJID), 0L)
  expect_true(all(adlb$USUBJID %in% adsl$USUBJID))
  expect_true(all(adae$USUBJID %in% adsl$USUBJID))
  expect_true(all(adex$USUBJID %in% adsl$USUBJID))
})

test_that("randomization and disposition match NCT02302599 (45 vs 46, 89 analysed)", {
  expect_equal(nrow(adsl), 91L)
  expect_equal(as.vector(table(adsl$ARM)[c("UC-MSC", "Placebo")]), c(45L, 46L))
  expect_true(all(adsl$ITTFL == "Y"))
  w48 <- unique(adlb$USUBJID[adlb$AVISITN == 48 & adlb$PARAMCD == "HBA1C"])
  expect_equal(length(w48), 89L)
  expect_equal(sum(adsl$EOSSTT == "DISCONTINUED"), 2L)
})

test_that("eligibility ranges are respected at baseline", {
  expect_true(all(adsl$AGE >= 20 & adsl$AGE <= 65))
  expect_true(all(adsl$BMI >= 24 & adsl$BMI <= 40))
  expect_true(all(adsl$DIABDUR <= 20 & adsl$DIABDUR > 0))
  bl <- adlb[adlb$ABLFL == "Y", ]
  a1c <- bl$AVAL[bl$PARAMCD == "HBA1C"]
  expect_length(a1c, 91)
  expect_true(all(a1c >= 7 & a1c <= 12))
  ukg <- bl$AVAL[bl$PARAMCD == "INSDOSEKG"]
  expect_true(all(ukg >= 0.5 & ukg <= 1.0))
  cp <- bl$AVAL[bl$PARAMCD == "FCPEP"]
  expect_length(cp, 91)
  expect_true(all(cp >= 1))
  # Published baseline HbA1c ~ 9.0 +/- 1.2 %: mean within 0.4, SD 0.8-1.4.
  expect_lt(abs(mean(a1c) - 9.0), 0.4)
  expect_true(stats::sd(a1c) > 0.8 && stats::sd(a1c) < 1.4)
})

test_that("visits, units and OGTT time points are as documented", {
  expect_setequal(unique(adlb$AVISITN), c(0, 4, 8, 12, 24, 36, 48))
  expect_setequal(unique(adlb$AVISIT),
                  c("Baseline", paste("Week", c(4, 8, 12, 24, 36, 48))))
  units <- unique(adlb[, c("PARAMCD", "AVALU")])
  u <- stats::setNames(units$AVALU, units$PARAMCD)
  expect_equal(anyDuplicated(units$PARAMCD), 0L)
  expect_equal(u[c("HBA1C", "INSDOSE", "INSDOSEKG", "FPG", "FINS", "FCPEP", "GLUC", "INS",
                   "CPEP", "ALT", "AST", "ALP", "BILI", "CREAT", "EGFR")],
               c(HBA1C = "%", INSDOSE = "U/day", INSDOSEKG = "U/kg/day", FPG = "mmol/L",
                 FINS = "uU/mL", FCPEP = "ng/mL", GLUC = "mmol/L", INS = "uU/mL",
                 CPEP = "ng/mL", ALT = "U/L", AST = "U/L", ALP = "U/L", BILI = "mg/dL",
                 CREAT = "mg/dL", EGFR = "mL/min/1.73m2"))
  og <- adlb[adlb$PARAMCD %in% c("GLUC", "INS", "CPEP"), ]
  expect_setequal(unique(og$ATPTN), c(0, 30, 60, 120, 180))
  expect_setequal(unique(og$AVISITN), c(0, 12, 24, 48))
  # 0-min OGTT sample is the fasting sample.
  g0 <- og[og$PARAMCD == "GLUC" & og$ATPTN == 0, c("USUBJID", "AVISITN", "AVAL")]
  f <- adlb[adlb$PARAMCD == "FPG", c("USUBJID", "AVISITN", "AVAL")]
  m <- merge(g0, f, by = c("USUBJID", "AVISITN"))
  expect_equal(nrow(m), nrow(g0))
  expect_equal(m$AVAL.x, m$AVAL.y)
  # Derived columns: CHG = AVAL - BASE; one baseline per subject/parameter/time point.
  pb <- adlb[adlb$ABLFL != "Y", ]
  expect_equal(pb$CHG, pb$AVAL - pb$BASE, tolerance = 1e-9)
  expect_equal(pb$PCHG, round(100 * (pb$AVAL - pb$BASE) / pb$BASE, 2), tolerance = 1e-9)
})

test_that("eGFR follows CKD-EPI 2021 from creatinine, age and sex", {
  cr <- adlb[adlb$PARAMCD == "CREAT" & adlb$AVISITN == 0, c("USUBJID", "AVAL")]
  eg <- adlb[adlb$PARAMCD == "EGFR" & adlb$AVISITN == 0, c("USUBJID", "AVAL")]
  m <- merge(merge(cr, eg, by = "USUBJID"), adsl[, c("USUBJID", "AGE", "SEX")])
  # Inker et al. NEJM 2021, written out independently here.
  ref <- with(m, {
    k <- ifelse(SEX == "F", 0.7, 0.9); a <- ifelse(SEX == "F", -0.241, -0.302)
    142 * pmin(AVAL.x / k, 1)^a * pmax(AVAL.x / k, 1)^(-1.2) * 0.9938^AGE *
      ifelse(SEX == "F", 1.012, 1)
  })
  expect_equal(m$AVAL.y, round(ref), tolerance = 0)
})

test_that("week-48 composite gives the published 9/45 vs 2/44 (computed by hand)", {
  w <- adlb[adlb$AVISITN == 48, ]
  a1c <- w[w$PARAMCD == "HBA1C", c("USUBJID", "AVAL")]
  dose <- w[w$PARAMCD == "INSDOSE", c("USUBJID", "AVAL", "BASE")]
  m <- merge(merge(a1c, dose, by = "USUBJID", suffixes = c(".a1c", ".dose")),
             adsl[, c("USUBJID", "ARM")], by = "USUBJID")
  m$resp <- m$AVAL.a1c < 7.0 & (m$BASE - m$AVAL.dose) / m$BASE >= 0.5
  n <- table(m$ARM)
  r <- tapply(m$resp, m$ARM, sum)
  expect_equal(as.vector(n[c("UC-MSC", "Placebo")]), c(45L, 44L))
  expect_equal(as.vector(r[c("UC-MSC", "Placebo")]), c(9L, 2L))
  # Means close to the publication: HbA1c 7.52 vs 8.19 %, insulin -27.8 vs -15.6 %.
  hb <- tapply(m$AVAL.a1c, m$ARM, mean)
  expect_lt(abs(hb[["UC-MSC"]] - 7.5), 0.25)
  expect_lt(abs(hb[["Placebo"]] - 8.2), 0.25)
  pc <- tapply(100 * (m$AVAL.dose - m$BASE) / m$BASE, m$ARM, mean)
  expect_lt(abs(pc[["UC-MSC"]] + 28), 3)
  expect_lt(abs(pc[["Placebo"]] + 16), 3)
})

test_that("adverse events and exposure cover the catalogue and the infusion schedule", {
  needed <- c("Pyrexia", "Pruritus", "Nausea", "Vomiting", "Anaphylactic reaction",
              "Phlebitis", "Hypoglycaemia", "Headache")
  expect_true(all(needed %in% adae$AEDECOD))
  expect_gte(length(unique(adae$AEDECOD[adae$AEBODSYS == "Infections and infestations"])), 3)
  expect_true(any(grepl("^Neoplasms", adae$AEBODSYS)))
  expect_true(any(adae$AEBODSYS == "Hepatobiliary disorders"))
  expect_true(any(adae$AEBODSYS == "Renal and urinary disorders"))
  expect_true(all(adae$AESEV %in% c("MILD", "MODERATE", "SEVERE")))
  expect_true(all(adae$AESER %in% c("Y", "N")))
  expect_true(all(adae$AEINFNO %in% 1:3))
  expect_true(all(adae$ASTDY >= 1))
  expect_true(all(is.na(adae$AENDY) | adae$AENDY >= adae$ASTDY))
  expect_setequal(unique(adex$ASTDY), c(1, 29, 57))
  # Completers received all three infusions.
  compl <- adsl$USUBJID[adsl$EOSSTT == "COMPLETED"]
  expect_true(all(table(adex$USUBJID)[compl] == 3))
  expect_true(all(adex$EXDOSE[adex$ARM == "Placebo"] == 0))
})

test_that("the shipped data are reproduced by simulate_trial() with the recorded seed", {
  tr <- simulate_trial(n = c(45, 46), arms = c("UC-MSC", "Placebo"),
                       hba1c_change = c(-1.5, -0.7), insulin_change = c(-0.28, -0.16),
                       dropout = c(0.02, 0.04), missingness = 0.04, seed = 6249)
  expect_identical(tr$adsl, adsl)
  expect_identical(tr$adlb, adlb)
  expect_identical(tr$adae, adae)
  expect_identical(tr$adex, adex)
})
