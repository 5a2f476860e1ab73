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

# Bootstrapped ML imputation (von Hippel & Bartlett), B = 1,000 samples x
# D = 2 draws under JR, same data. rbmi takes minutes for B = 1,000, so it is
# run with B_rbmi samples (third argument, default 100) and its time scaled
# linearly to 1,000 (each bootstrap sample costs one MMRM fit, D imputations
# and D analyses in rbmi, so its time is linear in B).
B_rbmi <- if (length(args) >= 2) as.integer(args[2]) else 100L
t_bml <- cpu(
  bml <- mi_reference_based(d, v, data_ice = ice, reference = ref, analysis_covariates = "BASE",
                            method = mi_bmlmi(B = 1000, D = 2), seed = 1)
)
t_bml2 <- cpu(
  bml2 <- mi_reference_based(d, v, data_ice = ice, reference = ref, analysis_covariates = "BASE",
                             method = mi_bmlmi(B = 1000, D = 2), seed = 1, n_threads = 2)
)
stopifnot(identical(bml$results, bml2$results))
set.seed(1)
t_rbmi_bml <- cpu({
  dr <- draws(d, ice, vars, method_bmlmi(B = B_rbmi, D = 2), quiet = TRUE)
  imp <- impute(dr, references = ref)
  an <- analyse(imp, ancova, vars = set_vars(outcome = "CHG", visit = "AVISIT", subjid = "USUBJID",
                                             group = "ARM", covariates = "BASE"))
  plb <- as.data.frame(pool(an))
})
scale <- 1000 / B_rbmi
cat(sprintf("\nbootstrapped ML, B = 1000 x D = 2, JR (rbmi run with B = %d, time x %.0f)\n", B_rbmi, scale))
cat(sprintf("glycotrial 1 thread : CPU %7.2f s, elapsed %7.2f s\n", t_bml[1], t_bml[2]))
cat(sprintf("glycotrial 2 threads: elapsed %7.2f s (identical results)\n", t_bml2[2]))
cat(sprintf("rbmi (B = %d)       : CPU %7.2f s, elapsed %7.2f s; scaled to B = 1000: CPU %7.1f s\n",
            B_rbmi, t_rbmi_bml[1], t_rbmi_bml[2], scale * t_rbmi_bml[1]))
cat(sprintf("ratio rbmi / glycotrial (1 thread, rbmi scaled): CPU %.1fx, elapsed %.1fx (target >= 50x)\n",
            scale * t_rbmi_bml[1] / t_bml[1], scale * t_rbmi_bml[2] / t_bml[2]))
plb <- plb[grepl("^trt_", plb$parameter), ]
cat("estimates (glycotrial B = 1000 vs rbmi B = ", B_rbmi, "):\n", sep = "")
print(data.frame(visit = bml$results$visit, glycotrial = bml$results$estimate,
                 mcse = bml$results$mcse, rbmi = plb$est, se = bml$results$se, se_rbmi = plb$se))
