# Stage 2 of mmrm_fit(): the data. The route is chosen here, once: a data
# frame below getOption("glycotrial.mmrm_moment_rows") rows (or one whose
# pattern moments would outgrow its rows) gives the design matrices of the
# row route (mmrm_design_rows()); a data source (mmrm_data_dbi(), ...) or a
# large data frame gives the pattern moments of the moment route
# (R/mmrm_moments.R, R/mmrm_sources.R). Data far from zero are centred here
# too (mmrm_row_reparam()), so that the engine is built once, on the design
# it optimises.

#' Prepare the data of an MMRM (stage 2 of mmrm_fit())
#'
#' Turns the data into what the C++ engine needs and chooses the route of
#' the fit, once: design matrices for a data frame (the row route), or the
#' per-visit-pattern moments for a data source from [mmrm_data_dbi()],
#' [mmrm_data_csv()] or [mmrm_data_chunks()] and for data frames of at least
#' `getOption("glycotrial.mmrm_moment_rows", 250000)` rows (the moment
#' route; see [mmrm_fit()]). Rows with missing values are dropped here, the
#' visit levels are put in visit order, and data far from zero are centred
#' (an exact reparametrisation that [mmrm_result()] maps back).
#'
#' @param formula A formula with one covariance term, or its parsed form from
#'   [mmrm_formula()].
#' @param data,weights,na.action As for [mmrm_fit()].
#' @param control Options from [mmrm_fit_control()] (this stage uses
#'   `accept_singular`).
#' @return An object of class `glycotrial_mmrm_design`, a list with `route`
#'   (`"rows"` or `"moments"`), `formula` (the `glycotrial_mmrm_formula`),
#'   `na_type` and, on the row route, `design` (the model data: design matrix
#'   `X`, response `y`, `weights`, subjects, visits, groups, `rows` of `data`
#'   used, ...), `engine_design` (the same, centred when the data are far from
#'   zero), `reparam` (the centring, or `NULL`) and `input` (the data as given,
#'   visits ordered); on the moment route `moments` (the merged pattern
#'   moments and their encoding) and `source_class`.
#' @seealso [mmrm_fit()], which chains all stages; [mmrm_engine()], the next one.
#' @examples
#' wk <- paste0("W", c(4, 8, 12))
#' d <- expand.grid(USUBJID = factor(1:20), AVISIT = factor(wk, levels = wk))
#' set.seed(2)
#' d$CHG <- rnorm(nrow(d)) + rep(rnorm(20), times = 3)
#' des <- mmrm_design(CHG ~ AVISIT + us(AVISIT | USUBJID), d)
#' des$route
#' dim(des$design$X)
#' @export
mmrm_design <- function(formula, data, weights = NULL, control = mmrm_fit_control(),
                        na.action = stats::na.omit) {
  na_type <- mmrm_na_action_type(na.action)
  mmrm_check_control(control)
  mmrm_design_impl(mmrm_formula(formula), data, weights, control, na_type)
}

# mmrm_design() without the checks mmrm_fit() has made. `df`, `vcov`: the
# inference mmrm_fit() will compute, refused before the data pass when the
# moment route cannot give it.
mmrm_design_impl <- function(spec, data, weights, control, na_type, df = NULL, vcov = NULL) {
  data <- visit_order_for_fit(spec$formula, data)  # visit levels in visit order (R/visit_order.R)
  if (mmrm_use_moments(data, spec$formula, weights)) {
    return(mmrm_design_moments(spec, data, weights, control, na_type, df, vcov))
  }
  check_data_frame(data, call = NULL)
  if (is.character(weights) && length(weights) == 1) {
    check_data_frame(data, cols = weights, call = NULL)
    weights <- data[[weights]]
  }
  design <- mmrm_design_rows(spec, data, weights, control)
  rp <- mmrm_row_reparam(design, spec, data)
  structure(list(route = "rows", formula = spec, na_type = na_type, design = design,
                 engine_design = rp$design, reparam = rp$map, input = data),
            class = "glycotrial_mmrm_design")
}

# The moment route: one data pass over the source (chunk by chunk, in
# parallel where the source allows) and the merged moments.
mmrm_design_moments <- function(spec, data, weights, control, na_type, df, vcov) {
  mmrm_na_action_moments(na_type)
  mmrm_offset_moments(spec$formula)
  mmrm_check_moment_inference(df, vcov)
  if (!is.null(weights) && !(is.character(weights) && length(weights) == 1)) {
    glycotrial_abort("With the moment route, {.arg weights} must be the name of a column of the data; found {describe_value(weights)}.",
                     call = NULL)
  }
  if (spec$plugin$spatial) {
    glycotrial_abort("Spatial structure {.val {spec$key}} is not supported by the moment route (large, chunked, database or distributed data) yet; use a data frame with fewer than {mmrm_moment_rows()} rows.",
                     class = c("input", "glycotrial_error_moment_route"), call = NULL)
  }
  roles <- moments_roles(spec, weights)
  src <- if (is.data.frame(data)) mmrm_data_frame_source(data) else data
  pass <- mmrm_data_pass(src, roles)
  structure(list(route = "moments", formula = spec, na_type = na_type,
                 moments = moments_prepare(pass$moments, pass$encoding, spec, control),
                 source_class = class(src)[1]),
            class = "glycotrial_mmrm_design")
}

#' @export
print.glycotrial_mmrm_design <- function(x, ...) {
  cat("<glycotrial_mmrm_design> route: ", x$route, "\n", sep = "")
  cat("  formula: ", deparse1(x$formula$formula), "\n", sep = "")
  if (identical(x$route, "rows")) {
    d <- x$design
    cat("  ", length(d$y), " observations, ", nlevels(d$subject), " subjects, ", d$n_visits,
        " visits, ", ncol(d$X), " coefficients", if (!is.null(x$reparam)) " (centred)", "\n", sep = "")
  } else {
    m <- x$moments
    cat("  ", m$mom$n_obs, " observations, ", m$n_subj, " subjects, ", length(m$mom$patterns),
        " visit patterns, ", m$pk, " coefficients\n", sep = "")
  }
  invisible(x)
}

# ---- the route -----------------------------------------------------------------

# Rows from which a plain data frame goes through the moment route (the row
# route keeps per-subject quantities: residuals, sandwich, between-within df).
mmrm_moment_rows <- function() getOption("glycotrial.mmrm_moment_rows", 250000)

# Does mmrm_fit() take the moment route for this `data`? Data sources always
# do; a data frame of at least mmrm_moment_rows() rows does when its pattern
# moments are worth it (moments_route_plan(): with many visits and scattered
# missing values nearly every subject has a pattern of its own, and the
# moment matrices, (m (p + 1))^2 per pattern, outgrow the rows; the row
# route, whose engine keeps patterns with few subjects as rows, is then the
# cheaper one).
mmrm_use_moments <- function(data, formula = NULL, weights = NULL) {
  if (inherits(data, "glycotrial_mmrm_source")) return(TRUE)
  if (!is.data.frame(data) || nrow(data) < mmrm_moment_rows()) return(FALSE)
  if (is.null(formula)) return(TRUE)
  plan <- tryCatch(moments_route_plan(formula, data, weights), error = function(e) NULL)
  # (a formula the moment route cannot take gets its error there)
  is.null(plan) || isTRUE(plan$moments)
}

# ---- the row route -------------------------------------------------------------

mmrm_design_rows <- function(spec, data, weights, control) {
  n0 <- nrow(data)
  if (!is.null(weights)) {
    if (!is.numeric(weights) || length(weights) != n0) {
      glycotrial_abort("{.arg weights} must be a numeric vector of length {n0} (rows of {.arg data}) or a column name; found {describe_value(weights)}.",
                       call = NULL)
    }
    bad <- !is.na(weights) & (!is.finite(weights) | weights <= 0)
    if (any(bad)) {
      glycotrial_abort("{.arg weights} must be positive and finite; found {format(weights[bad][1])} at row {which(bad)[1]}.",
                       call = NULL)
    }
  }
  cov_vars <- c(spec$visit, spec$subject, spec$group)
  fixed_vars <- all.vars(spec$fixed[[3]])
  resp_vars <- all.vars(spec$fixed[[2]])
  check_data_frame(data, cols = unique(c(resp_vars, fixed_vars, cov_vars)), arg = "data", call = NULL)
  data <- mmrm_check_columns(spec, data, unique(c(resp_vars, fixed_vars, cov_vars)), fixed_vars)
  fast <- mmrm_fast_frame(spec, data)
  if (is.null(fast)) {
    mf <- stats::model.frame(spec$fixed, data = data, na.action = stats::na.pass, drop.unused.levels = TRUE)
    y_all <- stats::model.response(mf)
  } else {
    y_all <- fast$y
  }
  if (is.matrix(y_all) && NCOL(y_all) != 1) {
    glycotrial_abort(c(
      "The response {.code {spec$response}} has {NCOL(y_all)} columns; {.fn mmrm_fit} fits one response.",
      "i" = "Fit each response separately (e.g. {.code CHG ~ ...}), or stack them in long format with a column naming the parameter."),
      class = c("glycotrial_error_response", "glycotrial_error_input"), call = NULL)
  }
  if (!is.numeric(y_all) || is.factor(y_all)) {
    glycotrial_abort("The response {.field {spec$response}} must be numeric, not {describe_value(y_all)}.",
                     call = NULL)
  }
  visit <- data[[spec$visit]]
  if (spec$plugin$spatial) {
    if (!is.numeric(visit)) {
      glycotrial_abort("Spatial structure {.val {spec$key}} needs a numeric time in {.field {spec$visit}}; found {describe_value(visit)}.",
                       call = NULL)
    }
  } else if (!is.factor(visit)) {
    glycotrial_abort(c(
      "The visit variable {.field {spec$visit}} must be a factor for structure {.val {spec$key}}; found {describe_value(visit)}.",
      "i" = "Convert it with {.code factor()} (its levels set the visit order), or use a spatial structure for a numeric time."),
      call = NULL)
  }
  x_na <- if (!is.null(fast)) fast$x_na else if (ncol(mf) > 1) !stats::complete.cases(mf[-1]) else rep(FALSE, n0)
  cov_na <- is.na(data[[spec$subject]]) | is.na(visit)
  if (!is.null(spec$group)) cov_na <- cov_na | is.na(data[[spec$group]])
  w_na <- if (is.null(weights)) rep(FALSE, n0) else is.na(weights)
  y_na <- is.na(y_all)
  if (all(y_na)) {
    glycotrial_abort("All values of the response {.field {spec$response}} are missing.", call = NULL)
  }
  if (spec$plugin$spatial && any(is.na(visit) & !y_na)) {
    glycotrial_abort("Spatial structure {.val {spec$key}} needs the time {.field {spec$visit}} for every observation; {sum(is.na(visit) & !y_na)} observed row{?s} lack{?s/} it.",
                     call = NULL)
  }
  drop_cov <- !y_na & (x_na | cov_na | w_na)
  keep <- !y_na & !drop_cov
  n_dropped <- sum(drop_cov)
  if (n_dropped > 0) {
    cli::cli_inform("mmrm_fit: dropped {n_dropped} row{?s} with missing covariates, visit, subject, group or weight ({sum(y_na)} row{?s} with missing response not used).",
                    class = "glycotrial_message_dropped_rows")
  }
  if (!any(keep)) {
    glycotrial_abort("No complete rows remain after removing missing values.", call = NULL)
  }
  rows <- which(keep)
  subj <- data[[spec$subject]][rows]
  vis <- visit[rows]
  grp <- if (is.null(spec$group)) NULL else data[[spec$group]][rows]
  if (!is.null(grp)) {
    grp <- droplevels(as.factor(grp))
    per_subj <- tapply(as.integer(grp), as.character(subj), function(g) length(unique(g)))
    if (any(per_subj > 1)) {
      bad <- names(per_subj)[per_subj > 1][1]
      glycotrial_abort("Subject {.val {bad}} of {.field {spec$subject}} appears in more than one group of {.field {spec$group}}; the group must be constant within a subject.",
                       call = NULL)
    }
  }
  if (spec$plugin$spatial) {
    visit_levels <- sort(unique(vis))
    coord <- as.numeric(vis)
  } else {
    vis <- droplevels(vis)
    visit_levels <- levels(vis)
    coord <- as.integer(vis) - 1L
  }
  # levels sorted as order() sorts, as factor(as.character(subj)) does; for a
  # factor without converting every row to a string
  subj_f <- if (is.factor(subj)) {
    lv <- levels(subj)
    used <- which(tabulate(as.integer(subj), length(lv)) > 0L)
    o <- used[order(lv[used])]
    structure(match(as.integer(subj), o), levels = lv[o], class = "factor")
  } else {
    factor(as.character(subj))
  }
  dup <- if (spec$plugin$spatial) {
    duplicated(data.frame(s = subj_f, v = coord))
  } else {
    duplicated(as.numeric(subj_f) * (length(visit_levels) + 1) + coord)
  }
  if (any(dup)) {
    i <- rows[which(dup)[1]]
    glycotrial_abort(c(
      "Duplicated subject-visit rows: subject {.val {as.character(data[[spec$subject]][i])}} has more than one row at {.field {spec$visit}} = {.val {as.character(visit[i])}}.",
      "i" = "An MMRM needs at most one observation per subject and visit."),
      call = NULL)
  }
  ord <- order(as.integer(subj_f), coord)
  rows <- rows[ord]
  subj_f <- subj_f[ord]
  coord <- coord[ord]
  vis <- vis[ord]
  if (!is.null(grp)) grp <- grp[ord]
  mmrm_check_single_levels(data, rows, fixed_vars)
  tt <- if (is.null(fast)) stats::terms(mf) else fast$terms
  # The design of all rows, then the used ones: no copy of the model frame
  # (rows with missing values give NA rows, which are not used). Character
  # columns get their levels from the rows model.matrix() sees, so they are
  # coded on the used rows only. Formulas of factors and numerics: built in
  # C++ on the used rows (mmrm_fast_frame()).
  X_full <- if (!is.null(fast)) {
    fast$model_matrix(rows)
  } else if (any(vapply(mf, is.character, NA))) {
    stats::model.matrix(tt, mf[rows, , drop = FALSE])
  } else {
    Xa <- stats::model.matrix(tt, mf)
    structure(Xa[rows, , drop = FALSE], assign = attr(Xa, "assign"),
              contrasts = attr(Xa, "contrasts"))
  }
  y <- as.numeric(y_all[rows])
  # offset() terms (R/mmrm_offset.R): fitted to y - offset
  off_all <- if (is.null(fast)) stats::model.offset(mf) else NULL
  offset <- if (!is.null(off_all)) mmrm_check_offset(off_all, rows)
  if (!is.null(offset)) y <- y - offset
  # Inf/-Inf pass the missing-value filter above; they would reach the
  # optimiser as a non-finite deviance (or fail inside lm.fit()).
  bad_y <- !is.finite(y)
  if (any(bad_y)) {
    glycotrial_abort("The response {.field {spec$response}} must be finite; found {format(y[bad_y][1])} at row {rows[which(bad_y)[1]]} of {.arg data}.",
                     call = NULL)
  }
  # Finite entries, and full rank when the column-scaled X'X has no
  # eigenvalue below 1e-10 (residual norms >= 1e-5 of the column norms, far
  # above qr()'s tolerance 1e-7): then qr() would find full rank, skip it.
  chk <- cpp_mmrm_check_design(X_full, 1e-10)
  bad_x <- if (chk[["finite"]]) matrix(0L, 0, 2) else which(!is.finite(X_full), arr.ind = TRUE)
  if (length(bad_x)) {
    glycotrial_abort("Covariate column {.field {colnames(X_full)[bad_x[1, 2]]}} of the design must be finite; found {format(X_full[bad_x[1, 1], bad_x[1, 2]])} at row {rows[bad_x[1, 1]]} of {.arg data}.",
                     call = NULL)
  }
  mmrm_check_scale(y, X_full)
  qr_x <- if (chk[["full_rank"]]) list(rank = ncol(X_full)) else qr(X_full)
  aliased <- rep(FALSE, ncol(X_full))
  names(aliased) <- colnames(X_full)
  if (qr_x$rank < ncol(X_full)) {
    if (!control$accept_singular) {
      glycotrial_abort("The design matrix is rank deficient ({qr_x$rank} of {ncol(X_full)} columns estimable); set {.code mmrm_fit_control(accept_singular = TRUE)} to report aliased coefficients as NA.",
                       call = NULL)
    }
    aliased[qr_x$pivot[seq.int(qr_x$rank + 1, ncol(X_full))]] <- TRUE
  }
  X <- X_full[, !aliased, drop = FALSE]
  n_subj <- nlevels(subj_f)
  starts <- c(0L, cumsum(tabulate(as.integer(subj_f), n_subj)))
  group_levels <- if (is.null(grp)) NULL else levels(grp)
  subject_group <- if (is.null(grp)) integer(n_subj) else as.integer(grp[starts[-length(starts)] + 1L]) - 1L
  n_visits <- length(visit_levels)
  n_theta_group <- covariance_n_theta(spec$plugin, n_visits)
  n_groups <- if (is.null(grp)) 1L else length(group_levels)
  w <- if (is.null(weights)) rep(1, length(rows)) else as.numeric(weights[rows])
  n_obs <- length(rows)
  if (n_obs <= ncol(X) + n_theta_group * n_groups || n_subj < 2) {
    glycotrial_abort(c(
      "Too few data to estimate structure {.val {spec$key}}: {n_obs} observation{?s} from {n_subj} subject{?s} for {ncol(X)} coefficient{?s} and {n_theta_group * n_groups} covariance parameter{?s}.",
      "i" = "Use a simpler structure (e.g. {.code cs} or {.code ar1}) or more data."),
      call = NULL)
  }
  if (!is.null(grp)) {
    tab <- tabulate(subject_group + 1L, n_groups)
    if (any(tab < 2)) {
      glycotrial_abort("Group {.val {group_levels[tab < 2][1]}} of {.field {spec$group}} has fewer than 2 subjects; too few to estimate its covariance.",
                       call = NULL)
    }
  }
  list(X = X, X_full = X_full, y = y, weights = w, has_weights = !is.null(weights),
       coord = as.numeric(coord), subject = subj_f, visit = vis, group = grp,
       subject_start = as.integer(starts), subject_group = as.integer(subject_group),
       n_groups = as.integer(n_groups), n_visits = as.integer(n_visits),
       n_theta_group = n_theta_group, visit_levels = visit_levels, group_levels = group_levels,
       rows = rows, n_dropped = n_dropped, aliased = aliased, terms = tt,
       xlevels = if (is.null(fast)) stats::.getXlevels(tt, mf) else fast$xlevels, contrasts = attr(X_full, "contrasts"),
       assign = attr(X_full, "assign"), data = data[rows, , drop = FALSE], offset = offset)
}

# What model.frame(drop.unused.levels = TRUE, na.action = na.pass) and
# model.matrix() give for the fixed-effects formula (response, missing
# covariates, terms with "predvars" and "dataClasses", xlevels, and a
# function of the used rows returning the model matrix with its dimnames,
# "assign" and "contrasts"), without building the model frame: the matrix
# comes from cpp_mmrm_model_matrix(). Only for plain column names of
# unordered factors (at least two used levels, no contrasts attribute) and
# plain numeric vectors, a numeric response, an intercept, no ".", no
# offset and the default contrasts option; otherwise NULL (the caller uses
# model.frame()/model.matrix()). Identical results: test-mmrm_fast_design.R.
mmrm_fast_frame <- function(spec, data) {
  if (!isTRUE(getOption("glycotrial.mmrm_fast_design", TRUE))) return(NULL)
  f <- spec$fixed
  if (!identical(getOption("contrasts"), c(unordered = "contr.treatment", ordered = "contr.poly")) ||
      "." %in% all.names(f)) {
    return(NULL)
  }
  tt <- stats::terms(f)
  vars <- as.list(attr(tt, "variables"))[-1L]
  if (attr(tt, "intercept") != 1L || attr(tt, "response") != 1L || !is.null(attr(tt, "offset")) ||
      !all(vapply(vars, is.name, NA))) {
    return(NULL)
  }
  nm <- vapply(vars, as.character, "")
  if (!identical(make.names(nm), nm) || anyDuplicated(nm) || !all(nm %in% names(data))) return(NULL)
  y <- data[[nm[1L]]]
  plain_num <- function(x) (is.double(x) || is.integer(x)) && is.null(attributes(x))
  if (!plain_num(y)) return(NULL)
  n0 <- length(y)
  rhs <- nm[-1L]
  cols <- vector("list", length(rhs))
  lv <- vector("list", length(rhs))
  x_na <- logical(n0)
  for (j in seq_along(rhs)) {
    x <- data[[rhs[j]]]
    if (is.factor(x)) {
      a <- attributes(x)
      if (!identical(a$class, "factor") || !setequal(names(a), c("levels", "class"))) return(NULL)
      codes <- unclass(x)
      attributes(codes) <- NULL
      l <- a$levels
      used <- tabulate(codes, length(l)) > 0L
      if (!all(used)) {
        codes <- cumsum(used)[codes]
        l <- l[used]
      }
      if (length(l) < 2L) return(NULL)
      cols[[j]] <- codes
      lv[[j]] <- l
    } else if (plain_num(x)) {
      cols[[j]] <- as.double(x)
    } else {
      return(NULL)
    }
    x_na <- x_na | is.na(cols[[j]])
  }
  is_f <- !vapply(lv, is.null, NA)
  names(lv) <- rhs
  cls <- c("numeric", ifelse(is_f, "factor", "numeric"))
  names(cls) <- nm
  attr(tt, "predvars") <- attr(tt, "variables")
  attr(tt, "dataClasses") <- cls
  fac <- attr(tt, "factors")
  fac <- if (length(fac)) fac[-1L, , drop = FALSE] else matrix(0L, length(rhs), 0L)
  storage.mode(fac) <- "integer"
  rn <- row.names(data)
  names(y) <- rn  # as model.response() names it
  ctr <- if (any(is_f)) {
    stats::setNames(as.list(rep("contr.treatment", sum(is_f))), rhs[is_f])
  }
  list(y = y, x_na = x_na, terms = tt,
       xlevels = if (length(rhs)) lv[is_f],
       model_matrix = function(rows) {
         X <- cpp_mmrm_model_matrix(cols, lv, rhs, fac, TRUE, rows, rn[rows])
         if (!is.null(ctr)) attr(X, "contrasts") <- ctr
         X
       })
}

# The row route (mmrm_fit() on a data frame below mmrm_moment_rows()) with
# data far from zero: the same centring and pilot shift on the model matrix
# rows. Active when the response or a numeric covariate has |mean| >
# getOption("glycotrial.mmrm_reparam_ratio", 10) standard deviations. The
# engine is built on the centred design only; mmrm_row_map_back() maps the
# fit back exactly (linear in beta, theta unchanged). Returns list(design =
# the design to fit, map = NULL or what mmrm_row_map_back() needs).
mmrm_row_reparam <- function(design, spec, data) {
  none <- list(design = design, map = NULL)
  if (!isTRUE(getOption("glycotrial.moments_pilot", TRUE)) || !is.data.frame(data)) return(none)
  ratio <- as.numeric(getOption("glycotrial.mmrm_reparam_ratio", 10))
  far <- function(x) {
    x <- x[is.finite(x)]
    length(x) > 1 && abs(mean(x)) > ratio * stats::sd(x)
  }
  rows <- design$rows
  y_far <- far(design$y)
  tt <- design$terms
  num_far <- vapply(intersect(all.vars(if (length(tt) == 3L) tt[[3L]] else tt[[2L]]), names(data)), function(v) {
    x <- data[[v]]
    is.numeric(x) && far(as.double(x[rows]))
  }, logical(1))
  if (!y_far && !any(num_far)) return(none)
  # centres: numeric variables of a supported formula whose encoding
  # reproduces the model matrix
  enc <- tryCatch({
    roles <- moments_roles(spec, NULL)
    sub <- data[rows, , drop = FALSE]
    e <- moments_encoding(spec, roles, moments_schema(sub, roles))
    chk <- utils::head(seq_len(nrow(sub)), 500L)
    if (!identical(e$colnames, colnames(design$X_full)) ||
        !isTRUE(all.equal(unname(moments_design_r(e, sub[chk, , drop = FALSE])),
                          unname(design$X_full[chk, , drop = FALSE]), tolerance = 1e-12))) {
      NULL
    } else {
      e
    }
  }, error = function(e) NULL)
  p <- ncol(design$X_full)
  Tm <- diag(p)
  centre <- NULL
  if (!is.null(enc)) {
    centre <- stats::setNames(rep(0, length(enc$vars)), names(enc$vars))
    for (v in names(enc$vars)) {
      if (!identical(enc$vars[[v]]$type, "numeric")) next
      x <- as.double(data[[v]][rows])
      if (far(x)) centre[[v]] <- mean(x[is.finite(x)])
    }
    cm <- moments_centre_map(enc, centre)
    centre <- cm$centre
    Tm <- cm$T
  }
  if (!y_far && !any(centre != 0)) return(none)
  keep <- !design$aliased
  if (any(design$aliased) && any(Tm[design$aliased, keep] != 0)) {
    Tm <- diag(p)
    centre[] <- 0
  }
  Tk <- Tm[keep, keep, drop = FALSE]
  X <- design$X
  Xs <- if (all(Tk == diag(nrow(Tk)))) X else {
    out <- X %*% Tk
    dimnames(out) <- dimnames(X)
    out
  }
  # pilot: least squares on up to moments_pilot_rows() rows spread over the data
  n <- nrow(Xs)
  idx <- if (n <= moments_pilot_rows()) seq_len(n) else unique(round(seq(1, n, length.out = moments_pilot_rows())))
  q <- qr(Xs[idx, , drop = FALSE])
  b0 <- rep(0, ncol(Xs))
  if (q$rank == ncol(Xs)) b0 <- as.numeric(qr.coef(q, design$y[idx]))
  b0[!is.finite(b0)] <- 0
  d2 <- design
  d2$X <- Xs
  d2$y <- design$y - drop(Xs %*% b0)
  y_coef <- rep(0, p)
  y_coef[keep] <- b0
  list(design = d2, map = list(T = Tm, y_coef = y_coef, colnames = names(design$aliased),
                               centre = if (!is.null(centre)) centre[centre != 0]))
}
