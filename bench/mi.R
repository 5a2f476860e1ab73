# Conditional-mean imputation + jackknife under JR: glycotrial vs rbmi in one
# run (issue 20: target >= 50x). 300 subjects, 6 visits, unstructured
# covariance, 25 % dropout.
# Run from the package root: Rscript bench/mi.R [n_subjects]
suppressPackageStartupMessages({
  library(glycotrial)
  library(rbmi)
})
# CPU seconds (user + sys) of this process, which the machine's load
# inflates far less than elapsed time; elapsed is printed too.
cpu <- function(expr) {
  t <- system.time(expr)
  c(cpu = t[["user.self"]] + t[["sys.self"]], elapsed = t[["elapsed"]])
}
args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args)) as.integer(args[1]) else 300L
d <- mi_example_data(n = n, dropout = 0.25, n_visits = 6, seed = 2026)
ice <- attr(d, "data_ice")
v <- mi_example_vars()
ref <- c(TRT = "PBO", PBO = "PBO")

t_gly <- cpu(
  gly <- mi_reference_based(d, v, data_ice = ice, reference = ref, analysis_covariates = "BASE")
)
t_gly2 <- cpu(
  gly2 <- mi_reference_based(d, v, data_ice = ice, reference = ref, analysis_covariates = "BASE",
                             n_threads = 2)
)

d$USUBJID <- factor(d$USUBJID)
vars <- set_vars(outcome = "CHG", visit = "AVISIT", subjid = "USUBJID", group = "ARM",
                 covariates = v$covariates, strategy = "strategy")
t_rbmi <- cpu({
  dr <- draws(d, ice, vars, method_condmean(type = "jackknife"), quiet = TRUE)
  imp <- impute(dr, references = ref)
  an <- analyse(imp, ancova, vars = set_vars(outcome = "CHG", visit = "AVISIT", subjid = "USUBJID",
                                             group = "ARM", covariates = "BASE"))
  pl <- as.data.frame(pool(an))
})
pl <- pl[grepl("^trt_", pl$parameter), ]
cat(sprintf("subjects %d, visits 6, dropout 25%%, JR, condmean + jackknife (%d refits)\n", n, n))
cat(sprintf("glycotrial 1 thread : CPU %7.2f s, elapsed %7.2f s\n", t_gly[1], t_gly[2]))
cat(sprintf("glycotrial 2 threads: elapsed %7.2f s\n", t_gly2[2]))
cat(sprintf("rbmi                : CPU %7.2f s, elapsed %7.2f s\n", t_rbmi[1], t_rbmi[2]))
cat(sprintf("ratio rbmi / glycotrial (1 thread): CPU %.1fx, elapsed %.1fx (target >= 50x)\n",
            t_rbmi[1] / t_gly[1], t_rbmi[2] / t_gly[2]))
cat(sprintf("largest relative difference of estimates: %.2e, of SEs: %.2e (rbmi at mmrm's default tolerance)\n",
            max(abs(gly$results$estimate / pl$est - 1)), max(abs(gly$results$se / pl$se - 1))))
