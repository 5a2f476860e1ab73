# Benchmark: fit_lmm() vs lme4::lmer and nlme::lme on simulated trial data
# with 10,000 subjects (visits 0, 12, 24, 36, 48 weeks, ~8% intermittent
# missingness), random intercept and slope; and random intercept + slope with
# AR(1) residuals vs nlme::lme (the only reference with both). One run each;
# prints elapsed seconds and ratios (reference / glycotrial).
suppressPackageStartupMessages({
  library(glycotrial)
})
n <- as.integer(Sys.getenv("GLYCOTRIAL_BENCH_N", "10000"))
set.seed(42)
visits <- c(0, 12, 24, 36, 48)
id <- sprintf("S%05d", seq_len(n))
d <- expand.grid(AVISITN = visits, USUBJID = id, stringsAsFactors = FALSE)
k <- match(d$USUBJID, id)
d$ARM <- factor(ifelse(k %% 2 == 0, "UC-MSC", "Placebo"))
b0 <- rnorm(n, 0, 0.8); b1 <- rnorm(n, 0, 0.01)
d$AVAL <- 8.5 + b0[k] + (b1[k] - 0.01 * (d$ARM == "UC-MSC")) * d$AVISITN + rnorm(nrow(d), 0, 0.4)
d <- d[!(d$AVISITN > 0 & runif(nrow(d)) < 0.08), ]
d$AVISIT <- factor(d$AVISITN)
d$VIS <- as.integer(d$AVISIT)
cat(sprintf("%d subjects, %d observations\n", n, nrow(d)))

# CPU time (user + system) of this process: the machine is shared, so
# elapsed time is noisy; all three packages run single-threaded here.
time <- function(expr) {
  st <- system.time(r <- expr)
  list(t = st[["user.self"]] + st[["sys.self"]], elapsed = st[["elapsed"]], r = r)
}
fm <- AVAL ~ ARM * AVISITN + (1 + AVISITN | USUBJID)
g <- time(fit_lmm(fm, d))
l <- time(lme4::lmer(fm, d))
nl <- time(nlme::lme(AVAL ~ ARM * AVISITN, random = ~ 1 + AVISITN | USUBJID, data = d))
cat(sprintf("random intercept + slope: CPU glycotrial %.2fs, lme4 %.2fs, nlme %.2fs (elapsed %.2f, %.2f, %.2f)\n",
            g$t, l$t, nl$t, g$elapsed, l$elapsed, nl$elapsed))
cat(sprintf("  ratio lme4/glycotrial = %.1f, nlme/glycotrial = %.1f\n", l$t / g$t, nl$t / g$t))
cat(sprintf("  logLik glycotrial %.4f, lme4 %.4f, nlme %.4f\n", logLik(g$r), logLik(l$r), logLik(nl$r)))

ga <- time(fit_lmm(AVAL ~ ARM * AVISITN + (1 + AVISITN | USUBJID) + ar1(AVISIT | USUBJID), d))
na <- time(nlme::lme(AVAL ~ ARM * AVISITN, random = ~ 1 + AVISITN | USUBJID, data = d,
                     correlation = nlme::corAR1(form = ~ VIS | USUBJID)))
cat(sprintf("+ AR(1) residuals: glycotrial %.2fs, nlme %.2fs, ratio nlme/glycotrial = %.1f\n",
            ga$t, na$t, na$t / ga$t))
cat(sprintf("  logLik glycotrial %.4f, nlme %.4f\n", logLik(ga$r), logLik(na$r)))

# Several grouping factors: crossed random intercepts (subjects x sites) with
# a random slope per subject, ~10,000 observations, vs lme4::lmer.
set.seed(7)
nc <- as.integer(Sys.getenv("GLYCOTRIAL_BENCH_CROSSED_N", "10000"))
ns <- 500; nsite <- 40
dc <- data.frame(subj = sprintf("s%03d", sample.int(ns, nc, replace = TRUE)),
                 site = sprintf("c%02d", sample.int(nsite, nc, replace = TRUE)),
                 x = rnorm(nc))
bs <- matrix(rnorm(2 * ns), ns) %*% diag(c(0.8, 0.3))
bc <- rnorm(nsite, 0, 0.5)
ks <- as.integer(factor(dc$subj, levels = sprintf("s%03d", seq_len(ns))))
dc$y <- 1 + 0.4 * dc$x + bs[ks, 1] + bs[ks, 2] * dc$x + bc[as.integer(factor(dc$site))] +
  rnorm(nc, 0, 0.6)
fc <- y ~ x + (1 + x | subj) + (1 | site)
gc <- time(fit_lmm(fc, dc))
lc <- time(lme4::lmer(fc, dc))
cat(sprintf("crossed (%d obs, %d subjects x %d sites): CPU glycotrial %.2fs, lme4 %.2fs, ratio lme4/glycotrial = %.1f\n",
            nc, ns, nsite, gc$t, lc$t, lc$t / gc$t))
cat(sprintf("  logLik glycotrial %.6f, lme4 %.6f\n", logLik(gc$r), logLik(lc$r)))
