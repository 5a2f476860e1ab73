# The design built in C++ (mmrm_fast_frame(), cpp_mmrm_model_matrix()) must be
# identical to the one from model.frame()/model.matrix() (reference: R's own
# stats::model.matrix, option glycotrial.mmrm_fast_design = FALSE): design
# matrix with dimnames, "assign" and "contrasts", response, terms (with
# "predvars" and "dataClasses"), xlevels, rows; and the fits identical.

design_both <- function(formula, data, weights = NULL) {
  spec <- mmrm_formula(formula)
  ctl <- mmrm_fit_control()
  fast <- glycotrial:::mmrm_design_rows(spec, data, weights, ctl)
  slow <- withr::with_options(list(glycotrial.mmrm_fast_design = FALSE),
                              glycotrial:::mmrm_design_rows(spec, data, weights, ctl))
  list(fast = fast, slow = slow, used = !is.null(glycotrial:::mmrm_fast_frame(spec, data)))
}

fev_data <- function() suppressWarnings(mmrm::fev_data)

test_that("C++ design equals model.matrix() for factors, numerics and interactions", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  d2 <- fev[c(5:800, 1:4), ]                    # non-automatic row names
  d3 <- fev
  d3$RACE <- factor(d3$RACE, levels = c(levels(d3$RACE), "Unused"))  # unused level dropped
  d3$FEV1_BL[7] <- NA                            # missing covariate dropped
  d3$VISITN[3] <- NA
  d4 <- fev
  d4$AVISIT2 <- d4$AVISIT
  forms <- list(
    FEV1 ~ RACE + SEX + ARMCD * AVISIT + us(AVISIT | USUBJID),
    FEV1 ~ us(AVISIT | USUBJID),
    FEV1 ~ FEV1_BL + us(AVISIT | USUBJID),
    FEV1 ~ FEV1_BL * AVISIT + VISITN + us(AVISIT | USUBJID),
    FEV1 ~ AVISIT:FEV1_BL + ARMCD + us(AVISIT | USUBJID),
    FEV1 ~ ARMCD:AVISIT + us(AVISIT | USUBJID),
    FEV1 ~ FEV1_BL:WEIGHT:VISITN2 + ARMCD * SEX * AVISIT + us(AVISIT | USUBJID),
    FEV1 ~ RACE + ARMCD * AVISIT + ar1(AVISIT | ARMCD / USUBJID)
  )
  for (d in list(fev, d2, d3)) for (f in forms) {
    b <- suppressMessages(design_both(f, d))
    expect_true(b$used)
    expect_identical(b$fast, b$slow)
  }
  b <- design_both(FEV1 ~ AVISIT2 * ARMCD + us(AVISIT | USUBJID), d4, weights = d4$WEIGHT)
  expect_true(b$used)
  expect_identical(b$fast, b$slow)
})

test_that("formulas outside the C++ design fall back to model.matrix()", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  d <- fev
  d$SEXC <- as.character(d$SEX)
  d$ORD <- factor(d$RACE, ordered = TRUE)
  d$ONE <- factor(rep("a", nrow(d)))
  for (f in list(FEV1 ~ log(FEV1_BL) + us(AVISIT | USUBJID),
                 FEV1 ~ SEXC + us(AVISIT | USUBJID),
                 FEV1 ~ ORD + us(AVISIT | USUBJID),
                 FEV1 ~ 0 + ARMCD + us(AVISIT | USUBJID),
                 log(FEV1) ~ ARMCD + us(AVISIT | USUBJID),
                 FEV1 ~ ARMCD + offset(FEV1_BL) + us(AVISIT | USUBJID))) {
    b <- design_both(f, d)
    expect_false(b$used)
    expect_identical(b$fast, b$slow)
  }
  d$RACE2 <- d$RACE
  contrasts(d$RACE2) <- contr.sum(3)
  expect_null(glycotrial:::mmrm_fast_frame(
    mmrm_formula(FEV1 ~ RACE2 + us(AVISIT | USUBJID)), d))
  withr::with_options(list(contrasts = c(unordered = "contr.sum", ordered = "contr.poly")),
    expect_null(glycotrial:::mmrm_fast_frame(
      mmrm_formula(FEV1 ~ RACE + us(AVISIT | USUBJID)), d)))
  # a one-level factor: model.matrix()'s error, as before
  expect_error(mmrm_fit(FEV1 ~ ONE + us(AVISIT | USUBJID), d))
})

test_that("fits from the C++ design equal those from model.matrix()", {
  skip_if_not_installed("mmrm")
  fev <- fev_data()
  f <- FEV1 ~ RACE + SEX + ARMCD * AVISIT + us(AVISIT | USUBJID)
  a <- mmrm_fit(f, fev, df = "Satterthwaite")
  b <- withr::with_options(list(glycotrial.mmrm_fast_design = FALSE),
                           mmrm_fit(f, fev, df = "Satterthwaite"))
  expect_identical(coef(a), coef(b))
  expect_identical(vcov(a), vcov(b))
  expect_identical(a$terms, b$terms)
  expect_identical(summary(a)$coefficients, summary(b)$coefficients)
  nd <- fev[1:8, ]
  expect_identical(predict(a, nd), predict(b, nd))
})
