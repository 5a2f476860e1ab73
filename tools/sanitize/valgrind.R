# Run by tools/sanitize/valgrind.sh inside `R -d valgrind`. Loading testthat
# and its dependencies under valgrind takes many minutes on a shared machine,
# so this script drives the compiled code directly: the Catch unit tests of
# the core (the same entry point test-zz-cpp.R uses) and representative calls of
# every glue family, including error paths (C++ exceptions unwinding through
# Rcpp into classed R conditions, a classic source of leaks). Areas that are
# not present in this build are skipped. Exits non-zero on any failure.
suppressPackageStartupMessages(library(glycotrial))
ns <- asNamespace("glycotrial")
failures <- 0L
step <- function(label, expr, error_class = NULL) {
  r <- tryCatch({ force(expr); NULL }, error = function(e) e)
  ok <- if (is.null(error_class)) is.null(r) else inherits(r, error_class)
  cat(sprintf("valgrind: %-55s %s\n", label, if (ok) "ok" else paste("FAILED:", conditionMessage(r))))
  if (!ok) failures <<- failures + 1L
}
has <- function(f) exists(f, envir = ns, inherits = FALSE)
# Post-baseline HbA1c changes of the shipped trial for the MMRM steps; us()
# needs the visit as a factor whose levels give the visit order.
hba1c_change <- function() {
  d <- subset(glycotrial::adlb, PARAMCD == "HBA1C" & AVISITN > 0 & !is.na(CHG))
  d$AVISIT <- factor(d$AVISIT, levels = unique(d$AVISIT[order(d$AVISITN)]))
  d
}

step("C++ unit tests (Catch)", stopifnot(isTRUE(.Call("run_testthat_tests", FALSE, PACKAGE = "glycotrial"))))
step("classed error from the core", glycotrial:::cpp_throw_for_test("input"), "glycotrial_error_input")
step("std exception from the core", glycotrial:::cpp_throw_for_test("std"), "error")
step("registry listing", glycotrial_plugins())
step("proportion CIs, all methods", prop_ci(c(0, 3, 10), 10, method = glycotrial:::prop_ci_methods))
step("difference CIs, all methods", diff_ci(3, 10, 1, 12, method = glycotrial:::diff_ci_methods))
step("ratio CIs", ratio_ci(c(0, 3), 10, c(2, 0), 12, measure = "or", method = glycotrial:::ratio_ci_methods))
step("Farrington-Manning", farrington_manning_test(3, 10, 1, 12, margin = 0.1))
step("bad counts -> classed error", prop_ci(11, 10), "glycotrial_error_input")
step("huge n -> classed error", prop_ci(1, 1e300), "glycotrial_error_input")
if (has("homa1_ir")) step("fasting indices", homa1_ir(c(5, 6, NA), c(10, 12, 8)))
if (has("matsuda")) step("OGTT curve index", matsuda(c(0, 30, 60, 90, 120), c(5, 8, 9, 8, 6), c(10, 40, 60, 50, 30)))
if (has("matsuda")) step("OGTT unsorted -> classed error",
                         matsuda(c(0, 60, 30), c(5, 8, 9), c(10, 40, 60)), "glycotrial_error")
if (has("cmh_test")) step("CMH test", cmh_test(c(3, 4), c(10, 12), c(1, 2), c(11, 12)))
if (has("fit_lmm")) step("fit_lmm random intercept", {
  d <- subset(glycotrial::adlb, PARAMCD == "HBA1C" & !is.na(AVAL))
  fit_lmm(AVAL ~ AVISIT + (1 | USUBJID), data = d)
})
if (has("fit_mmrm")) step("fit_mmrm us()", {
  d <- hba1c_change()
  mmrm_fit(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID), data = d)
})
if (has("fit_mmrm")) step("fit_mmrm bad formula -> classed error",
                          mmrm_fit(CHG ~ ARM, data = glycotrial::adlb), "glycotrial_error")
if (has("fit_mmrm")) step("fit_mmrm Kenward-Roger, empirical vcov, anova, lsmeans", {
  d <- hba1c_change()
  f <- mmrm_fit(CHG ~ ARM * AVISIT + BASE + ar1(AVISIT | USUBJID), data = d, df = "Kenward-Roger")
  anova(f)
  least_squares_means(f)
  mmrm_fit(CHG ~ ARM * AVISIT + BASE + cs(AVISIT | USUBJID), data = d, vcov = "Empirical",
           df = "Satterthwaite")
})
if (has("mmrm_data_chunks")) step("fit_mmrm moment route (threaded data pass over chunks)", {
  d <- hba1c_change()
  chunks <- split(d, d$USUBJID %in% unique(d$USUBJID)[1:40])
  mmrm_fit(CHG ~ ARM * AVISIT + BASE + us(AVISIT | USUBJID), data = mmrm_data_chunks(unname(chunks)))
})
if (has("fit_lmm")) step("fit_lmm Kenward-Roger summary", {
  d <- subset(glycotrial::adlb, PARAMCD == "HBA1C" & !is.na(AVAL))
  summary(fit_lmm(AVAL ~ AVISITN + (1 + AVISITN | USUBJID), data = d), ddf = "Kenward-Roger")
})
if (has("ae_by_term")) step("AE summary by SOC/PT and grade",
                            ae_by_term(glycotrial::adae, glycotrial::adsl, by = "grade"))
if (has("grade_lab")) step("CTCAE lab grading", grade_lab(glycotrial::adlb, missing_range = "ignore"))
cat(sprintf("valgrind smoke: %d failed\n", failures))
quit(status = if (failures > 0) 1L else 0L, save = "no")
