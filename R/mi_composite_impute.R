# Imputed ADLB data sets for the composite endpoint (issue 20, item 4): each
# component (HbA1c, insulin dose) imputed by random draws from its
# approximate-Bayesian MMRM imputation model (mi_approxbayes(), the draws API
# of R/mi_draws.R), returned as completed ADLB copies for mi_composite().

#' Impute the components of the composite endpoint by MMRM draws
#'
#' For each parameter (by default HbA1c and the insulin dose) the change from
#' baseline over the post-baseline visits up to `visit` is imputed by
#' approximate Bayesian MI: [mi_reference_based()] with
#' [mi_approxbayes()] fits the MMRM imputation model (`CHG ~ arm * visit +
#' BASE * visit`, unstructured covariance by default) to `n_imputations`
#' bootstrap samples; imputation \eqn{l} draws each subject's missing visits
#' from the conditional normal distribution given its observed visits under
#' its intercurrent-event strategy, with the parameters of fit \eqn{l}:
#' \eqn{y_m = \mu_{m|o} + L z}, \eqn{L L^\top = \Sigma_{mm} - \Sigma_{mo}
#' \Sigma_{oo}^{-1}\Sigma_{om}}, \eqn{z} standard normal (\eqn{\mu_{m|o}} the
#' conditional mean of [mi_reference_based()] under the strategy). The
#' parameters are imputed one after the other, each from its own model (the
#' correlation between the parameters at a missing visit is not modelled);
#' values of a parameter that is never negative (a dose) are truncated at 0.
#' The result feeds [mi_composite()], which derives the responders of each
#' data set and pools them.
#'
#' @param adlb,adsl ADaM data sets (`USUBJID`, `PARAMCD`, `AVISIT`,
#'   `AVISITN`, `AVAL`, `BASE`, `CHG`; the arm column in `adsl`).
#' @param paramcd Parameters to impute.
#' @param visit Last visit (`AVISITN`) imputed, usually the responder visit.
#' @param n_imputations Number of imputed data sets.
#' @param arm Arm column of `adsl`.
#' @param data_ice Optional intercurrent events (`USUBJID`, `AVISIT`,
#'   `strategy`, e.g. from [mi_ice_from_discontinuation()]); `NULL`: MAR.
#' @param reference Reference arms for `JR`, `CR`, `CIR` (see
#'   [mi_reference_based()]).
#' @param covariance Covariance structure of the imputation models.
#' @param seed Seed (the caller's RNG state is restored).
#' @return A list of `n_imputations` ADLB data frames, each with the missing
#'   `AVAL`/`CHG` of `paramcd` at the post-baseline visits up to `visit`
#'   filled in (rows added where the visit had no record).
#' @examples
#' imps <- mi_composite_impute(adlb, adsl, n_imputations = 3, seed = 1)
#' mi_composite(imps, adsl, treatment = "UC-MSC", control = "Placebo")
#' @export
mi_composite_impute <- function(adlb, adsl, paramcd = c("HBA1C", "INSDOSE"), visit = 48,
                                n_imputations = 20, arm = "ARM", data_ice = NULL,
                                reference = NULL, covariance = "us", seed = NULL) {
  call <- sys.call()
  check_data_frame(adlb, cols = c("USUBJID", "PARAMCD", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG"),
                   arg = "adlb", call = call)
  check_data_frame(adsl, cols = c("USUBJID", arm), arg = "adsl", call = call)
  check_count(n_imputations, lower = 2, len = 1, arg = "n_imputations", call = call)
  check_number(visit, arg = "visit", call = call)
  miss <- setdiff(paramcd, adlb$PARAMCD)
  if (!is.character(paramcd) || !length(paramcd) || length(miss)) {
    glycotrial_abort("{.arg adlb} has no PARAMCD {.val {miss}}.",
                     class = c("input", "glycotrial_error_mi_composite"), call = call)
  }
  seed <- mi_seed(seed, call = call)
  out <- rep(list(adlb), n_imputations)
  for (j in seq_along(paramcd)) {
    g <- mi_composite_grid(adlb, adsl, paramcd[j], visit, arm, call)
    ice <- if (is.null(data_ice)) NULL else {
      check_data_frame(data_ice, cols = c("USUBJID", "AVISIT", "strategy"), arg = "data_ice", call = call)
      di <- data_ice[data_ice$USUBJID %in% g$USUBJID, , drop = FALSE]
      di[as.character(di$AVISIT) %in% levels(g$AVISIT), , drop = FALSE]
    }
    vars <- list(subjid = "USUBJID", visit = "AVISIT", group = ".ARM", outcome = "CHG",
                 covariates = c("BASE*AVISIT", ".ARM*AVISIT"))
    fit <- mi_reference_based(g, vars, data_ice = ice,
                              method = mi_approxbayes(n_imputations, covariance = covariance),
                              reference = reference, analysis_covariates = "BASE",
                              post_ice = "exclude", seed = (seed + j) %% 2^32)
    nonneg <- all(adlb$AVAL[adlb$PARAMCD == paramcd[j] & !is.na(adlb$AVAL)] >= 0)
    ys <- with_local_seed((seed + 100 * j) %% .Machine$integer.max, mi_composite_draws(fit))
    for (l in seq_len(n_imputations)) {
      out[[l]] <- mi_composite_fill(out[[l]], g, ys[[l]], paramcd[j], nonneg)
    }
  }
  out
}

# One row per subject and post-baseline visit up to `visit` of one parameter.
mi_composite_grid <- function(adlb, adsl, cd, visit, arm, call) {
  d <- adlb[adlb$PARAMCD == cd & !is.na(adlb$AVISITN), , drop = FALSE]
  base <- tapply(d$BASE, d$USUBJID, function(b) b[!is.na(b)][1])
  post <- d[d$AVISITN > 0 & d$AVISITN <= visit, , drop = FALSE]
  vis <- unique(post[order(post$AVISITN), c("AVISITN", "AVISIT")])
  if (nrow(vis) < 2) {
    glycotrial_abort("PARAMCD {.val {cd}} has fewer than two post-baseline visits up to AVISITN {visit}.",
                     class = c("input", "glycotrial_error_mi_composite"), call = call)
  }
  ids <- intersect(as.character(adsl$USUBJID), names(base)[!is.na(base)])
  g <- expand.grid(AVISIT = as.character(vis$AVISIT), USUBJID = ids, stringsAsFactors = FALSE)
  g$AVISITN <- vis$AVISITN[match(g$AVISIT, vis$AVISIT)]
  g$CHG <- post$CHG[match(paste(g$USUBJID, g$AVISIT), paste(post$USUBJID, post$AVISIT))]
  g$BASE <- unname(base[g$USUBJID])
  g$.ARM <- factor(as.character(adsl[[arm]][match(g$USUBJID, adsl$USUBJID)]))
  g$AVISIT <- factor(g$AVISIT, levels = as.character(vis$AVISIT))
  g[order(g$USUBJID, g$AVISIT), , drop = FALSE]
}

# Imputation l: the conditional mean under fit l (the core's
# cpp_mi_impute(), strategy-aware) plus a draw from the conditional
# covariance of the missing visits given the observed ones.
mi_composite_draws <- function(fit) {
  pb <- fit$problem
  k <- length(pb$visits)
  n <- length(pb$subjects)
  lapply(seq_along(fit$fits), function(l) {
    f <- fit$fits[[l]]
    y <- cpp_mi_impute(pb$cpp, seq_len(n), f)
    S <- f$sigma[[1]]
    for (i in which(vapply(seq_len(n), function(i) any(pb$is_missing[(i - 1) * k + seq_len(k)]), TRUE))) {
      rows <- (i - 1) * k + seq_len(k)
      m <- pb$is_missing[rows]
      y[rows][m] <- y[rows][m] + mi_conditional_noise(S, m, stats::rnorm(sum(m)))
    }
    y
  })
}

# L z with L L' the covariance of the missing visits (m) given the others.
mi_conditional_noise <- function(S, m, z) {
  o <- !m
  C <- S[m, m, drop = FALSE]
  if (any(o)) C <- C - S[m, o, drop = FALSE] %*% solve(S[o, o, drop = FALSE], S[o, m, drop = FALSE])
  drop(t(chol((C + t(C)) / 2)) %*% z)
}

# Writes the imputed changes of one parameter into an ADLB copy.
mi_composite_fill <- function(adlb, g, y, cd, nonneg) {
  imp <- is.na(g$CHG)
  if (!any(imp)) return(adlb)
  add <- g[imp, c("USUBJID", "AVISIT", "AVISITN", "BASE"), drop = FALSE]
  add$AVISIT <- as.character(add$AVISIT)
  add$CHG <- y[imp]
  add$AVAL <- add$BASE + add$CHG
  if (nonneg) {
    add$AVAL <- pmax(add$AVAL, 0)
    add$CHG <- add$AVAL - add$BASE
  }
  key <- paste(adlb$USUBJID, adlb$PARAMCD, adlb$AVISIT)
  drop <- key %in% paste(add$USUBJID, cd, add$AVISIT)
  # template: the subject's baseline record of the parameter
  tmpl <- adlb[adlb$PARAMCD == cd & adlb$AVISITN == 0, , drop = FALSE]
  rows <- tmpl[match(add$USUBJID, tmpl$USUBJID), , drop = FALSE]
  if (anyNA(rows$USUBJID)) {
    rows <- adlb[adlb$PARAMCD == cd, , drop = FALSE]
    rows <- rows[match(add$USUBJID, rows$USUBJID), , drop = FALSE]
  }
  for (v in c("USUBJID", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG")) rows[[v]] <- add[[v]]
  if (is.factor(adlb$AVISIT)) rows$AVISIT <- factor(add$AVISIT, levels = levels(adlb$AVISIT))
  if ("ABLFL" %in% names(rows)) rows$ABLFL <- ""
  if ("ADY" %in% names(rows)) rows$ADY <- NA
  if ("PCHG" %in% names(rows)) rows$PCHG <- ifelse(rows$BASE != 0, 100 * rows$CHG / rows$BASE, NA_real_)
  out <- rbind(adlb[!drop, , drop = FALSE], rows)
  rownames(out) <- NULL
  out
}
