# Retrieved-dropout imputation (R/mi_retrieved.R) against a hand-built
# mmrm::mmrm fit of the same model and the closed-form conditional mean.

retrieved_data <- function(n = 120, seed = 4) {
  d <- mi_example_data(n = n, dropout = 0, seed = seed)
  ids <- unique(d$USUBJID)
  set.seed(seed)
  disc <- sample(ids, round(0.35 * n))
  first <- sample(2:4, length(disc), replace = TRUE)
  ice <- data.frame(USUBJID = disc, AVISIT = levels(d$AVISIT)[first], stringsAsFactors = FALSE)
  st <- mi_ice_treatment_status(d, ice)
  # off treatment the TRT benefit is lost: shift up by 0.5
  d$CHG <- d$CHG + 0.5 * st$OFFTRT * (d$ARM == "TRT")
  # about half the off-treatment outcomes are retrieved, the rest missing
  off <- which(st$OFFTRT == 1)
  d$CHG[off[stats::runif(length(off)) < 0.5]] <- NA
  list(d = d, ice = ice)
}

# mmrm's default stopping rule leaves ~1e-5 in the covariance; tightened, it
# reaches the same optimum as glycotrial's Newton steps (higher likelihood).
mmrm_tight <- function(f, data) {
  mmrm::mmrm(f, data = data, reml = TRUE,
             control = mmrm::mmrm_control(optimizer = "nlminb",
                                          optimizer_control = list(rel.tol = 1e-14, x.tol = 1e-14)))
}

test_that("the imputation model equals mmrm::mmrm on all observed outcomes incl. retrieved ones", {
  skip_if_not_installed("mmrm")
  r <- retrieved_data()
  v <- mi_example_vars()
  for (ia in c("arm", "none")) {
    fit <- mi_retrieved_dropout(r$d, v, r$ice, interaction = ia, analysis_covariates = "BASE")
    expect_s3_class(fit, "glycotrial_mi_retrieved")
    dd <- mi_ice_treatment_status(r$d, r$ice)
    dd$USUBJID <- factor(dd$USUBJID)
    off_term <- if (ia == "arm") "OFFTRT:ARM" else "OFFTRT"
    f <- stats::as.formula(paste("CHG ~ ARM + AVISIT + BASE*AVISIT + ARM*AVISIT +", off_term,
                                 "+ us(AVISIT | USUBJID)"))
    ref <- mmrm_tight(f, dd[!is.na(dd$CHG), ])
    b_ref <- stats::coef(ref)
    b <- fit$problem$fit$beta
    expect_setequal(names(b), names(b_ref))
    expect_equal(unname(b[names(b_ref)]), unname(b_ref), tolerance = 1e-6)
    expect_equal(unname(fit$problem$fit$sigma), unname(mmrm::VarCorr(ref)), tolerance = 1e-6)
  }
  # conditional mean of a subject with an observed and a missing off-treatment visit
  fit <- mi_retrieved_dropout(r$d, v, r$ice, analysis_covariates = "BASE")
  dd <- mi_ice_treatment_status(r$d, r$ice)
  dd$USUBJID <- factor(dd$USUBJID)
  ref <- mmrm_tight(CHG ~ ARM + AVISIT + BASE*AVISIT + ARM*AVISIT + OFFTRT:ARM + us(AVISIT | USUBJID),
                    dd[!is.na(dd$CHG), ])
  S <- mmrm::VarCorr(ref)
  imp <- mi_imputed_data(fit)
  cand <- unique(dd$USUBJID[dd$OFFTRT == 1 & is.na(dd$CHG)])
  cand <- cand[vapply(cand, function(s) any(dd$OFFTRT == 1 & !is.na(dd$CHG) & dd$USUBJID == s), TRUE)]
  s <- as.character(cand[1])
  rows <- dd[dd$USUBJID == s, ]
  X <- stats::model.matrix(~ ARM + AVISIT + BASE*AVISIT + ARM*AVISIT + OFFTRT:ARM, rows)
  mu <- drop(X[, names(stats::coef(ref))] %*% stats::coef(ref))
  o <- !is.na(rows$CHG)
  cm <- mu[!o] + S[!o, o, drop = FALSE] %*% solve(S[o, o], rows$CHG[o] - mu[o])
  got <- imp$CHG[imp$USUBJID == s][!o]
  expect_equal(got, unname(drop(cm)), tolerance = 1e-6)
  # the estimate is the ANCOVA of the imputed data at each visit
  w <- imp[imp$AVISIT == "WEEK16", ]
  w$BASE <- r$d$BASE[match(paste(w$USUBJID, w$AVISIT), paste(r$d$USUBJID, r$d$AVISIT))]
  expect_equal(fit$results$estimate[4], unname(stats::coef(stats::lm(CHG ~ BASE + ARM, w))["ARMTRT"]),
               tolerance = 1e-8)
})

test_that("time since discontinuation enters as the covariate TSD", {
  skip_if_not_installed("mmrm")
  r <- retrieved_data(seed = 5)
  fit <- mi_retrieved_dropout(r$d, mi_example_vars(), r$ice, off_treatment = "time",
                              interaction = "none")
  dd <- mi_ice_treatment_status(r$d, r$ice)
  dd$USUBJID <- factor(dd$USUBJID)
  ref <- mmrm_tight(CHG ~ ARM + AVISIT + BASE*AVISIT + ARM*AVISIT + TSD + us(AVISIT | USUBJID),
                    dd[!is.na(dd$CHG), ])
  expect_equal(unname(fit$problem$fit$beta["TSD"]), unname(stats::coef(ref)["TSD"]), tolerance = 1e-6)
})

test_that("bad input: no retrieved outcome in a cell, no events, derived columns present", {
  d <- mi_example_data(n = 40, seed = 2)
  ice <- attr(d, "data_ice")
  # every off-treatment outcome missing: nothing retrieved
  expect_error(mi_retrieved_dropout(d, mi_example_vars(), ice),
               class = "glycotrial_error_mi_retrieved", regexp = "No retrieved")
  expect_error(mi_retrieved_dropout(d, mi_example_vars(), NULL),
               class = "glycotrial_error_mi_retrieved")
  d$OFFTRT <- 0
  expect_error(mi_retrieved_dropout(d, mi_example_vars(), ice), class = "glycotrial_error_input",
               regexp = "OFFTRT")
})

test_that("random-draw imputation (approximate Bayes) from the retrieved-dropout model", {
  d <- mi_example_data(n = 120, seed = 2)
  ice <- attr(d, "data_ice")
  ice$AVISIT <- levels(d$AVISIT)[match(ice$AVISIT, levels(d$AVISIT)) - 1]
  cm <- mi_retrieved_dropout(d, mi_example_vars(), ice, analysis_covariates = "BASE")
  mi <- mi_retrieved_dropout(d, mi_example_vars(), ice, method = mi_approxbayes(100),
                             analysis_covariates = "BASE", seed = 3)
  expect_s3_class(mi, "glycotrial_mi_retrieved")
  # both estimate the same MAR-given-status mean: they differ by Monte-Carlo
  # error (5 Monte-Carlo standard errors as the bound)
  expect_true(all(abs(mi$results$estimate - cm$results$estimate) <= 5 * mi$results$mcse + 1e-8))
})
