# The moment route of mmrm_fit(), for data too large for memory: the data pass builds
# per-visit-pattern moment matrices straight from the raw columns (no model
# matrix in R; threads in the C++ core, src/core/mmrm/moments.hpp), chunk by
# chunk where the data arrive in pieces (mmrm_sources.R), and the fit
# runs on the moments alone (MmrmEngine's moments constructor). Only moment
# matrices travel between chunks, workers and the database.
#
# Stages: moments_schema() fixes variable types and levels up front ->
# moments_encoding() turns the formula into design columns (products of numeric
# variables and contrast-coded factors, checked against model.matrix()) ->
# a data pass per source -> moments_merge() -> moments_fit().

moments_threads <- function() {
  t <- getOption("glycotrial.threads", 2L)
  max(1L, as.integer(t))
}

# Memory (bytes) the moment route may use for its pattern matrices:
# getOption("glycotrial.moment_memory_limit", 2 GB).
moments_memory_limit <- function() {
  x <- getOption("glycotrial.moment_memory_limit", 2 * 1024^3)
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || x <= 0) {
    glycotrial_abort("Option {.code glycotrial.moment_memory_limit} must be a positive number of bytes, not {describe_value(x)}.",
                     call = NULL)
  }
  as.double(x)
}

# Bytes the moment route holds for patterns of m visits (one entry per
# pattern) with q = p + 1 columns of [X | y]: the matrix M of each pattern in
# the data pass, its copy in R, the compressed copy in the engine and the
# working copies of the fit (about 3 M in all).
moments_moment_bytes <- function(m, q) 3 * 8 * sum((as.double(m) * q)^2)

moments_format_bytes <- function(b) {
  if (b >= 1024^3) sprintf("%.1f GB", b / 1024^3) else sprintf("%.0f MB", max(1, b / 1024^2))
}

# The classed refusal when the pattern matrices would exceed the limit.
moments_abort_memory <- function(bytes, n_patterns, source_is_frame = FALSE) {
  lim <- moments_memory_limit()
  glycotrial_abort(c(
    "The moment route would need about {moments_format_bytes(bytes)} for its {n_patterns} visit pattern matri{?x/ces} (limit {moments_format_bytes(lim)}, option {.code glycotrial.moment_memory_limit}).",
    "i" = "Many visits with scattered missing values give nearly every subject a pattern of its own; the moments then cost more than the rows.",
    "i" = if (source_is_frame) {
      "The row route works for these data: {.code options(glycotrial.mmrm_moment_rows = Inf)}."
    } else {
      "The row route works for these data: read the rows into a data frame (e.g. {.code DBI::dbReadTable()}, {.code read.csv()}) and fit that; or raise the limit."
    }),
    class = c("glycotrial_error_resources"), call = NULL)
}

# Route plan for a data frame: visit patterns of the rows with a response,
# visit and subject (covariate gaps ignored: an estimate), the number p of
# design columns, and the sizes of the two routes' data: the moment matrices
# sum_P (m_P (p + 1))^2 against the model matrix n (p + 1). The moment route
# is taken when its matrices are no larger than the rows (or small anyway:
# below glycotrial.moment_route_min_bytes, 64 MB) and within the memory limit.
moments_route_plan <- function(formula, data, weights = NULL) {
  spec <- mmrm_formula(formula)
  if (isTRUE(spec$plugin$spatial)) return(NULL)
  roles <- moments_roles(spec, weights)
  if (!all(sources_need_cols(roles) %in% names(data))) return(NULL)
  enc <- moments_encoding(spec, roles, moments_schema(data, roles))
  q <- length(enc$colnames) + 1
  k <- length(enc$visit_levels)
  # the visit patterns from the data pass itself with no design columns
  # (rows with a response, visit and subject; a few ms per million rows)
  keys <- moments_chunk_keys(data, enc, NULL)
  pats <- cpp_scale_moments(list(), list(), as.double(data[[roles$response]]), NULL, keys$visit$x,
                            keys$subj, keys$group$x, keys$ord, k,
                            max(1L, length(enc$group_levels)), moments_threads(), -1L, NULL, 0,
                            NULL, keys$visit$lut, keys$group$lut)$patterns
  if (!length(pats)) return(NULL)
  m <- vapply(pats, function(pt) length(pt$visits), 1)
  ok <- sum(vapply(pats, function(pt) pt$n * length(pt$visits), 1))
  mom_bytes <- moments_moment_bytes(m, q)
  row_bytes <- 3 * 8 * as.double(ok) * q
  min_bytes <- as.double(getOption("glycotrial.moment_route_min_bytes", 64 * 1024^2))
  list(moments = k <= 63 && mom_bytes <= moments_memory_limit() &&
         (mom_bytes <= row_bytes || mom_bytes <= min_bytes),
       n_patterns = length(pats), n_visits = k, p = q - 1, moment_bytes = mom_bytes,
       row_bytes = row_bytes)
}

# ---- schema: variables, types and levels, fixed before the data pass ----------

# Variables the formula needs, by role.
moments_roles <- function(spec, weights) {
  tt <- stats::terms(spec$fixed)
  vars <- attr(tt, "variables")
  exprs <- as.list(vars)[-1]
  names_ok <- vapply(exprs, is.name, logical(1))
  if (!all(names_ok)) {
    bad <- vapply(exprs[!names_ok], function(e) paste(deparse(e), collapse = ""), "")
    glycotrial_abort(c(
      "The moment route of {.fun mmrm_fit} (large, chunked, database or distributed data) supports plain columns, factors and their interactions only; found {.code {bad}}.",
      "i" = "Compute transformed columns in the data (or the database view) first."),
      call = NULL)
  }
  all_vars <- vapply(exprs, as.character, "")
  resp <- if (attr(tt, "response") > 0) all_vars[attr(tt, "response")] else NULL
  list(terms = tt, response = resp, fixed = setdiff(all_vars, resp),
       visit = spec$visit, subject = spec$subject, group = spec$group,
       weights = weights)
}

# Type of one column as the moment route sees it.
moments_col_type <- function(x) {
  if (is.factor(x) || is.character(x) || is.logical(x)) "factor" else if (is.numeric(x)) "numeric" else "other"
}

moments_col_levels <- function(x) {
  if (is.factor(x)) {
    levels(x)[tabulate(x, nlevels(x)) > 0]
  } else if (is.logical(x)) {
    c("FALSE", "TRUE")[c(FALSE, TRUE) %in% x]
  } else {
    u <- unique(x)
    sort(as.character(u[!is.na(u)]))
  }
}

# Schema from a data frame (a whole data set, or the first pass over chunks
# with moments_schema_merge()). `levels`: user-given levels override.
moments_schema <- function(df, roles, levels = NULL) {
  cols <- unique(c(roles$response, roles$fixed, roles$visit, roles$group))
  # visit_alias (fit_lmm()'s moment route): the visit variable may also be a
  # numeric covariate (a random slope's time); its visit levels then live in
  # the entry ".visit" and the variable keeps its own type
  alias <- isTRUE(roles$visit_alias)
  out <- list()
  for (v in cols) {
    x <- df[[v]]
    own <- alias && identical(v, roles$visit)
    type <- if (!is.null(levels[[v]]) && !own) "factor" else moments_col_type(x)
    if ((identical(v, roles$visit) && !own) || identical(v, roles$group)) type <- "factor"
    if (identical(v, roles$response)) type <- "numeric"
    out[[v]] <- list(name = v, type = type,
                     levels = if (type == "factor") {
                       if (!is.null(levels[[v]])) as.character(levels[[v]]) else moments_col_levels(x)
                     })
  }
  if (alias) {
    v <- roles$visit
    out[[".visit"]] <- list(name = v, type = "factor",
                            levels = if (!is.null(levels[[v]])) as.character(levels[[v]]) else moments_col_levels(df[[v]]))
    if (!is.null(roles$visit_value)) {
      # the distinct (visit, value) pairs of the rows with a response: the
      # random slope's variable must be constant within each visit
      ok <- !is.na(df[[v]]) & !is.na(df[[roles$response]])
      out[[".visit"]]$pairs <- unique(paste(as.character(df[[v]][ok]), "\r",
                                            as.character(df[[roles$visit_value]][ok]), sep = ""))
    }
  }
  out
}

moments_schema_merge <- function(a, b) {
  if (is.null(a)) return(b)
  for (v in names(a)) {
    if (!is.null(a[[v]]$pairs) || !is.null(b[[v]]$pairs)) {
      a[[v]]$pairs <- unique(c(a[[v]]$pairs, b[[v]]$pairs))
    }
    if (identical(a[[v]]$type, "factor")) {
      # chunks with the same levels keep their order; otherwise sorted union
      if (!identical(a[[v]]$levels, b[[v]]$levels)) {
        a[[v]]$levels <- sort(unique(c(a[[v]]$levels, b[[v]]$levels)))
      }
    }
  }
  a
}

# ---- encoding: the formula as products of columns -----------------------------

moments_encoding <- function(spec, roles, schema) {
  tt <- roles$terms
  fac <- attr(tt, "factors")
  design <- list()
  nms <- character()
  assign <- integer()
  if (attr(tt, "intercept") == 1) {
    design <- list(list())
    nms <- "(Intercept)"
    assign <- 0L
  }
  var_index <- stats::setNames(seq_along(roles$fixed) - 1L, roles$fixed)
  for (v in roles$fixed) {
    if (schema[[v]]$type == "other") {
      glycotrial_abort("Column {.field {v}} has an unsupported type for the moment route (numeric, factor, character or logical expected).",
                       call = NULL)
    }
  }
  # rows of `fac` are the deparsed variables (`my arm` with backticks, as in
  # model.matrix()'s column names); the schema is keyed by the plain names
  plain <- stats::setNames(vapply(as.list(attr(tt, "variables"))[-1], as.character, ""), rownames(fac))
  for (j in seq_len(ncol(fac))) {
    vs <- rownames(fac)[fac[, j] > 0]
    cols <- list(list(comps = list(), name = character()))
    for (vr in vs) {
      v <- plain[[vr]]
      sc <- schema[[v]]
      pieces <- if (sc$type == "numeric") {
        list(list(comp = list(var = var_index[[v]], map = NULL), name = vr))
      } else {
        lv <- sc$levels
        if (length(lv) < 1) {
          glycotrial_abort("Factor {.field {v}} has no observed levels.", call = NULL)
        }
        cm <- if (fac[vr, j] == 1) {
          if (length(lv) < 2) {
            glycotrial_abort("Factor {.field {v}} needs at least two levels for contrasts; found {.val {lv}}.",
                             call = NULL)
          }
          stats::contrasts(factor(lv, levels = lv))
        } else {
          m <- diag(length(lv))
          dimnames(m) <- list(lv, lv)
          m
        }
        lapply(seq_len(ncol(cm)), function(q) {
          list(comp = list(var = var_index[[v]], map = unname(as.numeric(cm[, q]))),
               name = paste0(vr, colnames(cm)[q] %||% q))
        })
      }
      # first variable varies fastest, as in model.matrix()
      new <- list()
      for (pc in pieces) for (cl in cols) {
        new[[length(new) + 1]] <- list(comps = c(cl$comps, list(pc$comp)),
                                       name = c(cl$name, pc$name))
      }
      cols <- new
    }
    design <- c(design, lapply(cols, `[[`, "comps"))
    nms <- c(nms, vapply(cols, function(cl) paste(cl$name, collapse = ":"), ""))
    assign <- c(assign, rep(j, length(cols)))
  }
  enc <- list(design = design, colnames = nms, assign = assign, vars = schema[roles$fixed],
              response = roles$response, visit = roles$visit, subject = roles$subject,
              group = roles$group, weights = roles$weights,
              visit_levels = (if (isTRUE(roles$visit_alias)) schema[[".visit"]] else schema[[roles$visit]])$levels,
              group_levels = if (!is.null(roles$group)) schema[[roles$group]]$levels,
              terms = tt, schema = schema)
  moments_check_encoding(enc)
  enc
}

# The encoding must reproduce model.matrix() on a prototype data set that
# visits every level; otherwise the formula is not supported by the route.
moments_check_encoding <- function(enc) {
  R <- max(8L, 2L * max(c(1L, vapply(enc$vars, function(v) length(v$levels), 1L))))
  set.seed_local <- function(n) stats::qnorm(seq(0.05, 0.95, length.out = n))
  proto <- list()
  i <- 0
  for (v in enc$vars) {
    i <- i + 1
    proto[[v$name]] <- if (v$type == "numeric") {
      set.seed_local(R)[((seq_len(R) * (i + 2)) %% R) + 1]
    } else {
      factor(v$levels[((seq_len(R) + i) %% length(v$levels)) + 1], levels = v$levels)
    }
  }
  proto <- as.data.frame(proto, stringsAsFactors = FALSE, optional = TRUE)
  mm <- stats::model.matrix(stats::delete.response(enc$terms), proto)
  mine <- moments_design_r(enc, proto)
  if (!identical(colnames(mm), enc$colnames) || !identical(attr(mm, "assign"), enc$assign) ||
      !isTRUE(all.equal(as.vector(mm), as.vector(mine), tolerance = 1e-12))) {
    glycotrial_abort("The moment route cannot reproduce the model matrix of this formula (non-default contrasts or special terms); use a data frame with fewer than {mmrm_moment_rows()} rows.",
                     call = NULL)
  }
  invisible(TRUE)
}

# The design evaluated in R (only for the small prototype check).
moments_design_r <- function(enc, df) {
  vapply(enc$design, function(comps) {
    v <- rep(1, nrow(df))
    for (cp in comps) {
      x <- df[[enc$vars[[cp$var + 1]]$name]]
      v <- v * if (is.null(cp$map)) x - (cp$centre %||% 0) else cp$map[as.integer(x)]
    }
    v
  }, numeric(nrow(df)))
}

# ---- the data pass for one in-memory chunk -------------------------------------

moments_abort_chunk <- function(label, msg, .envir = parent.frame()) {
  glycotrial_abort(paste0(if (!is.null(label)) paste0(label, ": ") else "", msg),
                   class = c("input", "glycotrial_error_chunk"), call = NULL, .envir = .envir)
}

moments_codes <- function(x, levels, v, label) {
  if (is.factor(x)) {
    m <- match(levels(x), levels)
    codes <- m[as.integer(x)]
    bad <- !is.na(x) & is.na(codes)
  } else if (is.character(x) || is.logical(x) || is.numeric(x)) {
    xc <- as.character(x)
    codes <- match(xc, levels)
    bad <- !is.na(xc) & is.na(codes)
  } else {
    moments_abort_chunk(label, "column {.field {v}} has type {.cls {class(x)}}; expected a factor or character.")
  }
  if (any(bad)) {
    newlev <- unique(as.character(x[bad]))
    moments_abort_chunk(label, "column {.field {v}} has level{?s} {.val {newlev}} not among the fixed levels {.val {levels}}.")
  }
  as.integer(codes) - 1L
}

# A factor-like column for the data pass: list(x = codes, lut = NULL or the
# 0-based schema code of each of a factor's levels). A factor goes as it is
# (its integer codes, no copy) with the table; levels outside `levels` that
# occur are refused as in moments_codes().
moments_code_col <- function(x, levels, v, label) {
  if (!is.factor(x)) return(list(x = moments_codes(x, levels, v, label)))
  m <- match(levels(x), levels)
  if (anyNA(m)) {
    used <- tabulate(x, nlevels(x)) > 0
    if (any(is.na(m) & used)) {
      newlev <- levels(x)[is.na(m) & used]
      moments_abort_chunk(label, "column {.field {v}} has level{?s} {.val {newlev}} not among the fixed levels {.val {levels}}.")
    }
  }
  lut <- m - 1L
  lut[is.na(lut)] <- -1L
  list(x = x, lut = as.integer(lut))
}

# Are the subject ids not in runs (each id's rows together)? Sorted ids are
# in runs; otherwise runs are checked by counting id changes against ids.
moments_unsorted <- function(subj) {
  if (!is.unsorted(subj)) return(FALSE)
  n <- length(subj)
  changes <- if (n > 1) sum(subj[-1L] != subj[-n]) else 0
  changes + 1 != length(unique(subj))
}

# Visit and group codes (moments_code_col()), subject ids and, when the rows
# of a subject are not together, a radix order by subject (0-based).
moments_chunk_keys <- function(df, enc, label) {
  visit <- moments_code_col(df[[enc$visit]], enc$visit_levels, enc$visit, label)
  group <- if (!is.null(enc$group)) moments_code_col(df[[enc$group]], enc$group_levels, enc$group, label)
  s <- df[[enc$subject]]
  # subject ids as integers: factors and integers as they are (NA is
  # NA_integer_ either way), anything else numbered in order of appearance
  subj <- if (is.integer(s) || is.factor(s)) s else {
    id <- match(s, unique(s))
    id[is.na(s)] <- NA_integer_
    id
  }
  ord <- if (anyNA(subj) || moments_unsorted(subj)) order(unclass(subj), method = "radix") - 1L
  list(visit = visit, group = group, s = s, subj = subj, ord = ord)
}

# Moments of one data frame chunk. Every subject's rows must be in this chunk.
moments_chunk <- function(df, enc, threads = 1L, label = NULL) {
  if (!is.data.frame(df)) {
    moments_abort_chunk(label, "expected a data frame, found {.cls {class(df)}}.")
  }
  need <- unique(c(enc$response, names(enc$vars), enc$visit, enc$subject, enc$group, enc$weights))
  miss <- setdiff(need, names(df))
  if (length(miss)) {
    moments_abort_chunk(label, "column{?s} {.field {miss}} missing.")
  }
  n <- nrow(df)
  yv <- df[[enc$response]]
  if (!is.numeric(yv) && !(is.logical(yv) && all(is.na(yv)))) {
    moments_abort_chunk(label, "the response {.field {enc$response}} is {.cls {class(yv)}}, not numeric.")
  }
  y <- as.double(yv)
  # factors are handed over as they are (their 1-based codes) with a table
  # from their levels to the schema's (no per-row copy); other columns as
  # 0-based codes
  cols <- lapply(enc$vars, function(v) {
    x <- df[[v$name]]
    if (v$type == "numeric") {
      if (is.logical(x) && all(is.na(x))) return(list(x = rep(NA_real_, n)))
      if (!is.numeric(x) || is.factor(x)) {
        moments_abort_chunk(label, "column {.field {v$name}} is {.cls {class(x)}} here but numeric in the schema.")
      }
      list(x = as.double(x))
    } else {
      if (is.numeric(x) && !is.factor(x) && !all(is.na(x)) &&
          !all(as.character(x[!is.na(x)]) %in% v$levels)) {
        moments_abort_chunk(label, "column {.field {v$name}} is {.cls {class(x)}} here but a factor in the schema.")
      }
      moments_code_col(x, v$levels, v$name, label)
    }
  })
  vars <- lapply(cols, `[[`, "x")
  luts <- lapply(cols, function(cl) cl$lut)
  if (all(vapply(luts, is.null, logical(1)))) luts <- NULL
  keys <- moments_chunk_keys(df, enc, label)
  visit <- keys$visit
  group <- keys$group
  s <- keys$s
  subj <- keys$subj
  ord <- keys$ord
  w <- if (!is.null(enc$weights)) {
    wv <- as.double(df[[enc$weights]])
    if (any(!is.na(wv) & (!is.finite(wv) | wv <= 0))) {
      moments_abort_chunk(label, "weights {.field {enc$weights}} must be positive and finite.")
    }
    wv
  }
  res <- tryCatch(
    cpp_scale_moments(vars, enc$design, y, w, visit$x, subj, group$x,
                      if (is.null(ord)) NULL else as.integer(ord),
                      length(enc$visit_levels), max(1L, length(enc$group_levels)),
                      as.integer(threads),
                      as.integer(getOption("glycotrial.scale_test_interrupt_after", -1L)),
                      enc$y_coef, moments_memory_limit() / 3,
                      luts, visit$lut, group$lut,
                      isTRUE(getOption("glycotrial.moments_compress", TRUE))),
    glycotrial_error_input = function(e) {
      mem <- regmatches(conditionMessage(e), regexec("MEMORY_LIMIT:([0-9.e+]+):([0-9]+)", conditionMessage(e)))[[1]]
      if (length(mem)) moments_abort_memory(3 * as.numeric(mem[2]), as.integer(mem[3]))
      m <- regmatches(conditionMessage(e), regexec("(DUPLICATED_VISIT|TWO_GROUPS):(-?[0-9]+)", conditionMessage(e)))[[1]]
      if (!length(m)) stop(e)
      code <- as.integer(m[3])
      id <- if (is.factor(s)) levels(s)[code] else if (is.integer(s)) code else unique(s)[code]
      if (m[2] == "DUPLICATED_VISIT") {
        moments_abort_chunk(label, "subject {.val {as.character(id)}} has more than one row at one visit of {.field {enc$visit}}; an MMRM needs at most one observation per subject and visit.")
      } else {
        moments_abort_chunk(label, "subject {.val {as.character(id)}} appears in more than one group of {.field {enc$group}}.")
      }
    })
  res$subjects <- NULL
  res$var_sums <- stats::setNames(res$var_sums, names(enc$vars))
  res
}

# Subject ids of a chunk (to check that no subject straddles two chunks).
moments_chunk_subjects <- function(df, enc) {
  s <- df[[enc$subject]]
  ok <- !is.na(df[[enc$response]])
  # (unique ids in their own type: integer ids stay 4 bytes a subject, not
  # a string each, so that 1e7 subjects over chunks stay small)
  u <- unique(s[ok])
  if (is.factor(u)) as.character(u) else u
}

# ---- data far from zero: centring and a pilot response shift -----------------
#
# Moments are sums of products: for a response or covariate far from zero
# (HbA1c in mmol/mol + 1e4, dates as day numbers, ...) the quadratic forms the
# fit takes from them cancel catastrophically. The data pass therefore works
# in an exactly equivalent parametrisation: numeric covariates centred where
# the model has the marginal columns (X* = X T, T unit triangular, so the
# likelihood and REML term are unchanged), and the response shifted by a
# pilot estimate b0 from a sample of rows (y* = y - X* b0, beta* = gamma -
# b0). Any sample gives an exact reparametrisation; a representative one
# keeps what is summed small. The fit maps back: beta = T (b0 + beta*),
# covariances T V T'.

# Key of a design column: its components regardless of order.
moments_comp_key <- function(comps) {
  if (!length(comps)) return("")
  k <- vapply(comps, function(cp) {
    paste0(cp$var, "|", if (is.null(cp$map)) "num" else paste(sprintf("%.17g", cp$map), collapse = ","))
  }, "")
  paste(sort(k), collapse = ";")
}

# For centres per variable: the map T with X_centred = X T, dropping (centre
# 0) variables whose centring is not an exact reparametrisation (a column
# x:F whose marginal column F is not in the model, or no intercept).
moments_centre_map <- function(enc, centre) {
  design <- enc$design
  p <- length(design)
  keys <- vapply(design, moments_comp_key, "")
  var_name <- function(cp) enc$vars[[cp$var + 1]]$name
  repeat {
    Tm <- diag(p)
    bad <- character()
    for (j in seq_len(p)) {
      comps <- design[[j]]
      num_idx <- which(vapply(comps, function(cp) is.null(cp$map) && centre[[var_name(cp)]] != 0,
                              logical(1)))
      if (!length(num_idx)) next
      for (mask in seq_len(2^length(num_idx) - 1)) {
        S <- num_idx[bitwAnd(mask, 2^(seq_along(num_idx) - 1)) > 0]
        i <- match(moments_comp_key(comps[-S]), keys)
        if (is.na(i)) {
          bad <- c(bad, vapply(comps[S], var_name, ""))
        } else {
          Tm[i, j] <- Tm[i, j] + prod(vapply(comps[S], function(cp) -centre[[var_name(cp)]], 1))
        }
      }
    }
    if (!length(bad)) break
    centre[unique(bad)] <- 0
  }
  list(centre = centre, T = Tm)
}

moments_apply_centre <- function(enc, centre) {
  enc$design <- lapply(enc$design, function(comps) {
    lapply(comps, function(cp) {
      if (is.null(cp$map)) cp$centre <- unname(centre[[enc$vars[[cp$var + 1]]$name]])
      cp
    })
  })
  enc$centre <- centre
  enc
}

# Least squares from cross-products (aliased columns get 0).
moments_ols <- function(XY, p) {
  b <- rep(0, p)
  XtX <- XY[seq_len(p), seq_len(p), drop = FALSE]
  d <- sqrt(pmax(diag(XtX), 0))
  nz <- which(d > 0 & is.finite(d))
  if (!length(nz)) return(b)
  q <- qr(XtX[nz, nz, drop = FALSE] / outer(d[nz], d[nz]), tol = 1e-10)
  keep <- nz[q$pivot[seq_len(q$rank)]]
  bk <- tryCatch(solve(XtX[keep, keep, drop = FALSE], XY[keep, p + 1]), error = function(e) NULL)
  if (!is.null(bk)) b[keep] <- bk
  b[!is.finite(b)] <- 0
  b
}

# Centres and the pilot shift from `sample` (a data frame of rows of the
# data, or NULL). Sets enc$centre, enc$T, enc$y_coef and the design centres.
moments_pilot <- function(enc, sample) {
  p <- length(enc$colnames)
  centre <- stats::setNames(rep(0, length(enc$vars)), names(enc$vars))
  enc <- moments_apply_centre(enc, centre)
  enc$T <- diag(p)
  enc$y_coef <- NULL
  if (!isTRUE(getOption("glycotrial.moments_pilot", TRUE)) || is.null(sample) ||
      !is.data.frame(sample) || !nrow(sample)) {
    return(enc)
  }
  for (v in names(enc$vars)) {
    if (!identical(enc$vars[[v]]$type, "numeric")) next
    x <- sample[[v]]
    x <- if (is.numeric(x)) as.double(x[is.finite(x)]) else numeric(0)
    if (length(x)) centre[[v]] <- mean(x)
  }
  cm <- moments_centre_map(enc, centre)
  enc <- moments_apply_centre(enc, cm$centre)
  enc$T <- cm$T
  # (the test option that fakes Ctrl-C counts the checks of the main pass only)
  # (and the pilot is a sample: its pattern matrices get a quarter of the
  # memory limit, beyond which it is skipped)
  old <- options(glycotrial.scale_test_interrupt_after = -1L,
                 glycotrial.moment_memory_limit = moments_memory_limit() / 4)
  on.exit(options(old), add = TRUE)
  mom <- tryCatch(suppressMessages(moments_chunk(sample, enc, threads = 1L, label = "pilot sample")),
                  glycotrial_error = function(e) NULL)
  options(old)
  if (is.null(mom) || !length(mom$patterns)) return(enc)
  b <- moments_ols(moments_crossprod(mom, p), p)
  if (any(b != 0)) enc$y_coef <- b
  enc
}

# Rows for the pilot from a data frame: up to
# getOption("glycotrial.moments_pilot_rows", 20000) rows spread over it.
moments_pilot_rows <- function() max(10L, as.integer(getOption("glycotrial.moments_pilot_rows", 20000L)))

moments_pilot_sample <- function(df) {
  n <- nrow(df)
  if (!is.data.frame(df) || !n) return(NULL)
  N <- moments_pilot_rows()
  if (n <= N) df else df[unique(round(seq(1, n, length.out = N))), , drop = FALSE]
}

# The moments in the original parametrisation (raw X, raw y): the fallback
# when aliased columns do not allow mapping the estimates back.
moments_unmap <- function(mom, enc) {
  p <- length(enc$colnames)
  b0 <- enc$y_coef %||% rep(0, p)
  V <- diag(p + 1)
  V[seq_len(p), seq_len(p)] <- solve(enc$T)
  V[seq_len(p), p + 1] <- b0
  mom$patterns <- lapply(mom$patterns, function(pat) {
    pat$M <- moments_kron_congruence(pat$M, V, length(pat$visits))
    pat
  })
  mom
}

# (V x I_m)' M (V x I_m) for M of order m q (index c m + a) without forming
# the Kronecker product: V acts on the column blocks, then on the row blocks,
# O(m^2 q^3) instead of O(m^3 q^3) (the cost that grew with visits^3 per
# pattern).
moments_kron_congruence <- function(M, V, m) {
  d <- nrow(M)
  q <- ncol(V)
  right <- function(X) matrix(matrix(X, nrow(X) * m, q) %*% V, nrow(X), ncol(X))
  out <- t(right(t(right(M))))
  (out + t(out)) / 2
}

# Maps a fit in the centred/shifted parametrisation back (keep: estimable
# columns; Tk = T[keep, keep], block of a unit triangular map).
moments_map_back <- function(obj, enc, keep) {
  p <- length(enc$colnames)
  b0 <- (enc$y_coef %||% rep(0, p))[keep]
  Tk <- enc$T[keep, keep, drop = FALSE]
  identity_T <- isTRUE(all(Tk == diag(nrow(Tk))))
  nm <- names(obj$beta_est)
  obj$beta_est <- stats::setNames(drop(Tk %*% (b0 + obj$beta_est)), nm)
  obj$beta[keep] <- obj$beta_est
  if (identity_T) return(obj)
  Ti <- solve(Tk)
  # the df pieces in the centred parametrisation: df of a contrast L are
  # those of L T there (exact), while the mapped matrices hold the centre
  # squared and lose ~ centre^2 * eps (see mmrm_df_pieces())
  obj$df_centred <- list(T = Tk, beta_vcov = obj$beta_vcov, jac_list = obj$jac_list)
  cov_map <- function(V) {
    out <- Tk %*% V %*% t(Tk)
    out <- (out + t(out)) / 2
    dimnames(out) <- dimnames(V)
    out
  }
  info_map <- function(P) {
    out <- t(Ti) %*% P %*% Ti
    out <- (out + t(out)) / 2
    dimnames(out) <- dimnames(P)
    out
  }
  obj$beta_vcov <- cov_map(obj$beta_vcov)
  obj$beta_vcov_adj <- cov_map(obj$beta_vcov_adj)
  obj$jac_list <- lapply(obj$jac_list, cov_map)
  if (!is.null(obj$jac_P)) obj$jac_P <- lapply(obj$jac_P, info_map)
  if (!is.null(obj$kr)) {
    obj$kr$P_centred <- obj$kr$P
    obj$kr$P <- lapply(obj$kr$P, info_map)
    obj$kr$vcov_adj <- cov_map(obj$kr$vcov_adj)
  }
  if (!is.null(obj$xtx)) obj$xtx <- info_map(obj$xtx)
  obj
}

# ---- reduction ----------------------------------------------------------------

# Sums moments in the order given (deterministic), patterns sorted by group
# and visit set.
moments_merge <- function(parts) {
  acc <- list()
  tot <- c(n_obs = 0, n_subjects = 0, n_dropped = 0, log_weight_sum = 0)
  var_sums <- NULL
  for (pt in parts) {
    for (nm in names(tot)) tot[[nm]] <- tot[[nm]] + pt[[nm]]
    var_sums <- if (is.null(var_sums)) pt$var_sums else var_sums + pt$var_sums
    for (pat in pt$patterns) {
      key <- paste0(pat$group, ":", paste(pat$visits, collapse = ","))
      if (is.null(acc[[key]])) {
        acc[[key]] <- pat
      } else {
        acc[[key]]$M <- acc[[key]]$M + pat$M
        acc[[key]]$n <- acc[[key]]$n + pat$n
      }
    }
  }
  if (length(acc)) {
    bytes <- 3 * 8 * sum(vapply(acc, function(pat) as.double(length(pat$M)), 1))
    if (bytes > moments_memory_limit()) moments_abort_memory(bytes, length(acc))
    ord <- order(vapply(acc, `[[`, 1, "group"),
                 vapply(acc, function(p) sum(2^p$visits), 1))
    acc <- unname(acc[ord])
  }
  c(list(patterns = acc), as.list(tot), list(var_sums = var_sums))
}

# ---- fit from moments -------------------------------------------------------------

# Cross-products of [X | y] summed over visits and patterns.
moments_crossprod <- function(mom, p) {
  S <- matrix(0, p + 1, p + 1)
  for (pat in mom$patterns) {
    m <- length(pat$visits)
    for (a in seq_len(m)) {
      sel <- (0:p) * m + a
      S <- S + pat$M[sel, sel, drop = FALSE]
    }
  }
  S
}

moments_subset <- function(mom, keep, p) {
  mom$patterns <- lapply(mom$patterns, function(pat) {
    m <- length(pat$visits)
    idx <- c(outer(seq_len(m), (c(which(keep), p + 1) - 1L) * m, "+"))
    pat$M <- pat$M[idx, idx, drop = FALSE]
    pat
  })
  mom
}

# Empirical residual covariance per group from OLS residual moments.
moments_resid_cov <- function(mom, beta, k, G) {
  u <- c(-beta, 1)
  S <- replicate(G, matrix(0, k, k), simplify = FALSE)
  N <- replicate(G, matrix(0, k, k), simplify = FALSE)
  for (pat in mom$patterns) {
    m <- length(pat$visits)
    # U' M U with U = u x I_m, blockwise (no m (p + 1) x m Kronecker product)
    MU <- matrix(matrix(pat$M, nrow(pat$M) * m, length(u)) %*% u, nrow(pat$M), m)
    R <- matrix(matrix(t(MU), m * m, length(u)) %*% u, m, m)
    R <- (R + t(R)) / 2
    v <- pat$visits + 1L
    g <- pat$group + 1L
    S[[g]][v, v] <- S[[g]][v, v] + R
    N[[g]][v, v] <- N[[g]][v, v] + pat$n
  }
  lapply(seq_len(G), function(g) {
    out <- S[[g]] / N[[g]]
    out[!is.finite(out)] <- NA
    out
  })
}

# The moment route in the stages of mmrm_fit(): moments_prepare() (design
# stage: visits in use, aliased columns, size checks), moments_engine()
# (engine stage), moments_default_start() (the optimiser's start) and
# moments_result() (assembly, mapped back to the formula's parametrisation).
# moments_fit() chains them for fit_lmm()'s moment route (R/lmm_moments.R).
moments_fit <- function(mom, enc, spec, reml, df, vcov, control) {
  prep <- moments_prepare(mom, enc, spec, control)
  engine <- structure(list(ptr = moments_engine(prep, spec, reml), plugin = spec$plugin, design = NULL,
                           reml = reml, route = "moments",
                           start = function() moments_default_start(prep, spec$plugin)),
                      class = "glycotrial_mmrm_engine")
  moments_result(mmrm_run_optimiser(engine, control), prep, spec, reml, df, vcov)
}

# Design stage: the merged moments of the data pass, ready for the engine.
moments_prepare <- function(mom, enc, spec, control) {
  plugin <- spec$plugin
  p <- length(enc$colnames)
  if (!length(mom$patterns) || mom$n_obs == 0) {
    glycotrial_abort("No complete rows remain after removing missing values.", call = NULL)
  }
  if (mom$n_dropped > 0) {
    cli::cli_inform("mmrm_fit: dropped {mom$n_dropped} row{?s} with missing covariates, visit, subject, group or weight.",
                    class = "glycotrial_message_dropped_rows")
  }
  # visits without observations leave the model (as droplevels() does)
  used <- sort(unique(unlist(lapply(mom$patterns, `[[`, "visits"))))
  visit_levels <- enc$visit_levels[used + 1L]
  mom$patterns <- lapply(mom$patterns, function(pat) {
    pat$visits <- match(pat$visits, used) - 1L
    pat
  })
  k <- length(visit_levels)
  G <- max(1L, length(enc$group_levels))
  # aliased columns from X'WX (scaled to unit diagonal)
  find_aliased <- function(XY) {
    XtX <- XY[seq_len(p), seq_len(p), drop = FALSE]
    d <- sqrt(diag(XtX))
    aliased <- d == 0
    if (any(!aliased)) {
      nz <- which(!aliased)
      Rm <- XtX[nz, nz, drop = FALSE] / outer(d[nz], d[nz])
      q <- qr(Rm, tol = 1e-10)
      if (q$rank < length(nz)) aliased[nz[q$pivot[seq.int(q$rank + 1, length(nz))]]] <- TRUE
    }
    names(aliased) <- enc$colnames
    aliased
  }
  if (is.null(enc$T)) enc$T <- diag(p)
  XY <- moments_crossprod(mom, p)
  aliased <- find_aliased(XY)
  # the centred/shifted parametrisation maps back only when no estimable
  # column leans on an aliased one; otherwise return to the raw moments
  if (any(aliased) && (any((enc$y_coef %||% 0)[aliased] != 0) ||
                       any(enc$T[aliased, !aliased] != 0))) {
    mom <- moments_unmap(mom, enc)
    enc$T <- diag(p)
    enc$y_coef <- NULL
    XY <- moments_crossprod(mom, p)
    aliased <- find_aliased(XY)
  }
  if (any(aliased) && !control$accept_singular) {
    glycotrial_abort("The design matrix is rank deficient ({sum(!aliased)} of {p} columns estimable); set {.code mmrm_fit_control(accept_singular = TRUE)} to report aliased coefficients as NA.",
                     call = NULL)
  }
  keep <- !aliased
  mom_k <- if (any(aliased)) moments_subset(mom, keep, p) else mom
  pk <- sum(keep)
  K <- covariance_n_theta(plugin, k)
  n_subj <- sum(vapply(mom$patterns, `[[`, 1, "n"))
  if (mom$n_obs <= pk + K * G || n_subj < 2) {
    glycotrial_abort("Too few data to estimate structure {.val {spec$key}}: {mom$n_obs} observation{?s} from {n_subj} subject{?s}.",
                     call = NULL)
  }
  if (G > 1) {
    per_g <- tapply(vapply(mom$patterns, `[[`, 1, "n"),
                    factor(vapply(mom$patterns, `[[`, 1L, "group"), levels = seq_len(G) - 1L), sum)
    per_g[is.na(per_g)] <- 0
    if (any(per_g < 2)) {
      glycotrial_abort("Group {.val {enc$group_levels[per_g < 2][1]}} of {.field {enc$group}} has fewer than 2 subjects; too few to estimate its covariance.",
                       call = NULL)
    }
  }
  list(mom = mom, mom_k = mom_k, enc = enc, XY = XY, keep = keep, aliased = aliased,
       p = p, pk = pk, k = k, K = K, G = G, n_subj = n_subj, visit_levels = visit_levels)
}

# The C++ engine of the prepared moments (MmrmEngine's moments constructor).
moments_r_plugin <- function(plugin) {
  if (plugin$compiled) return(NULL)
  # fit_lmm()'s marginal covariance Z G Z' + R, evaluated in C++ (R/lmm_moments.R)
  if (!is.null(plugin$impl$visit_re)) return(plugin$impl["visit_re"])
  plugin$impl[c("n_theta", "sigma", "spatial")]
}

moments_engine <- function(prep, spec, reml) {
  cpp_mmrm_engine_moments(prep$mom_k$patterns, prep$pk, prep$mom$n_obs, as.integer(prep$G), as.integer(prep$k),
                          reml, prep$mom$log_weight_sum, spec$key, moments_r_plugin(spec$plugin))
}

# Starting values from the empirical covariance of OLS residuals.
moments_default_start <- function(prep, plugin) {
  idx <- c(which(prep$keep), prep$p + 1)
  XYk <- prep$XY[idx, idx, drop = FALSE]
  pk <- prep$pk
  beta_ols <- tryCatch(solve(XYk[seq_len(pk), seq_len(pk)], XYk[seq_len(pk), pk + 1]),
                       error = function(e) rep(0, pk))
  Sg <- moments_resid_cov(prep$mom_k, beta_ols, prep$k, prep$G)
  unlist(lapply(Sg, mmrm_start_theta, plugin = plugin, K = prep$K))
}

# Result stage: the glycotrial_mmrm object from the optimum, in the
# parametrisation of the formula.
moments_result <- function(fit, prep, spec, reml, df, vcov) {
  mom <- prep$mom
  enc <- prep$enc
  XY <- prep$XY
  keep <- prep$keep
  p <- prep$p
  pk <- prep$pk
  k <- prep$k
  G <- prep$G
  n_subj <- prep$n_subj
  cn <- enc$colnames[keep]
  design <- list(
    X = matrix(0, 0, pk, dimnames = list(NULL, cn)), X_full = NULL, y = numeric(0),
    weights = NULL, has_weights = !is.null(enc$weights), coord = NULL,
    subject = factor(character(0)), visit = NULL, group = NULL, subject_start = NULL,
    subject_group = NULL, n_groups = as.integer(G), n_visits = as.integer(k), n_theta_group = prep$K,
    visit_levels = prep$visit_levels, group_levels = enc$group_levels, rows = NULL,
    n_dropped = mom$n_dropped, aliased = prep$aliased, terms = stats::delete.response(enc$terms),
    xlevels = Filter(Negate(is.null), lapply(enc$vars, function(v) if (v$type == "factor") v$levels)),
    contrasts = NULL, assign = enc$assign, data = NULL)
  obj <- mmrm_assemble(fit, design, spec, reml, df, vcov)
  obj$n_obs <- mom$n_obs
  obj$n_subjects <- n_subj
  obj$x_matrix <- NULL
  obj$moments_only <- TRUE
  # means of the numeric covariates over the rows used (what the row route's
  # least-squares means average over), from the sums of the data pass
  num <- vapply(enc$vars, function(v) identical(v$type, "numeric"), logical(1))
  obj$covariate_means <- if (any(num) && !is.null(mom$var_sums)) {
    as.list(mom$var_sums[names(enc$vars)[num]] / mom$n_obs)
  } else {
    list()
  }
  # X'X of the estimable columns (weighted by the observation weights when
  # there are any) for anova(type = "II").
  obj$xtx <- XY[which(keep), which(keep), drop = FALSE]
  # X'WX of all columns (its null space is that of X): estimability of
  # least-squares means (R/mmrm_estimability.R), in the formula's coding
  # (of the centred design X T when centred: null(X) = T null(X T))
  obj$xtx_full <- XY[seq_len(p), seq_len(p), drop = FALSE]
  obj$xtx_full_T <- if (!isTRUE(all(enc$T == diag(p)))) enc$T
  obj$moments <- list(n_patterns = length(mom$patterns), n_obs = mom$n_obs, n_subjects = n_subj)
  # back to the parametrisation of the formula (see moments_pilot()); the
  # one engine (on the centred moments) serves later recomputations
  # (Kenward-Roger of the other kind) through obj$engine_map, as on the row
  # route: its information matrices mapped with T are exact, while raw
  # moments of data far from zero would cancel
  obj <- moments_map_back(obj, enc, keep)
  Tk <- enc$T[keep, keep, drop = FALSE]
  if (!isTRUE(all(Tk == diag(nrow(Tk))))) {
    obj$engine_map <- list(T = Tk, Ti = solve(Tk), b0 = (enc$y_coef %||% rep(0, p))[keep])
  }
  obj$centring <- list(centre = enc$centre[enc$centre != 0], y_coef = enc$y_coef)
  obj
}

# ---- the hook called by mmrm_fit() ----------------------------------------------

# The design encoding of a formula for a sample of the data with given
# levels: what a custom map step (e.g. spark_apply() of sparklyr, see the
# scaling vignette) hands to moments_chunk() on each partition.
mmrm_encoding_for <- function(formula, sample, levels = NULL, weights = NULL) {
  spec <- mmrm_formula(formula)
  roles <- moments_roles(spec, weights)
  moments_encoding(spec, roles, moments_schema(sample, roles, levels))
}

# ---- methods on a fit from moments only --------------------------------------

# Per-row quantities need the rows, which a moment fit does not keep: a
# classed error that says what to do instead.
mmrm_need_rows <- function(object, what) {
  if (!isTRUE(object$moments_only)) return(invisible(TRUE))
  # `what` holds cli markup of its own: rendered here, then inserted as text
  what <- cli::format_inline(what)
  glycotrial_abort(c(
    "{what} need{?s} the data rows, which a fit from pattern moments (large, chunked, database or distributed data) does not keep.",
    "i" = "Fitted values for data you hold: {.code predict(fit, newdata = d)}; residuals: {.code d${object$response} - predict(fit, newdata = d)} (conditional predictions with {.code conditional = TRUE}).",
    "i" = "To keep the rows, fit a data frame below {.code getOption(\"glycotrial.mmrm_moment_rows\")} rows (default 250000)."),
    class = c("input", "glycotrial_error_moments_only"), call = NULL)
}

# A small data frame standing in for the model data of a moment fit where
# only the reference grid matters (emmeans): all combinations of the factor
# levels (so that emmeans sees no nesting), each numeric covariate constant
# at its mean over the rows used.
mmrm_moment_grid_data <- function(object) {
  vars <- all.vars(stats::delete.response(object$terms))
  xlev <- object$xlevels
  out <- lapply(vars, function(v) {
    if (!is.null(xlev[[v]])) xlev[[v]] else object$covariate_means[[v]] %||% NA_real_
  })
  names(out) <- vars
  out <- expand.grid(out, KEEP.OUT.ATTRS = FALSE, stringsAsFactors = FALSE)
  for (v in intersect(vars, names(xlev))) out[[v]] <- factor(out[[v]], levels = xlev[[v]])
  out
}
