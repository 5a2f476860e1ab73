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
