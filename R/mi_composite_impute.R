# Imputed ADLB data sets for the composite endpoint (issue 20, item 4): each
# component (HbA1c, insulin dose) imputed by random draws from its
# approximate-Bayesian MMRM imputation model (mi_approxbayes(), the draws API
# of R/mi_draws.R), returned as completed ADLB copies for mi_composite().

#' Impute the components of the composite endpoint by MMRM draws
#'
#' The changes from baseline of the parameters (by default HbA1c and the
#' insulin dose) over the post-baseline visits up to `visit` are imputed by
#' approximate Bayesian MI: [mi_reference_based()] with [mi_approxbayes()]
#' fits the MMRM imputation model to `n_imputations` bootstrap samples;
#' imputation \eqn{l} draws each subject's missing values from the
#' conditional normal distribution given its observed values under its
#' intercurrent-event strategy, with the parameters of fit \eqn{l}:
#' \eqn{y_m = \mu_{m|o} + L z}, \eqn{L L^\top = \Sigma_{mm} - \Sigma_{mo}
#' \Sigma_{oo}^{-1}\Sigma_{om}}, \eqn{z} standard normal (\eqn{\mu_{m|o}} the
#' conditional mean of [mi_reference_based()] under the strategy).
#'
#' With `joint = TRUE` (the default) the parameters are imputed together from
#' one multivariate MMRM: the visits of all parameters form one visit factor
#' (visit order, the parameters of a visit in `paramcd` order), with a
#' mean per arm and visit, every parameter's baseline times visit as
#' covariates and an unstructured (`covariance`) covariance over all
#' parameter-visits, so that a subject's missing insulin dose is drawn given
#' its HbA1c at the same and other visits. This keeps the correlation between
#' the components that the composite responder status depends on; imputing
#' them separately (`joint = FALSE`: one model per parameter, `CHG ~ arm *
#' visit + BASE * visit`) treats them as independent given the baselines and
#' biases a composite's response rate when they are correlated. The joint
#' model takes the strategies `MAR`, `JR` and `CR` (an event at a visit
#' applies to every parameter from that visit on) and needs a baseline of
#' every parameter (subjects lacking one are not imputed). Its unstructured
#' covariance over \eqn{d} parameter-visits needs at least \eqn{6d} subjects
#' (bootstrap refits fail below that); with fewer the function stops with a
#' classed error rather than try.
#'
#' Intercurrent events at a visit after `visit` are ignored; at or before
#' baseline they apply from the first post-baseline visit, at a visit the
#' parameters were not measured (unscheduled) from the next one. Values of a
#' parameter that is never negative (a dose) are truncated at 0. The result
#' feeds [mi_composite()], which derives the responders of each data set and
#' pools them.
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
#' @param joint Impute the parameters together from one multivariate MMRM
#'   (`TRUE`) or each from its own (`FALSE`); see Details.
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
                                reference = NULL, covariance = "us", joint = TRUE, seed = NULL) {
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
  check_flag(joint, arg = "joint", call = call)
  seed <- mi_seed(seed, call = call)
  if (!is.null(data_ice)) {
    check_data_frame(data_ice, cols = c("USUBJID", "AVISIT", "strategy"), arg = "data_ice", call = call)
  }
  grids <- lapply(paramcd, function(cd) mi_composite_grid(adlb, adsl, cd, visit, arm, call))
  nonneg <- vapply(paramcd, function(cd) all(adlb$AVAL[adlb$PARAMCD == cd & !is.na(adlb$AVAL)] >= 0),
                   logical(1))
  method <- mi_approxbayes(n_imputations, covariance = covariance)
  out <- rep(list(adlb), n_imputations)
  fill <- function(out, g, ys, j) {
    obs <- !is.na(g$CHG)
    if (any(abs(ys[[1]][obs] - g$CHG[obs]) > 1e-8 * (1 + abs(g$CHG[obs])))) {
      glycotrial_abort("Internal error: the imputed values are not aligned with the data of {.val {paramcd[j]}}.",
                       call = call)
    }
    for (l in seq_len(n_imputations)) out[[l]] <- mi_composite_fill(out[[l]], g, ys[[l]], paramcd[j], nonneg[j])
    out
  }
  if (joint && length(paramcd) > 1) {
    st <- mi_composite_stack(grids, paramcd)
    # An unstructured covariance over d parameter-visits, refitted on
    # bootstrap samples (about 0.63 n distinct subjects): below ~6 d subjects
    # the fits fail or crawl (measured: 100 subjects, d = 16 in 3 s, d = 18
    # in 140 s, d = 20 fails), so say so before trying.
    d <- nlevels(st$data$.VISIT)
    n_sub <- length(unique(st$data$USUBJID))
    if (n_sub < 6 * d) {
      glycotrial_abort(c("The joint imputation model has {d} parameter-visits ({d * (d + 1) / 2} covariance parameters) for {n_sub} subjects: too many to estimate from bootstrap samples (it needs at least {6 * d} subjects).",
                         "i" = "Impute up to an earlier {.arg visit}, fewer parameters, or use {.code joint = FALSE} (the parameters imputed independently given the baselines)."),
                       class = c("input", "glycotrial_error_mi_composite"), call = call)
    }
    ice <- mi_composite_ice(data_ice, adlb, paramcd, visit, st$data, ".VISIT", call)
    joint_strategies <- c("MAR", "JR", "CR")
    bad <- setdiff(unique(as.character(ice$strategy)), joint_strategies)
    if (length(bad)) {
      glycotrial_abort(c("The joint imputation model takes the strategies {.val {joint_strategies}}; {.arg data_ice} has {.val {bad}}.",
                         "i" = "{.val {bad}} carry a trajectory along the visits of one parameter: use {.code joint = FALSE}."),
                       class = c("input", "glycotrial_error_mi_composite"), call = call)
    }
    vars <- list(subjid = "USUBJID", visit = ".VISIT", group = ".ARM", outcome = "CHG",
                 covariates = c(paste0(st$base_cols, "*.VISIT"), ".ARM*.VISIT"))
    fit <- mi_reference_based(st$data, vars, data_ice = ice, method = method, reference = reference,
                              analysis_covariates = st$base_cols[1], post_ice = "exclude",
                              seed = (seed + 1) %% 2^32)
    ys <- with_local_seed(mi_r_seed(seed + 100), mi_composite_draws(fit))
    for (j in seq_along(paramcd)) {
      rows <- st$data$.PARAMCD == paramcd[j]
      out <- fill(out, st$data[rows, , drop = FALSE], lapply(ys, function(y) y[rows]), j)
    }
    return(out)
  }
  for (j in seq_along(paramcd)) {
    g <- grids[[j]]
    ice <- mi_composite_ice(data_ice, adlb, paramcd[j], visit, g, "AVISIT", call)
    vars <- list(subjid = "USUBJID", visit = "AVISIT", group = ".ARM", outcome = "CHG",
                 covariates = c("BASE*AVISIT", ".ARM*AVISIT"))
    fit <- mi_reference_based(g, vars, data_ice = ice, method = method,
                              reference = reference, analysis_covariates = "BASE",
                              post_ice = "exclude", seed = (seed + j) %% 2^32)
    ys <- with_local_seed(mi_r_seed(seed + 100 * j), mi_composite_draws(fit))
    out <- fill(out, g, ys, j)
  }
  out
}

# The parameters' grids stacked into one multivariate MMRM: the visit factor
# .VISIT runs over (visit, parameter) in visit order, the parameters of one
# visit in `paramcd` order, so that "from this visit on" of an intercurrent
# event covers every parameter; every parameter's baseline is a covariate
# (.BASE1, .BASE2, ...). Subjects lacking a parameter's baseline are left out.
mi_composite_stack <- function(grids, paramcd) {
  base_cols <- paste0(".BASE", seq_along(paramcd))
  ids <- Reduce(intersect, lapply(grids, function(g) unique(g$USUBJID)))
  parts <- lapply(seq_along(grids), function(j) {
    g <- grids[[j]][grids[[j]]$USUBJID %in% ids, , drop = FALSE]
    g$.PARAMCD <- paramcd[j]
    g$.ORDER <- j
    g$AVISIT <- as.character(g$AVISIT)
    g
  })
  d <- do.call(rbind, parts)
  for (j in seq_along(grids)) {
    g <- grids[[j]]
    d[[base_cols[j]]] <- g$BASE[match(d$USUBJID, g$USUBJID)]
  }
  key <- unique(d[order(d$AVISITN, d$.ORDER), c("AVISIT", ".PARAMCD")])
  lev <- paste(key$AVISIT, key$.PARAMCD, sep = " / ")
  d$.VISIT <- factor(paste(d$AVISIT, d$.PARAMCD, sep = " / "), levels = lev)
  d <- d[order(d$USUBJID, d$.VISIT), , drop = FALSE]
  rownames(d) <- NULL
  list(data = d, base_cols = base_cols)
}

# The intercurrent events of the subjects in `g`, on its visit variable `vcol`:
# an event at a visit after `visit` affects no imputed visit and is dropped;
# one at or before baseline affects every post-baseline visit; one at a visit
# the parameters do not have (an unscheduled visit) takes effect from the
# next visit they have. A visit that is not a visit of the data at all is an
# error (it would otherwise silently leave the subject under MAR).
mi_composite_ice <- function(data_ice, adlb, paramcd, visit, g, vcol, call) {
  if (is.null(data_ice)) return(NULL)
  di <- data_ice[as.character(data_ice$USUBJID) %in% g$USUBJID, , drop = FALSE]
  if (!nrow(di)) return(NULL)
  vis <- unique(adlb[!is.na(adlb$AVISITN), c("AVISIT", "AVISITN")])
  vis$AVISIT <- as.character(vis$AVISIT)
  vn <- vis$AVISITN[match(as.character(di$AVISIT), vis$AVISIT)]
  if (anyNA(vn)) {
    i <- which(is.na(vn))[1]
    glycotrial_abort(c("{.arg data_ice} gives visit {.val {as.character(di$AVISIT[i])}} for subject {.val {as.character(di$USUBJID[i])}}, which is not a visit (AVISIT with AVISITN) of {.arg adlb}.",
                       "i" = "Use the AVISIT labels of {.arg adlb}, e.g. from {.fun mi_ice_visit}."),
                     class = c("input", "glycotrial_error_mi_composite"), call = call)
  }
  keep <- vn <= visit
  di <- di[keep, , drop = FALSE]
  vn <- vn[keep]
  if (!nrow(di)) return(NULL)
  # first level of `vcol` whose AVISITN is at or after the event's visit
  lv <- unique(g[order(g[[vcol]]), c(vcol, "AVISITN")])
  first <- vapply(vn, function(v) as.character(lv[[vcol]][which(lv$AVISITN >= v)[1]]), character(1))
  out <- di
  out[[vcol]] <- first
  out[!is.na(first), , drop = FALSE]
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
