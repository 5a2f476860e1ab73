# The dense single-factor path of fit_lmm() (R/lmm_fit.R): one grouping
# factor, the design with dense Z sorted by subject (lmm_design(), exported
# as a stage like lme4's lFormula()), the C++ engine (src/core/lmm/lmm.cpp)
# and its fit. Several grouping factors take the sparse path (R/lmm_sparse.R).

#' Build the design of a linear mixed model
#'
#' The second stage of [fit_lmm()]: from a parsed formula and data, the
#' response, fixed and random design matrices sorted by subject, and the
#' residual coordinates. Useful to inspect what will be fitted.
#'
#' @param parsed Result of [lmm_parse_formula()].
#' @param data A data frame.
#' @param weights Optional observation weights, as in [fit_lmm()].
#' @return A list with `y`, `X`, `Z`, `blocks`, `subject` (factor),
#'   `subject_start`, `coords`, `groups`, `residual`, `weights` (`NULL` or
#'   the weights in model order), `rows` (row numbers of `data` used, in
#'   model order) and bookkeeping for prediction.
#' @examples
#' if (requireNamespace("lme4", quietly = TRUE)) {
#'   p <- lmm_parse_formula(Reaction ~ Days + (Days || Subject))
#'   d <- lmm_design(p, lme4::sleepstudy)
#'   dim(d$Z)
#' }
#' @export
lmm_design <- function(parsed, data, weights = NULL) {
  call <- sys.call(-1)
  if (!is.list(parsed) || !all(c("fixed", "random", "group", "residual") %in% names(parsed)) ||
      !inherits(parsed$fixed, "formula")) {
    glycotrial_abort("{.arg parsed} must come from {.fn lmm_parse_formula}, not {describe_value(parsed)}.",
                     call = call)
  }
  check_data_frame(data)
  group <- parsed$group
  vars <- unique(c(all.vars(parsed$fixed), unlist(lapply(parsed$random, function(t) all.vars(t$lhs))),
                   group, parsed$residual$time))
  miss <- setdiff(vars, names(data))
  if (length(miss)) {
    glycotrial_abort(c("{.arg data} lacks column{?s} {.field {miss}} used in {.arg formula}.",
                       "i" = "Columns present: {.field {names(data)}}."), call = call)
  }
  lmm_check_atomic_columns(data, vars, call = call)
  lmm_check_group_na(data[[group]], group, call = call)
  weights <- lmm_check_weights(weights, data, call = call)
  d <- as.data.frame(data)[, vars, drop = FALSE]
  keep <- stats::complete.cases(d)
  rows <- which(keep)
  d <- d[keep, , drop = FALSE]
  if (nrow(d) == 0) glycotrial_abort("No complete rows in {.arg data}.", call = call)
  subj <- factor(d[[group]])
  ord <- order(as.integer(subj), seq_along(subj))
  d <- d[ord, , drop = FALSE]
  rows <- rows[ord]
  subj <- subj[ord]
  if (nlevels(subj) < 2) {
    glycotrial_abort(c("The grouping factor {.field {group}} must have at least 2 levels.",
                       "x" = "Found {nlevels(subj)} level{?s} after removing incomplete rows."),
                     call = call)
  }
  fx <- lmm_fixed_design(parsed$fixed, d, call = call)
  tt <- fx$terms
  mf <- fx$mf
  y <- fx$y
  X <- fx$X
  rd <- lmm_random_design(parsed$random, d, call = call)
  q <- ncol(rd$Z)
  if (nrow(d) <= q * nlevels(subj)) {
    glycotrial_abort(c("More random effects than observations: {q} per subject x {nlevels(subj)} subjects = {q * nlevels(subj)} >= {nrow(d)} observations.",
                       "i" = "Simplify the random-effect terms (e.g. drop a random slope)."),
                     call = call)
  }
  counts <- tabulate(as.integer(subj), nlevels(subj))
  res <- lmm_residual_coords(parsed$residual, d, as.character(subj), call = call)
  list(y = as.numeric(y), X = X, Z = rd$Z, blocks = rd$blocks, subject = subj, offset = fx$offset,
       subject_start = c(0L, cumsum(counts)), coords = as.numeric(res$coords),
       groups = integer(length(y)), residual = parsed$residual, residual_info = res,
       weights = if (is.null(weights)) NULL else as.numeric(weights[rows]), rows = rows, terms = tt, xlevels = stats::.getXlevels(tt, mf),
       contrasts = attr(X, "contrasts"), parsed = parsed, data = d)
}

lmm_residual_list <- function(design) {
  r <- design$residual
  if (is.null(r)) return(list(type = "iid"))
  if (!is.null(r$type) && r$type == "kronecker") return(r)
  list(type = "plugin", key = r$key, n_visits = as.integer(design$residual_info$n_visits))
}

lmm_make_ptr <- function(design, reml) {
  cpp_lmm_model(design$X, design$Z, design$y, as.integer(design$subject_start),
                as.integer(design$blocks), design$coords, as.integer(design$groups),
                lmm_residual_list(design), reml, design$weights)
}

# The model's external pointer, rebuilt when the object was serialised.
lmm_ptr <- function(object) {
  env <- object$cache
  p <- env$ptr
  if (is.null(p) || identical(p, methods::new("externalptr"))) {
    p <- lmm_make_ptr(object$design, object$reml)
    env$ptr <- p
  }
  p
}

lmm_fit_design <- function(design, reml, control = lmm_control()) {
  ptr <- lmm_make_ptr(design, reml)
  info <- cpp_lmm_info(ptr)
  res <- cpp_lmm_fit(ptr, control$max_iter, control$grad_tol, control$newton_steps,
                     control$singular_tol)
  ev <- res$evaluation
  beta <- as.numeric(ev$beta)
  names(beta) <- colnames(design$X)
  V <- ev$vcov
  dimnames(V) <- list(names(beta), names(beta))
  G <- res$G
  dimnames(G) <- list(colnames(design$Z), colnames(design$Z))
  re <- res$ranef
  dimnames(re) <- list(levels(design$subject), colnames(design$Z))
  cv <- lapply(res$condvar, function(m) { dimnames(m) <- dimnames(G); m })
  names(cv) <- levels(design$subject)
  n_par <- length(beta) + length(res$theta_absolute)
  dev <- ev$deviance
  cache <- new.env(parent = emptyenv())
  cache$ptr <- ptr
  fit <- structure(list(
    coefficients = beta, vcov = V, G = G, sigma2 = res$sigma2,
    ranef = re, condvar = cv,
    theta = res$theta, theta_absolute = res$theta_absolute, profiled = res$profiled,
    n_theta_g = info$n_theta_g, n_theta_residual = info$n_theta_residual,
    y_scale = info$y_scale, n_patterns = info$n_patterns,
    deviance = dev, logLik = -dev / 2, df_logLik = n_par, reml = reml,
    nobs = length(design$y), n_subjects = nlevels(design$subject),
    converged = res$converged, singular = res$singular,
    optinfo = list(iterations = res$iterations, evaluations = res$evaluations,
                   message = res$message, gradient = ev$gradient),
    design = design, cache = cache), class = "glycotrial_lmm")
  if (!isTRUE(fit$profiled) && !is.finite(fit$sigma2)) {
    # a residual structure carries the residual variance (not profiled)
    fit$sigma2 <- lmm_residual_sigma2(fit)
  }
  fit
}
