# The public map-reduce API of the moment route: mmrm_moments() is the map
# step (one chunk of rows -> a small, serialisable moments object),
# merge_moments() the reduce step, and mmrm_fit() / fit_lmm() accept the
# result as `data` (the object is a data source whose data pass is already
# done: mmrm_data_pass.glycotrial_moments()). Any engine that can run an R
# function on pieces of the data and bring back R objects (Spark's
# spark_apply(), Arrow record batches, Slurm jobs, callr, ...) can run the
# pass this way without glycotrial internals.

# Version of the moments object's format. Bump it when the layout of the
# object or the meaning of its matrices changes; moments of another version
# are refused (classed error) rather than summed or fitted wrongly.
moments_format_version <- 1L

#' Pattern moments of a chunk of rows, for map-reduce MMRM fits
#'
#' The map and reduce steps of the moment route of [mmrm_fit()], as public
#' functions: `mmrm_moments()` turns one chunk of rows into a small
#' moments object, `merge_moments()` sums such objects, and
#' `mmrm_fit(formula, data = <moments>)` (or `fit_lmm()`, see below) fits the
#' model from them. The chunks can be processed anywhere R runs -- Spark
#' executors (`spark_apply()` of sparklyr), Arrow record batches, Slurm jobs --
#' and only the moments travel back. Estimates equal those of the in-memory fit
#' of all rows to floating-point summation order (tested to 1e-10 relative).
#'
#' Every subject's rows must be in one chunk (split by subject). For chunks to
#' merge, they must be encoded alike: give the `levels` of every factor (at
#' least the visit variable, whose level order sets the visit order, and any
#' factor whose levels a chunk may not all contain); a chunk with a value
#' outside the given levels is an error of class `glycotrial_error_chunk`
#' naming the chunk (`chunk_id`). Chunks encoded differently (other levels,
#' column types, formula or `pilot`) refuse to merge (class
#' `glycotrial_error_moments_mismatch`), naming what differs.
#'
#' Data far from zero (e.g. dates as day numbers, a response offset by 1e6)
#' keep full accuracy when every chunk gets the same small `pilot` sample of
#' rows (e.g. the first chunk's first 20000 rows): numeric covariates are then
#' centred and the response shifted by a pilot least-squares fit before
#' products are summed, and the fit maps back (as the data sources of
#' [mmrm_data_dbi()] do by themselves).
#'
#' @section The moments object (format version 1):
#' A list of class `glycotrial_moments` (also a `glycotrial_mmrm_source`) with
#' plain R values only (no environments, external pointers or connections), so
#' it survives [saveRDS()], [serialize()] and transfer between R sessions of
#' the same glycotrial major version:
#' * `format`: `"glycotrial_moments"`; `version`: the format version (1);
#'   `glycotrial`: the package version that wrote it.
#' * `formula`: the formula as text; `model`: `"mmrm"` or `"lmm"`;
#'   `roles`: names of the response, fixed-effect variables, visit, subject,
#'   group and weight columns; `levels`: the levels given.
#' * `encoding`: the design encoding (design columns as products of numeric
#'   columns and contrast-coded factor levels, their names, the visit and group
#'   levels, centring and pilot shift); `key`: a fingerprint of it that must
#'   agree for objects to merge.
#' * `moments`: `patterns`, one entry per (group, visit pattern) with
#'   `group` (0-based), `visits` (0-based visit codes), `n` (subjects) and `M`,
#'   the (m (p + 1)) x (m (p + 1)) sum over those subjects of
#'   `crossprod(cbind(X_i, y_i))` arranged visit within column (m visits, p
#'   design columns, response last); and the totals `n_obs`, `n_subjects`,
#'   `n_dropped` (rows dropped for missing values), `log_weight_sum`, and
#'   `var_sums` (sums of the numeric covariates, for least-squares means).
#' * `n_chunks`: how many chunks were merged into it.
#'
#' Objects of another format version are refused with an error of class
#' `glycotrial_error_moments_version`.
#'
#' @section fit_lmm():
#' With a [fit_lmm()] formula whose random-effect design depends only on the
#' visit (see the fit_lmm() section of [mmrm_data_dbi()]), `mmrm_moments()`
#' encodes the chunk for fit_lmm()'s moment route (`model = "lmm"`), and
#' `fit_lmm(formula, data = <moments>)` fits it.
#'
#' @param formula The model formula of [mmrm_fit()] (with its covariance
#'   term; the moments do not depend on the covariance structure, so one
#'   moments object fits any structure over the same visits and groups), or
#'   of [fit_lmm()].
#' @param chunk A data frame: the rows of some subjects.
#' @param levels A named list of factor levels (see Details).
#' @param weights Optional name of a column of observation weights.
#' @param pilot Optional data frame of sample rows for centring (the same for
#'   every chunk; see Details).
#' @param chunk_id A name or number for the chunk, used in error messages.
#' @return `mmrm_moments()` and `merge_moments()`: an object of class
#'   `glycotrial_moments` (see the section on its format), to pass as `data`
#'   to [mmrm_fit()] or [fit_lmm()].
#' @seealso [mmrm_data_chunks()], [mmrm_data_csv()], [mmrm_data_parquet()] and
#'   [mmrm_data_dbi()], which run the same passes over chunks, files and
#'   database tables themselves.
#' @examples
#' set.seed(1)
#' wk <- c("W4", "W8", "W12")
#' d <- expand.grid(AVISIT = wk, USUBJID = sprintf("S%03d", 1:60),
#'                  stringsAsFactors = FALSE)
#' d$ARM <- ifelse(as.integer(factor(d$USUBJID)) %% 2 == 0, "Drug", "Placebo")
#' d$CHG <- rnorm(nrow(d)) + 0.5 * (d$ARM == "Drug")
#' f <- CHG ~ ARM * AVISIT + us(AVISIT | USUBJID)
#' lv <- list(AVISIT = wk, ARM = c("Placebo", "Drug"))
#' # map: one moments object per chunk (each could run on another machine)
#' parts <- lapply(split(d, rep(1:3, each = 60)), function(ch) mmrm_moments(f, ch, lv))
#' # reduce, then fit
#' m <- merge_moments(parts)
#' m
#' fit <- mmrm_fit(f, data = m)
#' # the same as fitting all rows
#' all.equal(coef(fit), coef(mmrm_fit(f, transform(d, AVISIT = factor(AVISIT, wk),
#'                                                    ARM = factor(ARM, lv$ARM)))))
#' # another covariance structure from the same moments
#' coef(mmrm_fit(CHG ~ ARM * AVISIT + ar1(AVISIT | USUBJID), data = m))
#' @export
mmrm_moments <- function(formula, chunk, levels = NULL, weights = NULL, pilot = NULL,
                         chunk_id = NULL) {
  if (!inherits(formula, "formula")) {
    glycotrial_abort("{.arg formula} must be a formula, not {describe_value(formula)}.")
  }
  sources_check_levels(levels)
  if (!is.null(weights) && !(is.character(weights) && length(weights) == 1 && !is.na(weights))) {
    glycotrial_abort("{.arg weights} must be the name of a column of {.arg chunk}, not {describe_value(weights)}.")
  }
  if (!is.null(pilot) && !is.data.frame(pilot)) {
    glycotrial_abort("{.arg pilot} must be a data frame of sample rows, not {describe_value(pilot)}.")
  }
  label <- if (is.null(chunk_id)) "chunk" else paste("chunk", format(chunk_id))
  spec <- moments_api_spec(formula, weights)
  roles <- spec$roles
  schema <- sources_chunk_schema(chunk, roles, levels, label)
  schema <- sources_fix_na_types(schema)
  # factors of the chunk that are all missing: the given levels or none
  for (v in names(schema)) {
    if (identical(schema[[v]]$type, "factor") && is.null(schema[[v]]$levels)) schema[[v]]$levels <- character()
  }
  enc <- tryCatch(moments_encoding(NULL, roles, schema), glycotrial_error = function(e) {
    glycotrial_abort(c("{label}: {conditionMessage(e)}",
                       "i" = "Give the {.arg levels} of every factor so that all chunks are encoded alike."),
                     class = c("input", "glycotrial_error_chunk"), call = NULL, parent = e)
  })
  enc <- moments_pilot(enc, pilot)
  mom <- moments_chunk(chunk, enc, threads = moments_threads(), label = label)
  moments_api_new(formula, spec, levels, enc, moments_merge(list(mom)), n_chunks = 1L)
}

#' @rdname mmrm_moments
#' @param ... Moments objects from `mmrm_moments()` or `merge_moments()`, or
#'   lists of them.
#' @export
merge_moments <- function(...) {
  parts <- list(...)
  parts <- unlist(lapply(parts, function(x) if (inherits(x, "glycotrial_moments")) list(x) else x),
                  recursive = FALSE)
  if (!length(parts)) glycotrial_abort("{.fun merge_moments} needs at least one moments object.")
  for (i in seq_along(parts)) moments_api_check(parts[[i]], sprintf("part %d", i))
  ref <- parts[[1]]
  for (i in seq_along(parts)[-1]) {
    what <- moments_api_differs(ref, parts[[i]])
    if (length(what)) {
      glycotrial_abort(c("Part {i} cannot be merged with part 1: {what}.",
                         "i" = "Compute every part with the same formula, {.arg levels}, {.arg weights} and {.arg pilot}."),
                       class = c("input", "glycotrial_error_moments_mismatch"))
    }
  }
  mom <- moments_merge(lapply(parts, function(x) x$moments))
  ref$moments <- mom
  # fit_lmm(): the (visit, slope value) pairs seen in any part
  pairs <- unique(unlist(lapply(parts, function(x) x$encoding$schema[[".visit"]]$pairs)))
  if (length(pairs)) ref$encoding$schema[[".visit"]]$pairs <- pairs
  ref$n_chunks <- sum(vapply(parts, function(x) as.integer(x$n_chunks), 1L))
  ref
}

#' @export
print.glycotrial_moments <- function(x, ...) {
  m <- x$moments
  cat(sprintf("<glycotrial_moments v%d> %s\n", as.integer(x$version), x$formula))
  cat(sprintf("  %s observations, %s subjects, %d visit pattern(s), %d design column(s), %d chunk(s)\n",
              format(m$n_obs, big.mark = ","), format(m$n_subjects, big.mark = ","),
              length(m$patterns), length(x$encoding$colnames), as.integer(x$n_chunks)))
  invisible(x)
}

# Roles of the formula's variables (an mmrm_fit() or a fit_lmm() formula).
moments_api_spec <- function(formula, weights) {
  if (moments_api_is_lmm(formula)) {
    ms <- lmm_moment_spec(formula)
    parsed <- ms$parsed
    spec <- list(fixed = parsed$fixed, visit = ms$visit, subject = parsed$group, group = NULL,
                 formula = formula, response = deparse(parsed$fixed[[2]]))
    roles <- moments_roles(spec, weights)
    roles$visit_alias <- TRUE
    roles$visit_value <- ms$value
    list(model = "lmm", roles = roles)
  } else {
    spec <- mmrm_formula(formula)
    list(model = "mmrm", roles = moments_roles(spec, weights))
  }
}

# A fit_lmm() formula has a random-effect term `(... | g)`.
moments_api_is_lmm <- function(formula) {
  has_bar_term <- function(e) {
    if (!is.call(e)) return(FALSE)
    if (identical(e[[1]], as.name("(")) && is.call(e[[2]]) &&
        as.character(e[[2]][[1]]) %in% c("|", "||")) return(TRUE)
    any(vapply(as.list(e)[-1], has_bar_term, logical(1)))
  }
  has_bar_term(formula[[length(formula)]])
}

# Role fields that must agree between a moments object and the formula it is
# fitted with (the covariance structure may differ).
moments_api_role_fields <- c("response", "fixed", "visit", "subject", "group", "weights",
                             "visit_alias", "visit_value")

moments_api_roles <- function(roles) {
  out <- lapply(moments_api_role_fields, function(f) roles[[f]])
  names(out) <- moments_api_role_fields
  out$terms <- c(attr(roles$terms, "term.labels"), paste0("intercept=", attr(roles$terms, "intercept")))
  out
}

moments_api_new <- function(formula, spec, levels, enc, mom, n_chunks) {
  # plain values only: no formula environments travel with the object
  attr(enc$terms, ".Environment") <- NULL
  key_parts <- list(enc$colnames, enc$visit_levels, enc$group_levels, enc$centre, enc$y_coef,
                    lapply(enc$vars, function(v) list(v$type, v$levels)),
                    moments_api_roles(spec$roles), spec$model)
  structure(list(format = "glycotrial_moments", version = moments_format_version,
                 glycotrial = as.character(utils::packageVersion("glycotrial")),
                 formula = paste(deparse(formula, width.cutoff = 500L), collapse = " "),
                 model = spec$model, roles = moments_api_roles(spec$roles), levels = levels,
                 encoding = enc, key = moments_api_key(key_parts), moments = mom,
                 n_chunks = as.integer(n_chunks)),
            class = c("glycotrial_moments", "glycotrial_mmrm_source"))
}

# The fingerprint of the encoding: the exact text of its parts (serialize()
# output differs between R versions; dput() with 17 digits does not round).
moments_api_key <- function(x) {
  paste(utils::capture.output(dput(x, control = c("keepNA", "keepInteger", "digits17"))),
        collapse = "")
}

# A moments object of this format version, or a classed error naming `what`.
moments_api_check <- function(x, what = "data") {
  if (!is.list(x) || !identical(x$format, "glycotrial_moments")) {
    glycotrial_abort("{what} is not a moments object from {.fun mmrm_moments} (found {describe_value(x)}).",
                     class = c("input", "glycotrial_error_moments_version"), call = NULL)
  }
  v <- x$version
  if (!(is.numeric(v) && length(v) == 1 && isTRUE(v == moments_format_version))) {
    glycotrial_abort(c("{what}: moments of format version {.val {format(v)}} (written by glycotrial {x$glycotrial %||% '?'}) cannot be used by this glycotrial, which reads version {moments_format_version}.",
                       "i" = "Recompute the moments with {.fun mmrm_moments} of this glycotrial version."),
                     class = c("input", "glycotrial_error_moments_version"), call = NULL)
  }
  invisible(TRUE)
}

# What differs between two moments objects' encodings (empty when none).
moments_api_differs <- function(a, b) {
  if (identical(a$key, b$key)) return(character())
  ea <- a$encoding
  eb <- b$encoding
  if (!identical(a$model, b$model) || !identical(a$roles, b$roles)) return("another formula or weights")
  if (!identical(ea$visit_levels, eb$visit_levels)) return("other visit levels")
  if (!identical(ea$group_levels, eb$group_levels)) return("other group levels")
  for (v in union(names(ea$vars), names(eb$vars))) {
    if (!identical(ea$vars[[v]]$type, eb$vars[[v]]$type)) {
      return(sprintf("column `%s` has another type", v))
    }
    if (!identical(ea$vars[[v]]$levels, eb$vars[[v]]$levels)) {
      return(sprintf("factor `%s` has other levels (give them in `levels`)", v))
    }
  }
  if (!identical(ea$centre, eb$centre) || !identical(ea$y_coef, eb$y_coef)) return("another `pilot`")
  "another encoding"
}

# The data pass of a moments object: already done; the formula of the fit
# must match the one the moments were computed for (up to the covariance).
#' @export
mmrm_data_pass.glycotrial_moments <- function(src, roles) {
  moments_api_check(src)
  have <- src$roles
  want <- moments_api_roles(roles)
  if (!identical(have, want)) {
    diff <- names(want)[!vapply(names(want), function(f) identical(have[[f]], want[[f]]), logical(1))]
    glycotrial_abort(c("The moments were computed for {.code {src$formula}}, which differs from this formula in: {diff}.",
                       "i" = "The covariance structure may change; the fixed effects, response, visit, subject, group and weights may not."),
                     class = c("input", "glycotrial_error_moments_mismatch"), call = NULL)
  }
  enc <- src$encoding
  enc$terms <- roles$terms
  list(moments = src$moments, encoding = enc)
}
