# The moment route of mmrm_fit() (issue 5, "scale"): the data pass builds
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

# Rows from which a plain data frame goes through the moment route (the row
# route keeps per-subject quantities: residuals, sandwich, between-within df).
mmrm_moment_rows <- function() getOption("glycotrial.mmrm_moment_rows", 250000)

moments_threads <- function() {
  t <- getOption("glycotrial.threads", 2L)
  max(1L, as.integer(t))
}

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
  spec <- mmrm_parse_formula(formula)
  if (isTRUE(spec$plugin$spatial)) return(NULL)
  roles <- moments_roles(spec, weights)
  if (!all(sources_need_cols(roles) %in% names(data))) return(NULL)
  enc <- moments_encoding(spec, roles, moments_schema(data, roles))
  q <- length(enc$colnames) + 1
  k <- length(enc$visit_levels)
  vis <- data[[roles$visit]]
  code <- match(as.character(vis), enc$visit_levels) - 1L
  subj <- data[[roles$subject]]
  ok <- !is.na(code) & !is.na(subj) & !is.na(data[[roles$response]])
  if (!any(ok)) return(NULL)
  code <- code[ok]
  sid <- match(subj[ok], unique(subj[ok]))
  # visit sets as sums of powers of two, 26 visits per column (exact)
  nb <- (k - 1L) %/% 26L + 1L
  bits <- matrix(0, length(code), nb + 1L)
  bits[cbind(seq_along(code), code %/% 26L + 1L)] <- 2^(code %% 26L)
  bits[, nb + 1L] <- 1
  if (!is.null(roles$group)) {
    g <- match(as.character(data[[roles$group]][ok]), enc$group_levels)
    bits <- cbind(bits, ifelse(is.na(g), 0, g))
  }
  per_subj <- rowsum(bits, sid, reorder = FALSE)
  if (!is.null(roles$group)) per_subj[, ncol(per_subj)] <- per_subj[, ncol(per_subj)] / per_subj[, nb + 1L]
  key <- do.call(paste, c(as.data.frame(per_subj), sep = ":"))
  first <- !duplicated(key)
  m <- per_subj[first, nb + 1L]
  mom_bytes <- moments_moment_bytes(m, q)
  row_bytes <- 3 * 8 * as.double(sum(ok)) * q
  min_bytes <- as.double(getOption("glycotrial.moment_route_min_bytes", 64 * 1024^2))
  list(moments = k <= 63 && mom_bytes <= moments_memory_limit() &&
         (mom_bytes <= row_bytes || mom_bytes <= min_bytes),
       n_patterns = sum(first), n_visits = k, p = q - 1, moment_bytes = mom_bytes,
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
    lv <- levels(x)
    lv[lv %in% as.character(unique(x[!is.na(x)]))]
  } else if (is.logical(x)) {
    c("FALSE", "TRUE")[c(FALSE, TRUE) %in% x]
  } else {
    sort(unique(as.character(x[!is.na(x)])))
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
  vars <- lapply(enc$vars, function(v) {
    x <- df[[v$name]]
    if (v$type == "numeric") {
      if (is.logical(x) && all(is.na(x))) return(rep(NA_real_, n))
      if (!is.numeric(x) || is.factor(x)) {
        moments_abort_chunk(label, "column {.field {v$name}} is {.cls {class(x)}} here but numeric in the schema.")
      }
      as.double(x)
    } else {
      if (is.numeric(x) && !is.factor(x) && !all(is.na(x)) &&
          !all(as.character(x[!is.na(x)]) %in% v$levels)) {
        moments_abort_chunk(label, "column {.field {v$name}} is {.cls {class(x)}} here but a factor in the schema.")
      }
      moments_codes(x, v$levels, v$name, label)
    }
  })
  visit <- moments_codes(df[[enc$visit]], enc$visit_levels, enc$visit, label)
  group <- if (!is.null(enc$group)) moments_codes(df[[enc$group]], enc$group_levels, enc$group, label)
  s <- df[[enc$subject]]
  subj <- if (is.factor(s)) as.integer(s) else if (is.integer(s)) s else match(s, unique(s))
  subj[is.na(s)] <- NA_integer_
  ord <- if (is.unsorted(subj, na.rm = FALSE) || anyNA(subj)) order(subj, visit, method = "radix") - 1L
  w <- if (!is.null(enc$weights)) {
    wv <- as.double(df[[enc$weights]])
    if (any(!is.na(wv) & (!is.finite(wv) | wv <= 0))) {
      moments_abort_chunk(label, "weights {.field {enc$weights}} must be positive and finite.")
    }
    wv
  }
  res <- tryCatch(
    cpp_scale_moments(vars, enc$design, y, w, visit, subj, group,
                      if (is.null(ord)) NULL else as.integer(ord),
                      length(enc$visit_levels), max(1L, length(enc$group_levels)),
                      as.integer(threads),
                      as.integer(getOption("glycotrial.scale_test_interrupt_after", -1L)),
                      enc$y_coef, moments_memory_limit() / 3),
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
  unique(as.character(s[ok]))
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
  obj$df_centred <- list(T = Tk, beta_vcov = obj$beta_vcov, jac_list = obj$jac_list,
                         kr_P = obj$kr$P)
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
    obj$kr$P <- lapply(obj$kr$P, info_map)
    obj$kr$vcov_adj <- cov_map(obj$kr$vcov_adj)
  }
  if (!is.null(obj$xtx)) obj$xtx <- info_map(obj$xtx)
  obj
}

# The row route (mmrm_fit() on a data frame below mmrm_moment_rows()) with
# data far from zero: the same centring and pilot shift on the model matrix
# rows. Active when the response or a numeric covariate has |mean| >
# getOption("glycotrial.mmrm_reparam_ratio", 10) standard deviations (the
# reparametrisation is exact, so this only spares ordinary data the second
# engine). Returns list(design = the design to fit, map = NULL or what
# mmrm_row_map_back() needs).
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

# Maps a row-route fit made by mmrm_row_reparam() back to the formula's
# parametrisation, with the rows, response and engine of the original data
# (for residuals, fitted values and the sandwich later).
mmrm_row_map_back <- function(obj, rp, design, reml, plugin) {
  if (is.null(rp$map)) return(obj)
  obj <- moments_map_back(obj, rp$map, !design$aliased)
  obj$x_matrix <- design$X
  obj$y <- design$y
  obj$engine <- mmrm_engine(design, plugin, reml)
  if (!is.null(obj$emp_df)) obj$emp_df <- mmrm_empirical_df_pieces(obj)
  obj$centring <- list(centre = rp$map$centre, y_coef = rp$map$y_coef)
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

moments_fit <- function(mom, enc, spec, reml, df, vcov, control) {
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
  r_plugin <- if (plugin$compiled) NULL else {
    # visit_re: fit_lmm()'s marginal covariance, evaluated in C++ (R/lmm_moments.R)
    c(plugin$impl[c("n_theta", "sigma", "spatial")], plugin$impl["visit_re"][!is.null(plugin$impl$visit_re)])
  }
  engine <- cpp_mmrm_engine_moments(mom_k$patterns, pk, mom$n_obs, as.integer(G), as.integer(k),
                                    reml, mom$log_weight_sum, spec$key, r_plugin)
  default_start <- function() {
    XYk <- XY[c(which(keep), p + 1), c(which(keep), p + 1), drop = FALSE]
    beta_ols <- tryCatch(solve(XYk[seq_len(pk), seq_len(pk)], XYk[seq_len(pk), pk + 1]),
                         error = function(e) rep(0, pk))
    Sg <- moments_resid_cov(mom_k, beta_ols, k, G)
    unlist(lapply(Sg, mmrm_start_theta, plugin = plugin, K = K))
  }
  fit <- mmrm_optimise(new_mmrm_engine(engine, plugin, NULL, reml, "moments", start = default_start),
                       control)
  cn <- enc$colnames[keep]
  design <- list(
    X = matrix(0, 0, pk, dimnames = list(NULL, cn)), X_full = NULL, y = numeric(0),
    weights = NULL, has_weights = !is.null(enc$weights), coord = NULL,
    subject = factor(character(0)), visit = NULL, group = NULL, subject_start = NULL,
    subject_group = NULL, n_groups = as.integer(G), n_visits = as.integer(k), n_theta_group = K,
    visit_levels = visit_levels, group_levels = enc$group_levels, rows = NULL,
    n_dropped = mom$n_dropped, aliased = aliased, terms = stats::delete.response(enc$terms),
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
  # back to the parametrisation of the formula (see moments_pilot())
  obj <- moments_map_back(obj, enc, keep)
  if (!isTRUE(all(enc$T == diag(p)))) {
    # what later recomputations from the engine (Kenward-Roger of the other
    # kind) need, in the original parametrisation
    raw_k <- moments_subset(moments_unmap(mom, enc), keep, p)
    obj$engine <- cpp_mmrm_engine_moments(raw_k$patterns, pk, mom$n_obs, as.integer(G), as.integer(k),
                                          reml, mom$log_weight_sum, spec$key, r_plugin)
  }
  obj$centring <- list(centre = enc$centre[enc$centre != 0], y_coef = enc$y_coef)
  obj
}

# ---- the hook called by mmrm_fit() ----------------------------------------------

# mmrm_fit() for a data source or a large data frame: returns a
# glycotrial_mmrm fitted from pattern moments (no per-subject quantities:
# residuals, fitted values, sandwich covariances and between-within df need
# the row route).
mmrm_fit_route <- function(call, formula, data, reml, weights, df, vcov, control) {
  if (!inherits(formula, "formula")) {
    glycotrial_abort("{.arg formula} must be a formula, not {describe_value(formula)}.")
  }
  check_flag(reml)
  if (is.null(df)) df <- "Kenward-Roger"
  df <- check_choice(df, mmrm_df_methods, arg = "df")
  if (is.null(vcov)) vcov <- if (df %in% c("Kenward-Roger", "Kenward-Roger-Linear")) df else "Asymptotic"
  vcov <- check_choice(vcov, mmrm_vcov_types, arg = "vcov")
  if (vcov %in% c("Kenward-Roger", "Kenward-Roger-Linear") && df != vcov) {
    glycotrial_abort("{.arg vcov} {.val {vcov}} requires {.arg df} = {.val {vcov}}; found {.val {df}}.")
  }
  if (df == "Between-Within" || grepl("^Empirical", vcov)) {
    glycotrial_abort(c(
      "{.arg df} = {.val {df}} / {.arg vcov} = {.val {vcov}} need per-subject rows, which the moment route (large, chunked, database or distributed data) does not keep.",
      "i" = "Use {.val Kenward-Roger}, {.val Satterthwaite} or {.val Residual} with asymptotic or Kenward-Roger covariances."),
      class = c("input", "glycotrial_error_moment_route"))
  }
  if (!inherits(control, "glycotrial_mmrm_control")) {
    glycotrial_abort("{.arg control} must come from {.fun mmrm_fit_control}, not {describe_value(control)}.")
  }
  if (!is.null(weights) && !(is.character(weights) && length(weights) == 1)) {
    glycotrial_abort("With the moment route, {.arg weights} must be the name of a column of the data; found {describe_value(weights)}.")
  }
  spec <- mmrm_parse_formula(formula)
  if (spec$plugin$spatial) {
    glycotrial_abort("Spatial structure {.val {spec$key}} is not supported by the moment route (large, chunked, database or distributed data) yet; use a data frame with fewer than {mmrm_moment_rows()} rows.",
                     class = c("input", "glycotrial_error_moment_route"))
  }
  roles <- moments_roles(spec, weights)
  src <- if (is.data.frame(data)) mmrm_data_frame_source(data) else data
  pass <- mmrm_data_pass(src, roles)
  obj <- moments_fit(pass$moments, pass$encoding, spec, reml, df, vcov, control)
  obj$call <- call
  obj$data_source <- class(src)[1]
  obj
}

# The design encoding of a formula for a sample of the data with given
# levels: what a custom map step (e.g. spark_apply() of sparklyr, see the
# scaling vignette) hands to moments_chunk() on each partition.
mmrm_encoding_for <- function(formula, sample, levels = NULL, weights = NULL) {
  spec <- mmrm_parse_formula(formula)
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
