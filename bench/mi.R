# Conditional-mean imputation + jackknife under JR: glycotrial vs rbmi in one
# run (issue 20: target >= 50x). 300 subjects, 6 visits, unstructured
# covariance, 25 % dropout.
# Run from the package root: Rscript bench/mi.R [n_subjects]
suppressPackageStartupMessages({
  library(glycotrial)
  library(rbmi)
})
args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args)) as.integer(args[1]) else 300L
d <- mi_example_data(n = n, dropout = 0.25, n_visits = 6, seed = 2026)
ice <- attr(d, "data_ice")
v <- mi_example_vars()
ref <- c(TRT = "PBO", PBO = "PBO")

t_gly <- system.time(
  gly <- mi_reference_based(d, v, data_ice = ice, reference = ref, analysis_covariates = "BASE")
)[["elapsed"]]
t_gly2 <- system.time(
  gly2 <- mi_reference_based(d, v, data_ice = ice, reference = ref, analysis_covariates = "BASE",
                             n_threads = 2)
)[["elapsed"]]

d$USUBJID <- factor(d$USUBJID)
vars <- set_vars(outcome = "CHG", visit = "AVISIT", subjid = "USUBJID", group = "ARM",
                 covariates = v$covariates, strategy = "strategy")
t_rbmi <- system.time({
  dr <- draws(d, ice, vars, method_condmean(type = "jackknife"), quiet = TRUE)
  imp <- impute(dr, references = ref)
  an <- analyse(imp, ancova, vars = set_vars(outcome = "CHG", visit = "AVISIT", subjid = "USUBJID",
                                             group = "ARM", covariates = "BASE"))
  pl <- as.data.frame(pool(an))
})[["elapsed"]]
pl <- pl[grepl("^trt_", pl$parameter), ]
cat(sprintf("subjects %d, visits 6, dropout 25%%, JR, condmean + jackknife (%d refits)\n", n, n))
cat(sprintf("glycotrial 1 thread : %7.2f s\n", t_gly))
cat(sprintf("glycotrial 2 threads: %7.2f s\n", t_gly2))
cat(sprintf("rbmi                : %7.2f s\n", t_rbmi))
cat(sprintf("ratio rbmi / glycotrial (1 thread): %.1fx\n", t_rbmi / t_gly))
cat(sprintf("largest relative difference of estimates: %.2e, of SEs: %.2e (rbmi at mmrm's default tolerance)\n",
            max(abs(gly$results$estimate / pl$est - 1)), max(abs(gly$results$se / pl$se - 1))))
