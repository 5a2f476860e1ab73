#' @include plugins_registry.R
NULL

# Imputation strategies for intercurrent events as plugins of kind
# "mi_strategy" (issue 20). A strategy is rbmi's strategy function: it maps
# the subject's own-arm parameters, the reference arm's parameters and the
# visits before the event to the mean and covariance of all visits. The
# built-ins MAR/JR/CR/CIR/LMCF are registered the same way; their R
# implementations document them and the C++ core runs them natively
# (meta$code), user strategies are evaluated in R once per imputation-model
# fit and subject and handed to the core.

validate_mi_strategy <- function(impl, meta) {
  if (!is.function(impl) || length(formals(impl)) < 3L) {
    stop("a strategy must be a function(pars_group, pars_ref, index_mar)")
  }
}

#' Register an imputation strategy
#'
#' Adds a strategy for reference-based imputation under intercurrent events,
#' usable in the strategy column of `data_ice` of [mi_reference_based()] like
#' the built-in `MAR`, `JR`, `CR`, `CIR` and `LMCF` (which are registered the
#' same way and listed by `glycotrial_plugins("mi_strategy")`). The function
#' has the signature of rbmi's strategies (`rbmi::strategy_JR()` etc. can be
#' registered as they are):
#' `fun(pars_group, pars_ref, index_mar)`, where `pars_group = list(mu, sigma)`
#' holds the subject's mean trajectory \eqn{X_i\beta} under its own arm and
#' that arm's covariance matrix, `pars_ref` the same under its reference arm,
#' and `index_mar` is `TRUE` for the visits before the intercurrent event. It
#' returns `list(mu = , sigma = )`: the mean (length = number of visits) and
#' covariance (visits x visits) of all visits, from which the missing visits
#' are imputed conditionally on the observed ones.
#'
#' @param key Strategy name as used in `data_ice`.
#' @param fun The strategy function (see Details).
#' @param needs_reference Does the strategy use the reference arm (so that a
#'   reference must be given for the subject's arm)?
#' @param description One line describing the strategy.
#' @param overwrite Replace an existing user strategy with this key?
#' @return The registry entry, invisibly.
#' @examples
#' # "jump to reference" with an extra shift of 1 after the event
#' jr_plus1 <- function(pars_group, pars_ref, index_mar) {
#'   p <- get_plugin("mi_strategy", "JR")$impl(pars_group, pars_ref, index_mar)
#'   p$mu[!index_mar] <- p$mu[!index_mar] + 1
#'   p
#' }
#' register_mi_strategy("JR_PLUS1", jr_plus1, description = "JR shifted by +1")
#' d <- mi_example_data(n = 30, seed = 1)
#' ice <- attr(d, "data_ice")
#' ice$strategy <- "JR_PLUS1"
#' mi_reference_based(d, mi_example_vars(), data_ice = ice, reference = c(TRT = "PBO"),
#'                    analysis_covariates = "BASE")
#' unregister_plugin("mi_strategy", "JR_PLUS1")
#' @export
register_mi_strategy <- function(key, fun, needs_reference = TRUE, description = "",
                                 overwrite = FALSE) {
  check_flag(needs_reference)
  register_plugin("mi_strategy", key, fun, description = description,
                  reference = "rbmi strategies(); Carpenter, Roger & Kenward (2013)",
                  meta = list(code = NULL, needs_reference = needs_reference),
                  overwrite = overwrite)
}

# rbmi's compute_sigma(): own arm's covariance before the event, the
# reference arm's conditional structure after it.
mi_reference_sigma <- function(sigma_group, sigma_ref, index_mar) {
  if (all(index_mar)) return(sigma_group)
  if (!any(index_mar)) return(sigma_ref)
  m <- index_mar
  a11 <- sigma_group[m, m, drop = FALSE]
  r11 <- sigma_ref[m, m, drop = FALSE]
  r21 <- sigma_ref[!m, m, drop = FALSE]
  r21_r11inv <- r21 %*% solve(r11)
  s <- sigma_ref
  s[m, m] <- a11
  s[!m, m] <- r21_r11inv %*% a11
  s[m, !m] <- t(s[!m, m, drop = FALSE])
  s[!m, !m] <- sigma_ref[!m, !m] - r21_r11inv %*% (r11 - a11) %*% t(r21_r11inv)
  s
}

mi_strategy_mar <- function(pars_group, pars_ref, index_mar) pars_group

mi_strategy_jr <- function(pars_group, pars_ref, index_mar) {
  if (!any(index_mar)) return(pars_ref)
  mu <- pars_group$mu
  mu[!index_mar] <- pars_ref$mu[!index_mar]
  list(mu = mu, sigma = mi_reference_sigma(pars_group$sigma, pars_ref$sigma, index_mar))
}

mi_strategy_cr <- function(pars_group, pars_ref, index_mar) pars_ref

mi_strategy_cir <- function(pars_group, pars_ref, index_mar) {
  if (all(index_mar)) return(pars_group)
  if (!any(index_mar)) return(pars_ref)
  last <- max(which(index_mar))
  mu <- pars_group$mu
  mu[!index_mar] <- mu[last] + pars_ref$mu[!index_mar] - pars_ref$mu[last]
  list(mu = mu, sigma = mi_reference_sigma(pars_group$sigma, pars_ref$sigma, index_mar))
}

mi_strategy_lmcf <- function(pars_group, pars_ref, index_mar) {
  if (all(index_mar)) return(pars_group)
  last <- max(which(index_mar))
  mu <- pars_group$mu
  mu[!index_mar] <- mu[last]
  list(mu = mu, sigma = pars_group$sigma)
}

add_builtin_plugins("mi", function() {
  register_plugin_kind("mi_strategy", validate_mi_strategy,
                       description = "Imputation strategies for intercurrent events (rbmi's strategies)")
  builtin <- list(
    MAR = list(mi_strategy_mar, FALSE, "Missing at random: the own arm's mean and covariance"),
    JR = list(mi_strategy_jr, TRUE, "Jump to reference: the reference arm's mean from the event on"),
    CR = list(mi_strategy_cr, TRUE, "Copy reference: the reference arm's mean and covariance throughout"),
    CIR = list(mi_strategy_cir, TRUE, "Copy increments in reference: the reference arm's changes from the last visit before the event"),
    LMCF = list(mi_strategy_lmcf, FALSE, "Last mean carried forward from the last visit before the event"))
  for (i in seq_along(builtin)) {
    b <- builtin[[i]]
    register_plugin("mi_strategy", names(builtin)[i], b[[1]], description = b[[3]],
                    reference = "Carpenter, Roger & Kenward (2013); rbmi strategies()",
                    package = "glycotrial",
                    meta = list(code = i - 1L, needs_reference = b[[2]]))
  }
})

# Keys of the registered strategies.
mi_strategy_keys <- function() plugin_keys("mi_strategy")

# The mean and covariance of every subject with a user strategy and missing
# visits, for each fit (rbmi's strategy call per subject and draw); stored in
# the fits as custom_mu / custom_sigma in the order of the slots of
# mi_problem()'s cpp$custom.
mi_add_custom <- function(fits, pb) {
  slots <- pb$cpp$custom
  cs <- which(slots >= 0L)
  if (!length(cs)) return(fits)
  cs <- cs[order(slots[cs])]
  k <- pb$cpp$k
  funs <- lapply(pb$strategy[cs], function(s) get_plugin("mi_strategy", s)$impl)
  rows <- lapply(cs, function(s) (s - 1L) * k + seq_len(k))
  lapply(fits, function(f) {
    if (!isTRUE(f$ok)) return(f)
    mu <- vector("list", length(cs))
    sg <- vector("list", length(cs))
    for (j in seq_along(cs)) {
      s <- cs[j]
      pg <- list(mu = drop(pb$cpp$X_own[rows[[j]], , drop = FALSE] %*% f$beta),
                 sigma = f$sigma[[pb$cpp$group_own[s] + 1L]])
      pr <- list(mu = drop(pb$cpp$X_ref[rows[[j]], , drop = FALSE] %*% f$beta),
                 sigma = f$sigma[[pb$cpp$group_ref[s] + 1L]])
      index_mar <- seq_len(k) - 1L < pb$cpp$ice[s]
      out <- tryCatch(funs[[j]](pg, pr, index_mar), error = function(e) {
        glycotrial_abort("Strategy {.val {pb$strategy[s]}} failed for subject {.val {pb$subjects[s]}}: {conditionMessage(e)}",
                         class = c("glycotrial_error_mi_strategy", "glycotrial_error_input"),
                         call = NULL)
      })
      mi_check_strategy_value(out, k, pb$strategy[s], pb$subjects[s])
      mu[[j]] <- as.numeric(out$mu)
      sg[[j]] <- matrix(as.numeric(out$sigma), k, k)
    }
    f$custom_mu <- mu
    f$custom_sigma <- sg
    f
  })
}

mi_check_strategy_value <- function(out, k, key, subject) {
  ok <- is.list(out) && is.numeric(out$mu) && length(out$mu) == k && all(is.finite(out$mu)) &&
    is.numeric(out$sigma) && is.matrix(out$sigma) && all(dim(out$sigma) == k) &&
    all(is.finite(out$sigma)) && isSymmetric(unname(out$sigma), tol = 1e-8)
  if (!ok) {
    glycotrial_abort(c("Strategy {.val {key}} returned an invalid value for subject {.val {subject}}.",
                       "i" = "A strategy must return {.code list(mu = , sigma = )}: a finite mean of length {k} (the visits) and a symmetric {k} x {k} covariance matrix."),
                     class = c("glycotrial_error_mi_strategy", "glycotrial_error_input"), call = NULL)
  }
}
