# Power of a trial design by simulation: simulate_trial() data sets analysed
# as in the primary analysis (the composite responder endpoint) and the key
# secondary analysis (the final-visit MMRM contrast), in parallel through
# future.apply with reproducible parallel RNG (future.seed) and progressr
# progress.

#' Power of a trial by simulation
#'
#' Simulates `nsim` trials with [simulate_trial()] and analyses each one:
#' * `"mmrm"`: an MMRM of the HbA1c change from baseline on the
#'   post-baseline visits, `CHG ~ BASE + AVISIT + AVISIT:ARM +
#'   us(AVISIT | USUBJID)` (arm coded with the control arm as reference),
#'   testing the arm difference at the final visit (two-sided, degrees of
#'   freedom `df`);
#' * `"composite"`: the composite responder endpoint at the final visit from
#'   [derive_responders()] (default rules), analysed with
#'   [responder_analysis()] (non-responder imputation); the trial is a
#'   success when the confidence interval of the primary risk difference
#'   (level `1 - alpha`) excludes 0.
#'
#' The simulations run through [future.apply::future_lapply()], so
#' `future::plan()` decides where (sequential by default, `multisession`
#' for local processes); random numbers come from L'Ecuyer-CMRG streams
#' (`future.seed = seed`), so results are reproducible and do not depend on
#' the number of workers. Progress: a cli progress bar in interactive
#' sessions (shown after 2 s), or your progressr handlers when you have set
#' them (`progressr::handlers()`, `progressr::with_progress()`).
#'
#' @param n Subjects per arm (a count, or one count per arm).
#' @param effect Difference in mean HbA1c change (percentage points) between
#'   the treatment (first) arm and the control arm at the final visit;
#'   negative values favour treatment. The control arm's mean change is
#'   `control_change`.
#' @param nsim Number of simulated trials.
#' @param endpoint Which analyses: any of `"mmrm"` and `"composite"`.
#' @param alpha Two-sided significance level.
#' @param control_change Mean HbA1c change in the control arm.
#' @param df Degrees-of-freedom method for the MMRM test (see [mmrm_fit()]).
#' @param seed Seed of the parallel random-number streams.
#' @param ... Further arguments to [simulate_trial()] (e.g. `dropout`,
#'   `missingness`, `visits`, `insulin_change`).
#' @return A data frame of class `glycotrial_power`, one row per endpoint:
#'   `endpoint`, `power`, `se` (binomial Monte-Carlo standard error),
#'   `lower`, `upper` (Wilson 95 % interval of the power), `nsim`,
#'   `n_failed` (analyses that failed, counted as non-significant), and the
#'   mean estimate; the per-simulation results are in attribute `sims`.
#' @references Lu K, Luo X, Chen P-Y (2008). Sample size estimation for
#'   repeated measures analysis in randomized clinical trials with missing
#'   data. International Journal of Biostatistics 4(1): Article 9 (the
#'   closed-form cross-check in the tests, via `longpower::power.mmrm()`).
#' @examples
#' pw <- power_trial(n = 20, effect = -0.8, nsim = 4, endpoint = "mmrm",
#'                   df = "Satterthwaite", seed = 1)
#' pw
#' @export
power_trial <- function(n, effect, nsim = 500L, endpoint = c("mmrm", "composite"),
                        alpha = 0.05, control_change = -0.7, df = "Kenward-Roger",
                        seed = 1L, ...) {
  check_count(n, lower = 2, len = NULL)
  check_number(effect)
  check_count(nsim, lower = 1, len = 1)
  check_size(nsim, 1e6, what = "simulated trials")
  check_size(sum(n), 1e7, arg = "n", what = "simulated subjects per trial")
  if (!is.character(endpoint) || !length(endpoint) || !all(endpoint %in% c("mmrm", "composite"))) {
    glycotrial_abort("{.arg endpoint} must be a subset of {.val {c('mmrm', 'composite')}}; found {.val {endpoint}}.")
  }
  endpoint <- unique(endpoint)
  check_number(alpha, lower = 0, upper = 1, open = TRUE)
  check_number(control_change)
  df <- check_choice(df, mmrm_df_methods, arg = "df")
  check_count(seed, len = 1L, lower = -.Machine$integer.max, arg = "seed")
  sim_args <- list(...)
  if (any(c("n", "hba1c_change", "seed") %in% names(sim_args))) {
    glycotrial_abort("{.arg ...} must not set {.arg n}, {.arg hba1c_change} or {.arg seed}; use {.arg n}, {.arg effect}, {.arg control_change} and {.arg seed} of {.fun power_trial}.")
  }
  sim_args$n <- n
  sim_args$hba1c_change <- c(control_change + effect, control_change)
  # validate the design once, here (errors from the workers would be late)
  probe <- do.call("simulate_trial", c(utils::modifyList(sim_args, list(n = 2L)), list(seed = 1L)))
  arms <- if (!is.null(sim_args$arms)) sim_args$arms else eval(formals(simulate_trial)$arms)
  one <- function(i, sim_args, endpoint, alpha, df, arms) {
    tr <- do.call("simulate_trial", sim_args)
    out <- list(sim = i)
    if ("mmrm" %in% endpoint) out$mmrm <- power_mmrm_one(tr, arms, alpha, df)
    if ("composite" %in% endpoint) out$composite <- power_composite_one(tr, arms, alpha)
    p()
    out
  }
  old_rng <- save_rng()
  on.exit(restore_rng(old_rng), add = TRUE)
  sims <- with_progress_bar(label = "Simulating trials", if (requireNamespace("future.apply", quietly = TRUE)) {
    p <- progress_ticker(nsim)
    future.apply::future_lapply(seq_len(nsim), one, sim_args = sim_args, endpoint = endpoint,
                                alpha = alpha, df = df, arms = arms, future.seed = seed)
  } else {
    p <- progress_ticker(nsim)
    set.seed(seed)
    lapply(seq_len(nsim), one, sim_args = sim_args, endpoint = endpoint, alpha = alpha,
           df = df, arms = arms)
  })
  rows <- lapply(endpoint, function(ep) {
    r <- do.call(rbind, lapply(sims, function(s) as.data.frame(s[[ep]])))
    sig <- r$significant
    sig[is.na(sig)] <- FALSE
    x <- sum(sig)
    ci <- power_wilson(x, nsim)
    data.frame(endpoint = ep, power = x / nsim, se = sqrt((x / nsim) * (1 - x / nsim) / nsim),
               lower = ci[1], upper = ci[2], nsim = nsim, n_failed = sum(is.na(r$significant)),
               mean_estimate = mean(r$estimate, na.rm = TRUE), stringsAsFactors = FALSE)
  })
  res <- do.call(rbind, rows)
  rownames(res) <- NULL
  attr(res, "sims") <- sims
  attr(res, "settings") <- list(n = n, effect = effect, alpha = alpha, df = df, seed = seed,
                                simulate = sim_args)
  class(res) <- c("glycotrial_power", "data.frame")
  res
}

power_wilson <- function(x, n, z = stats::qnorm(0.975)) {
  ph <- x / n
  c1 <- (ph + z^2 / (2 * n)) / (1 + z^2 / n)
  h <- z * sqrt(ph * (1 - ph) / n + z^2 / (4 * n^2)) / (1 + z^2 / n)
  c(c1 - h, c1 + h)
}

# The week-final MMRM contrast of one simulated trial.
power_mmrm_one <- function(tr, arms, alpha, df) {
  d <- tr$adlb[tr$adlb$PARAMCD == "HBA1C", , drop = FALSE]
  d <- d[d$AVISITN > 0 & !is.na(d$CHG), , drop = FALSE]
  vis <- sort(unique(d$AVISITN))
  d$AVISIT <- factor(d$AVISITN, levels = vis)
  d$ARM <- factor(d$ARM, levels = rev(arms[1:2]))
  d$USUBJID <- factor(d$USUBJID)
  res <- tryCatch({
    fit <- suppressWarnings(suppressMessages(
      mmrm_fit(CHG ~ BASE + AVISIT + AVISIT:ARM + us(AVISIT | USUBJID), data = d, df = df)))
    cname <- paste0("AVISIT", vis[length(vis)], ":ARM", arms[1])
    L <- as.numeric(names(fit$beta_est) == cname)
    tt <- mmrm_test_1d(fit, L)
    list(estimate = tt$est, se = tt$se, df = tt$df, p_value = tt$p_val,
         significant = tt$p_val < alpha)
  }, error = function(e) NULL)
  if (is.null(res)) res <- list(estimate = NA_real_, se = NA_real_, df = NA_real_,
                                p_value = NA_real_, significant = NA)
  res
}

# The composite responder endpoint of one simulated trial.
power_composite_one <- function(tr, arms, alpha) {
  res <- tryCatch({
    rsp <- suppressWarnings(suppressMessages(
      derive_responders(tr$adlb, tr$adsl, visit = tr$adlb$AVISIT[which.max(tr$adlb$AVISITN)])))
    ra <- suppressWarnings(suppressMessages(
      responder_analysis(rsp, arm = "ARM", treatment = arms[1], control = arms[2],
                         conf_level = 1 - alpha)))
    dd <- ra$difference
    list(estimate = dd$estimate[1], se = NA_real_, df = NA_real_, p_value = NA_real_,
         significant = dd$lower[1] > 0 || dd$upper[1] < 0)
  }, error = function(e) NULL)
  if (is.null(res)) res <- list(estimate = NA_real_, se = NA_real_, df = NA_real_,
                                p_value = NA_real_, significant = NA)
  res
}

#' @export
print.glycotrial_power <- function(x, ...) {
  s <- attr(x, "settings")
  cat(sprintf("<glycotrial_power> %d simulated trials, n = %s per arm, effect = %g, alpha = %g\n",
              x$nsim[1], paste(s$n, collapse = "/"), s$effect, s$alpha))
  df <- as.data.frame(unclass(x))[, c("endpoint", "power", "se", "lower", "upper", "n_failed")]
  print(format(df, digits = 3), row.names = FALSE)
  invisible(x)
}
