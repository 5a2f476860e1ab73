#' Joint (bivariate) longitudinal model of HbA1c and insulin dose
#'
#' Fits two longitudinal responses (by default HbA1c and log insulin dose per
#' kg) in one linear mixed model: response-specific fixed effects, random
#' effects per response that are correlated across responses, and a residual
#' covariance `U (x) C` per subject, with `U` the 2 x 2 cross-response
#' residual covariance (unstructured, or diagonal for independent residuals)
#' and `C` the identity or an AR(1) correlation over visits. The stacked model
#' is fitted by the [fit_lmm()] core, so every method of `glycotrial_lmm`
#' applies. The model then gives, per arm, the probability of the composite
#' endpoint (HbA1c below `hba1c_below` and a dose reduction of at least
#' `dose_reduction` from baseline) at `target_visit`, averaged over the
#' subjects' own covariates and baseline doses with the arm set to each arm
#' (standardisation), with a delta-method confidence interval on the logit
#' scale (beta and the variance parameters asymptotically independent).
#'
#' Rows are the post-baseline visits (`visit > 0`) of both parameters; the
#' response and the baseline column (`base`) are transformed with the
#' response's transform, so `BASE` in `formula` means the transformed
#' baseline of that response. Fixed effects are named `<param>:<column>`.
#'
#' @param data Long ADaM-style data (e.g. `adlb`).
#' @param formula One-sided formula of the fixed effects, used for each
#'   response (default `~ ARM * AVISIT + BASE`).
#' @param params Parameter codes of the two responses.
#' @param transform Transforms of the two responses: `"identity"` or `"log"`.
#' @param random `"intercept"` (correlated random intercepts) or `"slope"`
#'   (correlated random intercepts and slopes in `visit`, in weeks / 48).
#' @param residual `"correlated"` (unstructured `U`) or `"independent"`.
#' @param time_cor `"none"` or `"ar1"` correlation of residuals over visits.
#' @param target_visit Visit (value of `visit`) for the composite.
#' @param hba1c_below Threshold of the first response (original units).
#' @param dose_reduction Required relative reduction of the second response
#'   from its baseline (0.5 = at least 50 %).
#' @param conf_level Confidence level.
#' @param reml Logical; REML (default) or ML.
#' @param weights Optional observation weights: `NULL` (none), the name of a
#'   column of `data` or a numeric vector with one value per row of `data`;
#'   they must be positive and finite on the rows used (post-baseline rows of
#'   the two parameters). As in [fit_lmm()], a subject's residual covariance
#'   becomes `W^{-1/2} (U (x) C) W^{-1/2}` (as `nlme::lme(weights =
#'   varFixed(~ 1/w))`) and the log-likelihood includes `sum(log(w)) / 2`;
#'   the composite probability and its bootstrap use the unweighted residual
#'   covariance `U (x) C` of a new observation (weight 1).
#' @param subject,arm,paramcd,aval,base,visit Column names. `visit` must be
#'   numeric (e.g. ADaM `AVISITN`; rows with `visit <= 0` are baseline).
#' @param na.action As in [fit_lmm()]: `"na.omit"` (default), `"na.exclude"`
#'   or `"na.fail"`. Rows of the two parameters dropped for missing values
#'   (e.g. a missing `ARM`) are reported in a message of class
#'   `glycotrial_message_dropped_rows`. `fitted()` and `residuals()` follow
#'   the rows of `data` (named by its row names); with `"na.exclude"` they
#'   have one element per row of `data`, `NA` where the row is not modelled
#'   (baseline, other parameters, missing values).
#' @return An object of class `c("glycotrial_joint", "glycotrial_lmm")` with
#'   additionally `joint`: a list with `cor_random` (correlation matrix of
#'   the random effects), `cor_residual` (cross-response residual
#'   correlation), `composite` (data frame: arm, probability, lower, upper,
#'   and the difference between the arms) and the settings.
#' @examples
#' fit <- fit_joint(adlb)
#' fit$joint$composite
#' fit$joint$cor_random
#' @export
fit_joint <- function(data, formula = ~ ARM * AVISIT + BASE, params = c("HBA1C", "INSDOSEKG"),
                      transform = c("identity", "log"), random = c("intercept", "slope"),
                      residual = c("correlated", "independent"), time_cor = c("none", "ar1"),
                      target_visit = 48, hba1c_below = 7, dose_reduction = 0.5,
                      conf_level = 0.95, reml = TRUE, weights = NULL, subject = "USUBJID",
                      arm = "ARM", paramcd = "PARAMCD", aval = "AVAL", base = "BASE",
                      visit = "AVISITN", na.action = "na.omit") {
  cl <- match.call()
  data <- visit_order_for_fit(formula, data, order_default = visit)  # AVISIT levels by AVISITN (R/visit_order.R)
  check_data_frame(data, cols = c(subject, arm, paramcd, aval, visit))
  na_action <- lmm_na_action_name(na.action)
  joint_check_visit(data[[visit]], visit)
  lmm_check_atomic_columns(data, intersect(c(all.vars(formula), subject, arm, aval, base, visit),
                                           names(data)))
  if (!inherits(formula, "formula") || length(formula) != 2) {
    glycotrial_abort("{.arg formula} must be a one-sided formula, not {describe_value(formula)}.")
  }
  if (!is.character(params) || length(params) != 2 || anyNA(params) || params[1] == params[2]) {
    glycotrial_abort("{.arg params} must be two different parameter codes, not {describe_value(params)}.")
  }
  if (!is.character(transform) || length(transform) != 2 ||
      !all(transform %in% c("identity", "log"))) {
    glycotrial_abort("{.arg transform} must be two of {.val identity} / {.val log}, not {describe_value(transform)}.")
  }
  random <- check_choice(random[1], c("intercept", "slope"), arg = "random")
  residual <- check_choice(residual[1], c("correlated", "independent"), arg = "residual")
  time_cor <- check_choice(time_cor[1], c("none", "ar1"), arg = "time_cor")
  check_number(target_visit)
  check_number(hba1c_below)
  check_number(dose_reduction, lower = 0, upper = 1, open = TRUE)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  check_flag(reml)
  uses_base <- base %in% all.vars(formula)
  if (uses_base && !base %in% names(data)) {
    glycotrial_abort("{.arg data} lacks the baseline column {.field {base}} used in {.arg formula}.")
  }
  if (!base %in% names(data)) {
    glycotrial_abort("{.arg data} lacks the baseline column {.field {base}} needed for the dose reduction.")
  }
  miss_p <- setdiff(params, unique(data[[paramcd]]))
  if (length(miss_p)) {
    glycotrial_abort("{.arg data} has no rows with {.field {paramcd}} {.val {miss_p}}.")
  }
  if (anyNA(data[[subject]])) {
    glycotrial_abort("The subject column {.field {subject}} has missing values.")
  }
  tf <- function(x, k, what) {
    if (transform[k] == "identity") return(x)
    bad <- !is.na(x) & x <= 0
    if (any(bad)) {
      glycotrial_abort(c("{.val {params[k]}} {what} must be positive for the log transform.",
                         "x" = "Found {sum(bad)} non-positive value{?s}."), call = NULL)
    }
    log(x)
  }
  d <- as.data.frame(data)
  d$.w <- joint_weights(weights, data)
  d$.row <- seq_len(nrow(d))
  d <- d[d[[paramcd]] %in% params & !is.na(d[[visit]]) & d[[visit]] > 0, , drop = FALSE]
  if (!nrow(d)) {
    glycotrial_abort(c("{.arg data} has no post-baseline rows ({.field {visit}} > 0) of {.val {params}}.",
                       "i" = "The joint model needs follow-up visits; baseline-only data cannot be fitted. Check {.field {visit}} (baseline is {.field {visit}} <= 0)."),
                     class = c("glycotrial_error_no_postbaseline", "input"))
  }
  d$.resp <- match(d[[paramcd]], params) - 1L
  d$.y <- NA_real_
  for (k in 1:2) {
    rk <- d$.resp == k - 1
    d$.y[rk] <- tf(d[[aval]][rk], k, "values")
    d[[base]][rk] <- tf(d[[base]][rk], k, "baselines")
  }
  vars <- unique(c(all.vars(formula), ".y", subject, visit, arm))
  miss <- setdiff(vars, names(d))
  if (length(miss)) glycotrial_abort("{.arg data} lacks column{?s} {.field {miss}} used in {.arg formula}.")
  lmm_check_atomic_columns(d, vars)
  cc <- stats::complete.cases(d[, vars, drop = FALSE])
  incomplete <- d$.row[!cc]
  if (length(incomplete)) {
    na_cols <- vars[vapply(vars, function(v) anyNA(d[[v]][!cc]), logical(1))]
    na_cols[na_cols == ".y"] <- aval
    if (na_action != "na.fail") {
      glycotrial_inform_dropped(incomplete, what = "rows of `data`",
                                reason = paste("missing values in", paste(unique(na_cols), collapse = ", ")),
                                class = "glycotrial_message_dropped_rows")
    }
  }
  d <- d[cc, , drop = FALSE]
  if (!is.null(weights)) {
    bad <- is.na(d$.w) | !is.finite(d$.w) | d$.w <= 0
    if (any(bad)) {
      glycotrial_abort(c("{.arg weights} must be positive and finite on the rows used (post-baseline rows of {.val {params}}).",
                         "x" = "Found {format(d$.w[bad][1])} at row {d$.row[bad][1]} of {.arg data} ({sum(bad)} bad value{?s})."))
    }
  }
  subj <- factor(d[[subject]])
  if (nlevels(subj) < 2) glycotrial_abort("{.arg data} must contain at least 2 subjects.")
  vis_levels <- sort(unique(d[[visit]]))
  if (length(vis_levels) < 2 && (random == "slope" || time_cor == "ar1")) {
    glycotrial_abort(c("{.field {visit}} takes one post-baseline value ({vis_levels}); a random slope or an ar1 correlation over visits needs at least 2 visits.",
                       "i" = "Use {.code random = \"intercept\", time_cor = \"none\"}, or check {.field {visit}}."),
                     class = c("glycotrial_error_single_level", "input"))
  }
  d$.vis <- match(d[[visit]], vis_levels) - 1
  ord <- order(as.integer(subj), d$.resp, d$.vis)
  d <- d[ord, , drop = FALSE]
  subj <- subj[ord]
  if (anyDuplicated(paste(subj, d$.resp, d$.vis))) {
    k <- which(duplicated(paste(subj, d$.resp, d$.vis)))[1]
    glycotrial_abort(c("Each subject may have at most one row per parameter and visit.",
                       "x" = "Subject {.val {as.character(subj[k])}} has several {.val {params[d$.resp[k] + 1]}} rows at {.field {visit}} = {d[[visit]][k]}.",
                       "i" = "Check {.field {visit}} (one value per visit, baseline <= 0) and remove duplicated records (e.g. keep the analysis flag {.field ANL01FL} rows)."),
                     class = c("glycotrial_error_duplicate_visit", "input"))
  }

  tt <- stats::terms(formula, data = d)
  lmm_refuse_offset(tt, "{.fn fit_joint}")
  mf <- stats::model.frame(tt, d, na.action = stats::na.pass, drop.unused.levels = TRUE)
  lmm_check_factor_levels(tt, mf)
  mm <- stats::model.matrix(tt, mf)
  r1 <- d$.resp == 0
  X <- cbind(mm * r1, mm * (!r1))
  colnames(X) <- c(paste0(params[1], ":", colnames(mm)), paste0(params[2], ":", colnames(mm)))
  qx <- qr(X)
  if (qx$rank < ncol(X)) {
    drop <- qx$pivot[seq.int(qx$rank + 1, ncol(X))]
    glycotrial_warn("The fixed-effects design is rank deficient: dropping column{?s} {.field {colnames(X)[drop]}}.",
                    class = "glycotrial_warning_rank_deficient")
    X <- X[, -drop, drop = FALSE]
  }
  tw <- d[[visit]] / 48
  Z <- if (random == "intercept") {
    cbind(r1, !r1) * 1
  } else {
    cbind(r1, r1 * tw, !r1, (!r1) * tw) * 1
  }
  colnames(Z) <- if (random == "intercept") paste0(params, ":(Intercept)") else
    c(paste0(params[1], c(":(Intercept)", ":time")), paste0(params[2], c(":(Intercept)", ":time")))
  counts <- tabulate(as.integer(subj), nlevels(subj))
  if (nrow(d) <= ncol(Z) * nlevels(subj)) {
    glycotrial_abort("More random effects ({ncol(Z) * nlevels(subj)}) than observations ({nrow(d)}).")
  }
  design <- list(
    y = d$.y, X = X, Z = Z, blocks = ncol(Z), subject = subj,
    subject_start = c(0L, cumsum(counts)), coords = d$.vis, groups = d$.resp,
    residual = list(type = "kronecker", unstructured = residual == "correlated",
                    ar1 = time_cor == "ar1"),
    residual_info = list(levels = vis_levels), rows = d$.row, terms = tt,
    weights = if (is.null(weights)) NULL else as.numeric(d$.w),
    xlevels = stats::.getXlevels(tt, mf), contrasts = attr(mm, "contrasts"),
    parsed = list(group = subject, random = list()), data = d)
  fit <- lmm_fit_design(design, reml = reml)
  fit$call <- cl
  fit$formula <- formula
  fit <- lmm_record_rows(fit, data, na_action, incomplete = incomplete)
  class(fit) <- c("glycotrial_joint", "glycotrial_lmm")
  if (fit$singular) {
    glycotrial_warn("Boundary (singular) fit of the joint model.", class = "glycotrial_warning_singular_fit")
  }
  ptr <- lmm_ptr(fit)
  G <- fit$G
  sdG <- sqrt(diag(G))
  cor_random <- G / outer(sdG, sdG)
  U <- cpp_lmm_residual_cov(ptr, fit$theta_absolute, c(0, 0), c(0L, 1L))
  dimnames(U) <- list(params, params)
  settings <- list(params = params, transform = transform, random = random,
                   residual = residual, time_cor = time_cor, target_visit = target_visit,
                   hba1c_below = hba1c_below, dose_reduction = dose_reduction,
                   conf_level = conf_level, visit_levels = vis_levels, subject = subject,
                   arm = arm, visit = visit, base = base, mm_cols = colnames(mm))
  fit$joint <- list(cor_random = cor_random, residual_cov = U,
                    cor_residual = U[1, 2] / sqrt(U[1, 1] * U[2, 2]), settings = settings)
  fit$joint$composite <- joint_composite(fit)
  fit
}

# Observation weights of fit_joint(): NULL, a column name or one number per
# row of `data` (positivity is checked on the rows used).
joint_weights <- function(weights, data) {
  if (is.null(weights)) return(rep(1, nrow(data)))
  lmm_resolve_weights(weights, data)
}

# Per-subject prediction rows at the target visit with the arm set to `a`.
joint_target_rows <- function(fit, a) {
  s <- fit$joint$settings
  d <- fit$design$data
  first <- d[!duplicated(paste(d[[s$subject]], d$.resp)), , drop = FALSE]
  # subjects with both responses
  both <- names(which(table(first[[s$subject]]) == 2))
  first <- first[first[[s$subject]] %in% both, , drop = FALSE]
  first <- first[order(first[[s$subject]], first$.resp), , drop = FALSE]
  av <- d[[s$visit]] == s$target_visit
  first[[s$visit]] <- s$target_visit
  if ("AVISIT" %in% names(d) && any(av)) first$AVISIT <- d$AVISIT[which(av)[1]]
  first[[s$arm]] <- if (is.factor(d[[s$arm]])) factor(a, levels = levels(d[[s$arm]])) else a
  first
}

# Prediction rows, thresholds and target random-effect design of the
# composite, per arm (shared by the delta method and the bootstrap).
joint_composite_spec <- function(fit) {
  s <- fit$joint$settings
  if (!s$target_visit %in% s$visit_levels) {
    glycotrial_abort("{.arg target_visit} {s$target_visit} is not a visit of the data ({.val {s$visit_levels}}).",
                     call = NULL)
  }
  arms <- sort(unique(as.character(fit$design$data[[s$arm]])))
  tv <- match(s$target_visit, s$visit_levels) - 1
  b0 <- fit$coefficients
  prep <- lapply(arms, function(a) {
    nd <- joint_target_rows(fit, a)
    tt <- stats::delete.response(fit$design$terms)
    mf <- stats::model.frame(tt, nd, na.action = stats::na.pass, xlev = fit$design$xlevels)
    mm <- stats::model.matrix(tt, mf, contrasts.arg = fit$design$contrasts)
    r1 <- nd$.resp == 0
    X <- cbind(mm * r1, mm * (!r1))
    colnames(X) <- c(paste0(s$params[1], ":", colnames(mm)), paste0(s$params[2], ":", colnames(mm)))
    X <- X[, names(b0), drop = FALSE]
    # thresholds on the transformed scale
    base_dose <- nd[[s$base]][!r1]  # already transformed baseline of response 2
    c1 <- if (s$transform[1] == "log") log(s$hba1c_below) else s$hba1c_below
    c2 <- if (s$transform[2] == "log") base_dose + log(1 - s$dose_reduction) else
      base_dose * (1 - s$dose_reduction)
    X1 <- X[r1, , drop = FALSE]
    list(X1 = X1, X2 = X[!r1, , drop = FALSE], c1 = rep_len(c1, nrow(X1)), c2 = c2)
  })
  zt <- if (s$random == "intercept") {
    rbind(c(1, 0), c(0, 1))
  } else {
    w <- s$target_visit / 48
    rbind(c(1, w, 0, 0), c(0, 0, 1, w))
  }
  list(arms = arms, prep = prep, zt = zt, target = tv)
}

joint_composite <- function(fit) {
  s <- fit$joint$settings
  spec <- joint_composite_spec(fit)
  arms <- spec$arms
  ptr <- lmm_ptr(fit)
  th0 <- fit$theta_absolute
  b0 <- fit$coefficients
  prob <- function(beta, theta) {
    cpp_lmm_composite(ptr, theta, beta, spec$prep, spec$zt, spec$target)
  }
  p0 <- prob(b0, th0)
  # delta method: numerical gradients in beta and theta (absolute)
  grad_b <- sapply(seq_along(b0), function(j) {
    h <- 1e-5 * max(1, abs(b0[j]))
    bp <- b0; bp[j] <- bp[j] + h
    bm <- b0; bm[j] <- bm[j] - h
    (prob(bp, th0) - prob(bm, th0)) / (2 * h)
  })
  grad_t <- sapply(seq_along(th0), function(j) {
    h <- 1e-5 * max(1, abs(th0[j]))
    tp <- th0; tp[j] <- tp[j] + h
    tm <- th0; tm[j] <- tm[j] - h
    (prob(b0, tp) - prob(b0, tm)) / (2 * h)
  })
  grad_b <- matrix(grad_b, nrow = length(arms))
  grad_t <- matrix(grad_t, nrow = length(arms))
  H <- cpp_lmm_hessian(ptr, th0, FALSE)
  Vt <- tryCatch(2 * solve(H), error = function(e) 2 * MASS_ginv(H))
  Vp <- grad_b %*% fit$vcov %*% t(grad_b) + grad_t %*% Vt %*% t(grad_t)
  z <- stats::qnorm(1 - (1 - s$conf_level) / 2)
  se <- sqrt(pmax(diag(Vp), 0))
  lg <- stats::qlogis(p0)
  se_lg <- se / (p0 * (1 - p0))
  out <- data.frame(arm = arms, probability = p0, std.error = se,
                    conf.low = stats::plogis(lg - z * se_lg),
                    conf.high = stats::plogis(lg + z * se_lg), stringsAsFactors = FALSE)
  if (length(arms) == 2) {
    cvec <- c(-1, 1)
    dd <- sum(cvec * p0)
    sed <- sqrt(drop(t(cvec) %*% Vp %*% cvec))
    attr(out, "difference") <- data.frame(
      contrast = paste(arms[2], "-", arms[1]), estimate = dd, std.error = sed,
      conf.low = dd - z * sed, conf.high = dd + z * sed, stringsAsFactors = FALSE)
  }
  attr(out, "vcov") <- Vp
  out
}

#' @export
print.glycotrial_joint <- function(x, digits = 4, ...) {
  s <- x$joint$settings
  cat("Joint longitudinal model of", s$params[1], "and", s$params[2],
      sprintf("(%s)", paste(s$transform, collapse = ", ")), "\n")
  NextMethod()
  cat("\nCorrelation of random effects:\n")
  print(round(x$joint$cor_random, digits))
  cat("Cross-response residual correlation:", round(x$joint$cor_residual, digits), "\n")
  cat(sprintf("\nModel-based probability of the composite at visit %s (%s < %s and reduction >= %s%%):\n",
              s$target_visit, s$params[1], s$hba1c_below, 100 * s$dose_reduction))
  comp <- x$joint$composite
  attr(comp, "vcov") <- NULL
  dif <- attr(comp, "difference")
  attr(comp, "difference") <- NULL
  print(comp, digits = digits, row.names = FALSE)
  if (!is.null(dif)) print(dif, digits = digits, row.names = FALSE)
  invisible(x)
}

#' Parametric bootstrap confidence intervals for the joint composite
#'
#' Complements the delta-method interval of [fit_joint()]: simulates
#' `n_boot` data sets from the fitted joint model (responses drawn from
#' `N(X beta, V_i)` per subject at the estimates, same design and missing-data
#' pattern), refits each by (RE)ML and recomputes the standardised per-arm
#' probability of the composite. The loop (simulation, refit, probability)
#' runs in the C++ core with its own generator, so results are reproducible
#' from `seed` on every platform. Intervals are percentile intervals; failed
#' or non-converged refits are dropped and counted.
#'
#' @param fit A [fit_joint()] fit.
#' @param n_boot Number of bootstrap replicates.
#' @param seed Seed of the core's generator (a whole number); `NULL` draws
#'   one from R's generator, so `set.seed()` also makes results reproducible.
#' @param conf_level Confidence level (default: the fit's).
#' @return A data frame with `arm`, `probability` (the estimate),
#'   `std.error` (bootstrap SD), `conf.low`, `conf.high` (percentile) and
#'   `n_boot` (successful replicates), with attributes `difference` (two
#'   arms: the same for the difference, second minus first), `draws`
#'   (replicates x arms) and `seed`.
#' @examples
#' fit <- fit_joint(adlb[adlb$USUBJID %in% unique(adlb$USUBJID)[1:40], ])
#' joint_bootstrap(fit, n_boot = 20, seed = 1)
#' @export
joint_bootstrap <- function(fit, n_boot = 200, seed = NULL, conf_level = NULL) {
  if (!inherits(fit, "glycotrial_joint")) {
    glycotrial_abort("{.arg fit} must be a {.fn fit_joint} fit, not {describe_value(fit)}.")
  }
  check_count(n_boot, lower = 2, len = 1)
  check_size(n_boot, 1e6, what = "bootstrap resamples")
  if (is.null(seed)) seed <- sample.int(.Machine$integer.max, 1)
  check_count(seed, lower = 0, len = 1)
  if (is.null(conf_level)) conf_level <- fit$joint$settings$conf_level
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  spec <- joint_composite_spec(fit)
  d <- fit$design
  ctl <- lmm_control()
  draws <- cpp_lmm_bootstrap_composite(
    d$X, d$Z, d$y, as.integer(d$subject_start), as.integer(d$blocks), d$coords,
    as.integer(d$groups), lmm_residual_list(d), fit$reml, fit$theta_absolute,
    fit$coefficients, spec$prep, spec$zt, spec$target, as.integer(n_boot), as.numeric(seed),
    ctl$max_iter, ctl$grad_tol, ctl$newton_steps, d$weights)
  colnames(draws) <- spec$arms
  ok <- stats::complete.cases(draws)
  if (sum(ok) < 2) {
    glycotrial_abort("Fewer than 2 bootstrap refits succeeded ({sum(ok)} of {n_boot}).",
                     class = "convergence")
  }
  if (any(!ok)) {
    glycotrial_warn("{sum(!ok)} of {n_boot} bootstrap refit{?s} failed or did not converge and {?was/were} dropped.",
                    class = "glycotrial_warning_bootstrap_failures")
  }
  dr <- draws[ok, , drop = FALSE]
  a <- (1 - conf_level) / 2
  q <- function(x) stats::quantile(x, c(a, 1 - a), names = FALSE, type = 7)
  ci <- t(apply(dr, 2, q))
  p0 <- fit$joint$composite$probability
  out <- data.frame(arm = spec$arms, probability = p0, std.error = apply(dr, 2, stats::sd),
                    conf.low = ci[, 1], conf.high = ci[, 2], n_boot = sum(ok),
                    stringsAsFactors = FALSE)
  if (length(spec$arms) == 2) {
    dd <- dr[, 2] - dr[, 1]
    qd <- q(dd)
    attr(out, "difference") <- data.frame(
      contrast = paste(spec$arms[2], "-", spec$arms[1]), estimate = p0[2] - p0[1],
      std.error = stats::sd(dd), conf.low = qd[1], conf.high = qd[2], stringsAsFactors = FALSE)
  }
  attr(out, "draws") <- draws
  attr(out, "seed") <- seed
  out
}

# The visit column of fit_joint(): numeric, not all missing.
joint_check_visit <- function(x, visit) {
  if (!is.numeric(x) || is.factor(x)) {
    glycotrial_abort(c("The visit column {.field {visit}} must be numeric (the analysis visit number, e.g. weeks), not {describe_value(x)}.",
                       "i" = "Use ADaM's {.field AVISITN}, or convert, e.g. {.code data${visit} <- as.numeric(data${visit})}."),
                     class = c("glycotrial_error_visit_type", "input"), call = NULL)
  }
  invisible(x)
}
