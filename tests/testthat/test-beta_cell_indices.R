test_that("beta_cell_indices() matches the single-index functions subject by subject", {
  adlb <- indices_adlb()
  res <- beta_cell_indices(adlb, c("homa1_ir", "homa_ir_cp", "cpi", "matsuda", "igi_cp",
                                   "glucose_auc", "cpeptide_iauc", "stumvoll_first_phase"),
                           keep = "ARM")
  expect_s3_class(res, "glycotrial_indices")
  expect_equal(nrow(res), 4)
  expect_equal(res$USUBJID, c("S1", "S1", "S2", "S2"))
  expect_equal(res$ARM, c("UC-MSC", "UC-MSC", "Placebo", "Placebo"))
  expect_equal(res$homa1_ir_unit, rep("1", 4))
  expect_equal(attr(res, "units")[["glucose_auc"]], "mmol/L*min")
  # S1 baseline by hand.
  expect_equal(res$homa1_ir[1], 8.1 * 10 / 22.5, tolerance = 1e-12)
  expect_equal(res$homa_ir_cp[1], 1.5 + 8.1 * 1.6 * 331 / 2800, tolerance = 1e-12)
  expect_equal(res$cpi[1], 1.6 / (8.1 * 18.016) * 100, tolerance = 1e-12)
  tp <- c(0, 30, 60, 120, 180)
  expect_equal(res$matsuda[1], matsuda(tp, c(8.1, 12.0, 14.5, 13.0, 10.2), c(10, 18, 25, 22, 15)),
               tolerance = 1e-12)
  expect_equal(res$glucose_auc[1], auc_total(tp, c(8.1, 12.0, 14.5, 13.0, 10.2)))
  # S2 baseline came in mg/dL and pmol/L: same as SI values.
  expect_equal(res$homa1_ir[3], 9.0 * 14 / 22.5, tolerance = 1e-12)
  expect_equal(res$glucose_auc[3], auc_total(tp, c(9.0, 13.1, 16.0, 15.2, 12.0)),
               tolerance = 1e-12)
  expect_equal(res$stumvoll_first_phase[3],
               1283 + 1.829 * 19 * 6 - 138.7 * 13.1 + 3.772 * 14 * 6, tolerance = 1e-12)
  # Long format is ADaM-like.
  long <- beta_cell_indices(adlb, c("homa1_ir", "matsuda"), format = "long")
  expect_equal(nrow(long), 8)
  expect_named(long, c("USUBJID", "AVISIT", "PARAMCD", "PARAM", "AVAL", "AVALU"), ignore.order = TRUE)
  expect_equal(long$AVAL[long$PARAMCD == "homa1_ir"], res$homa1_ir)
})

test_that("beta_cell_indices() picks available indices, covariates and overrides", {
  adlb <- indices_adlb()
  res <- beta_cell_indices(adlb)
  expect_true(all(c("homa1_ir", "homa1_b", "quicki", "homa_ir_cp", "matsuda", "igi",
                    "di_oral_cp", "cpeptide_glucose_auc_ratio") %in% names(res)))
  expect_false("ogis" %in% names(res))  # needs 90 min and height / weight
  adsl <- data.frame(USUBJID = c("S1", "S2"), WEIGHT = c(82, 176), HEIGHT = c(170, 165))
  g <- beta_cell_indices(adlb, "gutt", adsl = adsl)
  m <- (75000 + (8.1 - 13.0) * 180.16 * 0.19 * 82) / 120
  # Gutt uses 0 and 120 min: G 8.1 / 13.0 mmol/L, I 10 / 22 uU/mL.
  expect_equal(g$gutt[1], m / ((8.1 + 13.0) / 2 * log10(16)), tolerance = 1e-12)
  g_lb <- beta_cell_indices(adlb, "gutt", adsl = transform(adsl, WEIGHT = WEIGHT / 0.45359237),
                            covariate_units = c(weight = "lb"))
  expect_equal(g_lb$gutt, g$gutt, tolerance = 1e-12)
  # Other PARAMCD conventions.
  adlb2 <- adlb
  adlb2$PARAMCD[adlb2$PARAMCD == "FPG"] <- "GLUCF"
  r2 <- beta_cell_indices(adlb2, "homa1_ir", fasting = c(glucose = "GLUCF", insulin = "FINS"))
  expect_equal(r2$homa1_ir, beta_cell_indices(adlb, "homa1_ir")$homa1_ir)
  # Fasting glucose from the OGTT 0-min sample when FPG is absent.
  adlb3 <- adlb[adlb$PARAMCD != "FPG", ]
  expect_equal(beta_cell_indices(adlb3, "homa1_ir")$homa1_ir,
               beta_cell_indices(adlb, "homa1_ir")$homa1_ir)
})

test_that("on the shipped trial data beta_cell_indices() agrees with InsuSensCalc", {
  skip_if_not_installed("InsuSensCalc")
  skip_if_not_installed("dplyr")
  adlb <- glycotrial::adlb
  adlb <- adlb[adlb$AVISIT == "Baseline", ]
  # InsuSensCalc's OGTT indices use 0/30/120 min, glucose mmol/L x 18 and insulin pmol/L / 6.
  sub <- adlb[!(adlb$PARAMCD %in% c("GLUC", "INS")) | adlb$ATPTN %in% c(0, 30, 120), ]
  ours <- beta_cell_indices(sub, c("homa1_ir", "matsuda", "matsuda_arithmetic", "stumvoll_isi"),
                            glucose_factor = 18)
  ours <- ours[stats::complete.cases(ours$matsuda, ours$homa1_ir), ]
  pick <- function(code, t = NULL) {
    r <- adlb[adlb$PARAMCD == code & (is.null(t) | adlb$ATPTN %in% t), ]
    if (!is.null(t)) r <- r[r$ATPTN == t, ]
    r$AVAL[match(ours$USUBJID, r$USUBJID)]
  }
  d <- data.frame(G0 = pick("GLUC", 0), G30 = pick("GLUC", 30), G120 = pick("GLUC", 120),
                  I0 = pick("INS", 0) * 6, I30 = pick("INS", 30) * 6, I120 = pick("INS", 120) * 6,
                  age = 50, sex = 1, bmi = 25, weight = 70)
  ref <- suppressWarnings(suppressMessages(InsuSensCalc::isi_calculator(d, category = "ogtt")))
  expect_gt(nrow(d), 40)
  expect_equal(ours$matsuda, ref$Matsuda_Auc, tolerance = 1e-10)
  expect_equal(ours$matsuda_arithmetic, ref$Matsuda_ISI, tolerance = 1e-10)
  expect_equal(ours$stumvoll_isi, ref$Modified_stumvoll, tolerance = 1e-10)
  # HOMA-IR from the fasting records (FPG mmol/L, FINS uU/mL -> pmol/L for InsuSensCalc).
  f <- data.frame(G0 = pick("FPG"), I0 = pick("FINS") * 6)
  ref_f <- suppressWarnings(suppressMessages(InsuSensCalc::isi_calculator(f, category = "fasting")))
  expect_equal(ours$homa1_ir, -ref_f$Homa_IR_inv, tolerance = 1e-10)
})
