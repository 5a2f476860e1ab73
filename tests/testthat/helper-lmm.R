# Shared fixtures for the LMM tests.
lmm_tight_lmer <- function(formula, data, REML = TRUE) {
  lme4::lmer(formula, data, REML = REML,
             control = lme4::lmerControl(optimizer = "bobyqa",
                                         optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
}

# A small simulated trial: HbA1c (%) over visits with random intercepts and
# slopes, two arms.
lmm_sim_trial <- function(n = 60, visits = c(0, 12, 24, 36, 48), seed = 1) {
  set.seed(seed)
  id <- sprintf("S%03d", seq_len(n))
  arm <- rep(c("Placebo", "UC-MSC"), length.out = n)
  d <- expand.grid(AVISITN = visits, USUBJID = id, stringsAsFactors = FALSE)
  d$ARM <- factor(arm[match(d$USUBJID, id)], levels = c("Placebo", "UC-MSC"))
  b0 <- stats::rnorm(n, 0, 0.8)
  b1 <- stats::rnorm(n, 0, 0.01)
  k <- match(d$USUBJID, id)
  d$WEEK <- d$AVISITN
  d$AVISIT <- factor(paste("Week", d$AVISITN), levels = paste("Week", visits))
  d$AVAL <- 8.5 + b0[k] + (b1[k] - 0.01 * (d$ARM == "UC-MSC")) * d$WEEK + stats::rnorm(nrow(d), 0, 0.4)
  d
}

# Sites with subjects nested in them, AR(1) errors over nv visits: the data of
# the (1 | SITE) [+ (1 | USUBJID)] + ar1(AVISIT | USUBJID) tests. With
# sd_subject = 0 no subject effect is drawn (and none of the random stream used).
lmm_sim_site_ar1 <- function(seed, n_site = 8, n_per = 12, nv = 4, sd_subject = 0.3) {
  set.seed(seed)
  n <- n_site * n_per
  site <- rep(seq_len(n_site), each = n_per)
  d <- expand.grid(v = seq_len(nv), i = seq_len(n))
  u_site <- stats::rnorm(n_site, 0, 0.5)
  u_subj <- if (sd_subject > 0) stats::rnorm(n, 0, sd_subject) else numeric(n)
  e <- unlist(lapply(seq_len(n), function(i) as.numeric(stats::arima.sim(list(ar = 0.6), nv))))
  d$USUBJID <- factor(sprintf("S%03d", d$i))
  d$SITE <- factor(sprintf("site%02d", site[d$i]))
  d$ARM <- factor(rep(c("A", "B"), length.out = n)[d$i])
  d$AVISIT <- factor(paste0("V", d$v))
  d$t <- d$v
  d$AVAL <- 1 + 0.5 * (d$ARM == "B") + 0.2 * d$v + u_site[site[d$i]] + u_subj[d$i] + e
  d
}

# nlme::lme() settled tightly enough for comparisons at 1e-6 and below.
nlme_tight <- function() {
  nlme::lmeControl(opt = "optim", msMaxIter = 1000, tolerance = 1e-10, msTol = 1e-12)
}
