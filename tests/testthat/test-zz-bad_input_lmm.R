# Bad input to fit_lmm() / fit_joint() / predict(): classed errors that say
# what to do, and no silent drops.

bad_lmm_data <- function() {
  d <- adlb[adlb$PARAMCD == "HBA1C" & adlb$AVISITN > 0, ]
  d$AVISIT <- factor(d$AVISIT, levels = unique(d$AVISIT[order(d$AVISITN)]))
  d
}
bad_joint_data <- function() adlb[adlb$PARAMCD %in% c("HBA1C", "INSDOSEKG"), ]

test_that("single-level factors are refused with a classed error", {
  d <- bad_lmm_data()
  one_arm <- d[d$ARM == d$ARM[1], ]
  expect_error(fit_lmm(AVAL ~ ARM + AVISIT + (1 | USUBJID), one_arm),
               "at least 2", class = "glycotrial_error_single_level")
  expect_error(fit_lmm(AVAL ~ ARM + AVISIT + (1 | USUBJID), one_arm),
               class = "glycotrial_error_input")
  one_arm$SITE <- rep(1:4, length.out = nrow(one_arm))
  expect_error(fit_lmm(AVAL ~ ARM + (1 | SITE) + (1 | USUBJID), one_arm),
               class = "glycotrial_error_single_level")
  j <- bad_joint_data()
  expect_error(fit_joint(j[j$ARM == j$ARM[1], ]), class = "glycotrial_error_single_level")
  # one post-baseline visit: a factor AVISIT with one level
  j1 <- j[j$AVISITN %in% c(0, 48), ]
  expect_error(fit_joint(j1), class = "glycotrial_error_single_level")
  expect_error(fit_joint(j1, formula = ~ ARM + BASE, random = "slope"),
               class = "glycotrial_error_single_level")
})

test_that("list columns are refused", {
  d <- bad_lmm_data()
  d$L <- as.list(d$AVAL)
  expect_error(fit_lmm(L ~ ARM + (1 | USUBJID), d), "List column",
               class = "glycotrial_error_list_column")
  d$L <- NULL
  d$B <- as.list(d$BASE)
  expect_error(fit_lmm(AVAL ~ ARM + B + (1 | USUBJID), d), class = "glycotrial_error_list_column")
  j <- bad_joint_data()
  j$BASE <- as.list(j$BASE)
  expect_error(fit_joint(j), class = "glycotrial_error_list_column")
})

test_that("Inf covariates and responses are refused in fit_lmm", {
  d <- bad_lmm_data()
  d$BASE[3] <- Inf
  expect_error(fit_lmm(AVAL ~ ARM + BASE + (1 | USUBJID), d), "BASE",
               class = "glycotrial_error_nonfinite")
  d$SITE <- rep(1:5, length.out = nrow(d))
  expect_error(fit_lmm(AVAL ~ ARM + BASE + (1 | SITE) + (1 | USUBJID), d),
               class = "glycotrial_error_nonfinite")
  d <- bad_lmm_data()
  d$AVAL[2] <- -Inf
  expect_error(fit_lmm(AVAL ~ ARM + (1 | USUBJID), d), class = "glycotrial_error_nonfinite")
})

test_that("a constant (or exactly fitted) response is refused, not df ~ 0 and p NaN", {
  d <- bad_lmm_data()
  d$AVAL <- 5
  expect_error(fit_lmm(AVAL ~ ARM + (1 | USUBJID), d), class = "glycotrial_error_perfect_fit")
  d$AVAL <- 5 + 0.1 * d$AVISITN  # exactly linear in a covariate
  expect_error(fit_lmm(AVAL ~ ARM + AVISITN + (1 | USUBJID), d),
               class = "glycotrial_error_perfect_fit")
  d$SITE <- rep(1:5, length.out = nrow(d))
  expect_error(fit_lmm(AVAL ~ AVISITN + (1 | SITE) + (1 | USUBJID), d),
               class = "glycotrial_error_perfect_fit")
})

test_that("fit_joint on baseline-only, constant or character visit data", {
  j <- bad_joint_data()
  expect_error(fit_joint(j[j$AVISITN == 0, ]), "post-baseline",
               class = "glycotrial_error_no_postbaseline")
  jc <- j
  jc$AVISITN <- 12  # baseline and follow-up rows collapse onto one visit
  expect_error(fit_joint(jc), "one row per parameter and visit",
               class = "glycotrial_error_duplicate_visit")
  jc$AVISITN <- as.character(j$AVISITN)
  expect_error(fit_joint(jc), "must be numeric", class = "glycotrial_error_visit_type")
  jc$AVISITN <- factor(j$AVISITN)
  expect_error(fit_joint(jc), class = "glycotrial_error_visit_type")
})

test_that("fit_joint says which rows it drops for a missing ARM", {
  j <- bad_joint_data()
  subj <- j$USUBJID[1]
  j$ARM[j$USUBJID == subj] <- NA
  n_drop <- sum(j$USUBJID == subj & j$AVISITN > 0)
  expect_message(fit <- suppressWarnings(fit_joint(j)), "missing values in ARM",
                 class = "glycotrial_message_dropped_rows")
  cnd <- tryCatch(suppressWarnings(fit_joint(j)), glycotrial_message_dropped_rows = function(m) m)
  expect_equal(cnd$n_dropped, n_drop)
  # the estimates equal those of the data without the subject
  ref <- suppressWarnings(fit_joint(j[j$USUBJID != subj, ]))
  expect_equal(fixef(fit), fixef(ref))
  expect_error(suppressWarnings(fit_joint(j, na.action = "na.fail")), class = "glycotrial_error_input")
})

test_that("predict() with a new factor level or a missing column is a classed error", {
  d <- bad_lmm_data()
  fit <- fit_lmm(AVAL ~ ARM + AVISIT + (1 | USUBJID), d)
  nd <- d[1:3, ]
  nd$ARM[1] <- "Other"
  expect_error(predict(fit, newdata = nd), "not seen", class = "glycotrial_error_new_level")
  expect_error(predict(fit, newdata = nd, level = "population"),
               class = "glycotrial_error_new_level")
  nd <- d[1:3, ]
  nd$AVISIT <- NULL
  expect_error(predict(fit, newdata = nd), "AVISIT", class = "glycotrial_error_missing_column")
  d$SITE <- rep(1:5, length.out = nrow(d))
  fm <- suppressWarnings(fit_lmm(AVAL ~ ARM + AVISIT + (1 | SITE) + (1 | USUBJID), d))
  expect_error(predict(fm, newdata = nd), class = "glycotrial_error_missing_column")
  # known levels still predict
  expect_length(predict(fit, newdata = d[1:3, ]), 3)
})

test_that("offset() where it cannot be honoured and bad na.action are classed errors", {
  j <- bad_joint_data()
  j$o <- 0
  expect_error(fit_joint(j, formula = ~ ARM * AVISIT + BASE + offset(o)),
               class = "glycotrial_error_unsupported")
  expect_error(fit_lmm(AVAL ~ ARM + (1 | USUBJID), bad_lmm_data(), na.action = 3),
               class = "glycotrial_error_input")
})

test_that("a model pointer of another kind is a classed error, not a crash", {
  d <- bad_lmm_data()
  d$SITE <- rep(1:5, length.out = nrow(d))
  fm <- suppressWarnings(fit_lmm(AVAL ~ ARM + (1 | SITE) + (1 | USUBJID), d))
  sparse <- glycotrial:::lmm_sparse_ptr(fm)
  expect_error(glycotrial:::cpp_lmm_info(sparse), class = "glycotrial_error_input")
  expect_error(glycotrial:::cpp_lmm_sparse_resid_deviance(sparse, 1), class = "glycotrial_error_input")
  expect_error(glycotrial:::cpp_lmm_info(methods::new("externalptr")), class = "glycotrial_error_input")
})
