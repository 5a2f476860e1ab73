# Before/after check of the inference redesign (issue 16): the df, adjusted
# covariances and tests of MMRM, LMM (one and several grouping factors) and
# the emmeans methods, computed with the library holding the code before
# (default /work/lib/baseline) and with the current one, must agree to 1e-10
# (relative). Usage:
#   Rscript tools/compare-inference-baseline.R [baseline_lib] [new_lib]
args <- commandArgs(TRUE)
base_lib <- if (length(args) >= 1) args[1] else "/work/lib/baseline"
new_lib <- if (length(args) >= 2) args[2] else .libPaths()[1]

collect <- function() {
  suppressPackageStartupMessages(library(glycotrial))
  out <- list()
  put <- function(name, x) out[[name]] <<- unlist(x)
  fev <- mmrm::fev_data
  fit_m <- if (exists("mmrm_fit", asNamespace("glycotrial"))) glycotrial::mmrm_fit else glycotrial::fit_mmrm
  f <- FEV1 ~ RACE + SEX + ARMCD * AVISIT + us(AVISIT | USUBJID)
  for (df in c("Kenward-Roger", "Kenward-Roger-Linear", "Satterthwaite", "Between-Within", "Residual")) {
    g <- suppressWarnings(fit_m(f, fev, df = df))
    s <- summary(g)$coefficients
    put(paste("mmrm", df, "coef"), s[, c("Std. Error", "df", "Pr(>|t|)")])
    a <- anova(g)
    put(paste("mmrm", df, "anova"), a[, vapply(a, is.numeric, TRUE)])
    lsm <- tryCatch(least_squares_means(g, "ARMCD", by = "AVISIT"), error = function(e) NULL)
    if (!is.null(lsm)) put(paste("mmrm", df, "lsmeans"), lsm[vapply(lsm, is.numeric, TRUE)])
    if (requireNamespace("emmeans", quietly = TRUE)) {
      em <- as.data.frame(emmeans::emmeans(g, ~ ARMCD | AVISIT))
      put(paste("mmrm", df, "emmeans"), em[c("SE", "df")])
    }
  }
  for (v in c("Empirical", "Empirical-Jackknife", "Empirical-Bias-Reduced")) {
    g <- suppressWarnings(fit_m(f, fev, df = "Satterthwaite", vcov = v))
    put(paste("mmrm", v, "coef"), summary(g)$coefficients[, c("Std. Error", "df")])
    a <- anova(g)
    put(paste("mmrm", v, "anova"), a[, vapply(a, is.numeric, TRUE)])
  }
  ss <- lme4::sleepstudy
  fl <- fit_lmm(Reaction ~ Days + (1 + Days | Subject), ss)
  for (ddf in c("Satterthwaite", "Kenward-Roger", "residual")) {
    put(paste("lmm", ddf, "coef"), tidy(fl, effects = "fixed", ddf = ddf)[c("std.error", "df", "p.value")])
    put(paste("lmm", ddf, "contrast"), lmm_contrast(fl, rbind(c(1, 0), c(1, 5)), ddf = ddf)[c("F", "den_df", "p.value")])
    put(paste("lmm", ddf, "anova"), anova(fl, ddf = ddf)[, c("F value", "DenDF")])
  }
  fl2 <- fit_lmm(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), ss)
  put("lmm multi coef", tidy(fl2, effects = "fixed")[c("std.error", "df")])
  if (requireNamespace("emmeans", quietly = TRUE)) {
    for (mode in c("satterthwaite", "kenward-roger")) {
      em <- as.data.frame(emmeans::emmeans(fl, ~ Days, at = list(Days = c(0, 4, 9)), mode = mode))
      put(paste("lmm emmeans", mode), em[c("SE", "df")])
    }
  }
  out
}

run <- function(lib) callr::r(collect, libpath = c(lib, .libPaths()))
before <- run(base_lib)
after <- run(new_lib)
stopifnot(identical(names(before), names(after)))
worst <- vapply(names(before), function(n) {
  b <- before[[n]]; a <- after[[n]]
  if (length(a) != length(b)) return(Inf)
  ok <- is.finite(b) & is.finite(a)
  if (!identical(is.finite(b), is.finite(a))) return(Inf)
  if (!any(ok)) return(0)
  max(abs(a[ok] - b[ok]) / pmax(abs(b[ok]), 1e-8))
}, numeric(1))
print(data.frame(quantity = names(worst), max_rel_diff = signif(worst, 3)), row.names = FALSE)
if (any(worst > 1e-10)) stop("before/after differ by more than 1e-10: ", paste(names(worst)[worst > 1e-10], collapse = ", "))
cat("all", length(worst), "quantities agree to 1e-10\n")
