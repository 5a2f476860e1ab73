# Checks the inputs of mi_reference_based() and assembles the problem handed
# to the C++ core (src/r_mi.cpp): design matrices of all subject-visits for
# the own and the reference arm, the rows that enter the imputation model,
# the ICE strategy per subject and the per-visit ANCOVA designs.

mi_problem <- function(data, vars, data_ice, method, reference, analysis_covariates, delta,
                       post_ice) {
  check_data_frame(data)
  vars <- mi_check_vars(vars, data)
  sid <- vars$subjid; vis <- vars$visit; grp <- vars$group; out <- vars$outcome
  data <- as.data.frame(data)
  for (v in c(sid)) data[[v]] <- as.character(data[[v]])
  if (!is.factor(data[[vis]])) {
    glycotrial_abort("{.code data${vis}} must be a factor whose levels are the visits in time order; found {.cls {class(data[[vis]])}}.")
  }
  if (!is.factor(data[[grp]])) data[[grp]] <- factor(data[[grp]])
  data <- data[order(data[[sid]], as.integer(data[[vis]])), , drop = FALSE]
  visits <- levels(data[[vis]])
  k <- length(visits)
  subjects <- unique(data[[sid]])
  n <- length(subjects)
  cnt <- table(factor(data[[sid]], levels = subjects), data[[vis]])
  if (any(cnt != 1)) {
    bad <- rownames(cnt)[which(apply(cnt != 1, 1, any))[1]]
    glycotrial_abort(c("{.arg data} needs exactly one row per subject and visit (missing outcomes as {.code NA}); subject {.val {bad}} has {sum(cnt[bad, ])} row{?s} for {k} visits.",
                       "i" = "Add the missing visits with an {.code NA} outcome."))
  }
  rhs_vars <- unique(c(grp, all.vars(stats::reformulate(c("1", vars$covariates))), analysis_covariates))
  for (v in setdiff(rhs_vars, vis)) if (anyNA(data[[v]])) {
    glycotrial_abort("Covariate {.val {v}} is missing for subject {.val {data[[sid]][is.na(data[[v]])][1]}}; covariates must be complete.")
  }
  arm_of <- data[[grp]][!duplicated(data[[sid]])]
  if (any(tapply(as.character(data[[grp]]), data[[sid]], function(x) length(unique(x))) > 1)) {
    glycotrial_abort("Every subject must belong to one arm ({.code data${grp}}).")
  }
  arms <- levels(data[[grp]])
  y <- data[[out]]
  if (!is.numeric(y)) glycotrial_abort("{.code data${out}} must be numeric.")

  ice <- mi_check_ice(data_ice, vars, subjects, visits)
  ref_map <- mi_check_reference(reference, arms)
  ref_arm <- unname(ref_map[as.character(arm_of)])
  # an arm named in `reference`, or itself a reference arm, has its reference
  has_ref <- as.character(arm_of) %in% c(names(reference), unname(reference))
  strategy <- rep("MAR", n)
  ice_index <- rep(k, n)  # 0-based first visit affected; k = none
  pos <- match(ice$subject, subjects)
  strategy[pos] <- ice$strategy
  ice_index[pos] <- ice$visit_index - 1L
  if (!is.null(ice$reference)) {
    given <- !is.na(ice$reference)
    bad <- setdiff(ice$reference[given], arms)
    if (length(bad)) glycotrial_abort("{.code data_ice$reference} names arm{?s} {.val {bad}} not among {.val {arms}}.")
    ref_arm[pos[given]] <- ice$reference[given]
    has_ref[pos[given]] <- TRUE
  }
  entries <- lapply(stats::setNames(nm = unique(strategy)), function(s) get_plugin("mi_strategy", s))
  needs_ref <- vapply(entries, function(e) isTRUE(e$meta$needs_reference), logical(1))
  mi_ice_need_reference(strategy, unname(needs_ref[strategy]), has_ref, subjects,
                        as.character(arm_of), arms)
  lmcf_first <- strategy == "LMCF" & ice_index == 0L
  if (any(lmcf_first)) {
    glycotrial_abort("Subject {.val {subjects[lmcf_first][1]}} has strategy {.val LMCF} from the first visit: there is no mean to carry forward.")
  }
  # Non-MAR rows after the event: excluded from the imputation model (rbmi).
  vis_idx <- as.integer(data[[vis]]) - 1L
  subj_idx <- match(data[[sid]], subjects)
  post <- strategy[subj_idx] != "MAR" & vis_idx >= ice_index[subj_idx]
  if (post_ice == "error") mi_ice_post_error(data[[sid]][post & !is.na(y)])
  fit_row <- !post & !is.na(y)
  # Built-in strategies run natively in the core (meta$code); a user strategy
  # gets a slot per subject with missing visits (mi_add_custom()).
  code <- vapply(entries, function(e) e$meta$code %||% NA_integer_, integer(1))[strategy]
  has_missing <- tapply(is.na(y), factor(subj_idx, levels = seq_len(n)), any)
  user <- is.na(code) & has_missing
  custom <- rep(-1L, n)
  custom[user] <- seq_len(sum(user)) - 1L
  code[is.na(code)] <- 0L

  # Imputation model: outcome ~ group + visit + covariates (rbmi's formula),
  # fitted by mmrm_fit() for the full-data optimum that warm-starts the refits.
  terms_rhs <- c(if (length(arms) >= 2) grp, vis, vars$covariates)
  cov_term <- if (method$same_cov) sprintf("%s(%s | %s)", method$covariance, vis, sid) else
    sprintf("%s(%s | %s / %s)", method$covariance, vis, grp, sid)
  f_fixed <- stats::reformulate(terms_rhs, response = out)
  f_fit <- stats::as.formula(paste(out, "~", paste(c(terms_rhs, cov_term), collapse = " + ")))
  d_fit <- data[fit_row, , drop = FALSE]
  fit <- mmrm_fit(f_fit, d_fit, reml = method$reml, df = "Residual")
  if (!isTRUE(fit$cov_compiled)) {
    glycotrial_abort("The covariance structure {.val {method$covariance}} is an R-level plugin; conditional-mean imputation needs a compiled structure.")
  }
  if (!identical(as.character(fit$visit_levels), visits)) {
    glycotrial_abort("Internal: the imputation model's visit order differs from the levels of {.code data${vis}}.", class = "glycotrial_error_internal")
  }
  d0 <- data
  d0[[out]] <- 0
  X_own <- stats::model.matrix(f_fixed, d0)
  d_ref <- d0
  d_ref[[grp]] <- factor(ref_arm[subj_idx], levels = arms)
  X_ref <- stats::model.matrix(f_fixed, d_ref)
  cols <- colnames(fit$x_matrix)
  if (!all(cols %in% colnames(X_own))) {
    glycotrial_abort("Internal: design columns differ from the imputation model's.", class = "glycotrial_error_internal")
  }
  X_own <- X_own[, cols, drop = FALSE]
  X_ref <- X_ref[, cols, drop = FALSE]

  groups <- if (method$same_cov) NULL else as.character(fit$group_levels)
  g_own <- if (is.null(groups)) rep(0L, n) else match(as.character(arm_of), groups) - 1L
  g_ref <- if (is.null(groups)) rep(0L, n) else match(ref_arm, groups) - 1L
  if (anyNA(g_ref)) {
    glycotrial_abort("A reference arm has no covariance of its own in the imputation model (no data in arm {.val {unique(ref_arm[is.na(g_ref)])}}).")
  }

  an <- mi_analysis_designs(data, vars, analysis_covariates, subjects, visits)
  dl <- mi_delta_vector(delta, vars, subjects, visits)
  cpp <- list(n_subjects = n, k = k, X_own = unname(X_own), X_ref = unname(X_ref), y = as.numeric(y),
              fit_row = as.integer(fit_row), ice = as.integer(ice_index),
              strategy = as.integer(unname(code)), custom = custom, group_own = as.integer(g_own),
              group_ref = as.integer(g_ref), n_groups = if (is.null(groups)) 1L else length(groups),
              reml = method$reml, cov_key = fit$cov_type, Z = an$Z,
              contrast_cols = an$contrast_cols, delta = dl)
  list(cpp = cpp, theta0 = fit$theta, fit = fit, subjects = subjects, visits = visits, arms = arms,
       arm = as.character(arm_of), reference = ref_arm, strategy = strategy, vars = vars,
       contrasts = an$contrasts, is_missing = is.na(y), post_ice = post)
}

mi_check_vars <- function(vars, data) {
  if (!is.list(vars)) glycotrial_abort("{.arg vars} must be a list (subjid, visit, group, outcome, covariates).")
  for (v in c("subjid", "visit", "group", "outcome")) {
    if (!is.character(vars[[v]]) || length(vars[[v]]) != 1L) {
      glycotrial_abort("{.code vars${v}} must be one column name.")
    }
    if (!vars[[v]] %in% names(data)) {
      glycotrial_abort("{.code vars${v}} = {.val {vars[[v]]}} is not a column of {.arg data}.")
    }
  }
  vars$covariates <- vars$covariates %||% character()
  vars$strategy <- vars$strategy %||% "strategy"
  miss <- setdiff(all.vars(stats::reformulate(c("1", vars$covariates))), names(data))
  if (length(miss)) glycotrial_abort("Covariate{?s} {.val {miss}} not in {.arg data}.")
  vars
}

# data_ice: subject, first visit affected, strategy, optional reference.
mi_check_ice <- function(data_ice, vars, subjects, visits) {
  empty <- list(subject = character(), visit_index = integer(), strategy = character(), reference = NULL)
  if (is.null(data_ice) || !nrow(data_ice)) return(empty)
  check_data_frame(data_ice, cols = c(vars$subjid, vars$visit, vars$strategy))
  s <- as.character(data_ice[[vars$subjid]])
  v <- as.character(data_ice[[vars$visit]])
  st <- as.character(data_ice[[vars$strategy]])
  if (anyDuplicated(s)) {
    glycotrial_abort(c("{.arg data_ice} has more than one row for subject {.val {s[duplicated(s)][1]}}.",
                       "i" = "Keep the first non-MAR intercurrent event per subject (rbmi's rule)."))
  }
  bad <- !s %in% subjects
  if (any(bad)) {
    glycotrial_abort("Subject{?s} {.val {s[bad]}} of {.arg data_ice} {?is/are} not in {.arg data}.",
                     class = c("glycotrial_error_mi_subject", "glycotrial_error_input"))
  }
  bad <- is.na(v) | !v %in% visits
  if (any(bad)) {
    glycotrial_abort(c("The intercurrent-event visit {.val {v[bad][1]}} of subject {.val {s[bad][1]}} is not one of the visits {.val {visits}}.",
                       "i" = "Give the first visit affected by the event, as a level of {.code data${vars$visit}}."),
                     class = c("glycotrial_error_mi_visit", "glycotrial_error_input"))
  }
  keys <- mi_strategy_keys()
  bad <- is.na(st) | !st %in% keys
  if (any(bad)) {
    glycotrial_abort(c("Subject {.val {s[bad][1]}} has strategy {.val {st[bad][1]}}; use one of {.val {keys}}.",
                       "i" = "Add a strategy with {.fun register_mi_strategy}."),
                     class = c("glycotrial_error_mi_strategy", "glycotrial_error_input"))
  }
  list(subject = s, visit_index = match(v, visits), strategy = st,
       reference = if ("reference" %in% names(data_ice)) as.character(data_ice$reference) else NULL)
}

mi_check_reference <- function(reference, arms) {
  map <- stats::setNames(arms, arms)
  if (is.null(reference)) return(map)
  if (!is.character(reference) || is.null(names(reference)) || any(!nzchar(names(reference)))) {
    glycotrial_abort("{.arg reference} must be a named character vector, e.g. {.code c({arms[length(arms)]} = \"{arms[1]}\")}.")
  }
  bad <- setdiff(c(names(reference), reference), arms)
  if (length(bad)) glycotrial_abort("{.arg reference} names arm{?s} {.val {bad}} not among {.val {arms}}.")
  map[names(reference)] <- reference
  map
}

# Per-visit ANCOVA designs: ~ analysis covariates + arm (the arm last, so its
# dummies are the contrasts against the first arm, as in rbmi's ancova()).
mi_analysis_designs <- function(data, vars, covs, subjects, visits) {
  f <- stats::reformulate(c(covs, vars$group))
  Z <- lapply(visits, function(v) {
    d <- data[data[[vars$visit]] == v, , drop = FALSE]
    d <- d[match(subjects, d[[vars$subjid]]), , drop = FALSE]
    unname(stats::model.matrix(f, d))
  })
  d1 <- data[data[[vars$visit]] == visits[1], , drop = FALSE]
  mm <- stats::model.matrix(f, d1)
  term <- match(vars$group, attr(stats::terms(f), "term.labels"))
  cc <- which(attr(mm, "assign") == term)
  arms <- levels(data[[vars$group]])
  list(Z = Z, contrast_cols = as.integer(cc - 1L),
       contrasts = paste0(arms[-1], " - ", arms[1]))
}

# rbmi's delta data frame (subject, visit, delta) as one value per subject-visit.
mi_delta_vector <- function(delta, vars, subjects, visits) {
  if (is.null(delta)) return(numeric(0))
  check_data_frame(delta, cols = c(vars$subjid, vars$visit, "delta"))
  s <- match(as.character(delta[[vars$subjid]]), subjects)
  v <- match(as.character(delta[[vars$visit]]), visits)
  if (anyNA(s)) glycotrial_abort("{.arg delta} has subject {.val {delta[[vars$subjid]][is.na(s)][1]}}, which is not in {.arg data}.")
  if (anyNA(v)) glycotrial_abort("{.arg delta} has visit {.val {delta[[vars$visit]][is.na(v)][1]}}, which is not a visit level.")
  if (!is.numeric(delta$delta) || anyNA(delta$delta)) glycotrial_abort("{.code delta$delta} must be numeric without {.code NA}.")
  if (anyDuplicated(cbind(s, v))) glycotrial_abort("{.arg delta} has more than one row for a subject and visit.")
  out <- numeric(length(subjects) * length(visits))
  out[(s - 1L) * length(visits) + v] <- delta$delta
  out
}
