# Several grouping factors + ar1 residual structure (R/lmm_sparse_residual.R)
# vs nlme::lme(random = ~ 1 | SITE/USUBJID, corAR1): 40 sites x 50 subjects x
# 5 visits (10,000 rows); one run, elapsed seconds and the ratio.
library(glycotrial)
set.seed(1)
ns <- 40; nsub <- 50; nv <- 5
d <- expand.grid(AVISIT = paste0("V", 1:nv), sub = 1:nsub, SITE = paste0("S", 1:ns), stringsAsFactors = FALSE)
d$USUBJID <- paste(d$SITE, d$sub, sep = "-"); d$ARM <- ifelse(d$sub %% 2 == 0, "A", "B")
d$t <- as.integer(factor(d$AVISIT))
d$y <- 1 + 0.3 * d$t + rnorm(ns, 0, .8)[as.integer(factor(d$SITE))] + rnorm(ns*nsub)[as.integer(factor(d$USUBJID))] +
  unlist(lapply(1:(ns*nsub), function(i) as.numeric(arima.sim(list(ar = .5), nv)) * .7))
t1 <- system.time(f <- fit_lmm(y ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID) + ar1(AVISIT | USUBJID), d))[["elapsed"]]
t2 <- system.time(m <- nlme::lme(y ~ ARM * AVISIT, random = ~ 1 | SITE/USUBJID, data = d, correlation = nlme::corAR1(form = ~ t | SITE/USUBJID)))[["elapsed"]]
cat("n", nrow(d), "glycotrial", t1, "s; nlme", t2, "s; ratio glycotrial/nlme", round(t1/t2, 2), "; dlogLik", f$logLik - as.numeric(logLik(m)), "; converged", f$converged, "; starts", nrow(f$optinfo$starts), "\n")
# a small data set (8 sites x 12 subjects x 4 visits), 5 repetitions
small <- function(seed) {
  set.seed(seed)
  n <- 96; site <- rep(1:8, each = 12)
  s <- expand.grid(v = 1:4, i = 1:n)
  s$USUBJID <- factor(s$i); s$SITE <- factor(site[s$i]); s$ARM <- factor(s$i %% 2)
  s$AVISIT <- factor(paste0("V", s$v)); s$t <- s$v
  s$y <- 0.2 * s$v + rnorm(8, 0, .5)[site[s$i]] + rnorm(n, 0, .3)[s$i] +
    unlist(lapply(1:n, function(i) as.numeric(arima.sim(list(ar = .6), 4))))
  s
}
ds <- lapply(1:5, small)
t1 <- system.time(for (s in ds) suppressWarnings(fit_lmm(y ~ ARM * AVISIT + (1 | SITE) + (1 | USUBJID) + ar1(AVISIT | USUBJID), s)))[["elapsed"]]
t2 <- system.time(for (s in ds) nlme::lme(y ~ ARM * AVISIT, random = list(SITE = ~1, USUBJID = ~1), data = s, correlation = nlme::corAR1(form = ~ t | SITE/USUBJID)))[["elapsed"]]
cat("n", nrow(ds[[1]]), "x 5 fits: glycotrial", t1, "s; nlme", t2, "s; ratio glycotrial/nlme", round(t1/t2, 2), "\n")
