# The faster SQL shape of the database moment pass (issue 21): when every
# design column is a product of visit terms (the visit factor) and terms
# constant within a subject (baseline covariates, treatment), a subject's
# block is x_iac = f_c(visit a) h_c(i), so the server needs only one row per
# subject, z_i = [h_i | y_i at each visit (0 where missing)], and per visit
# pattern the sums of z_i z_i' (GROUP BY pattern over subjects: (H + k)(H + k
# + 1)/2 products per subject instead of (p + 1)^2 per pair of a subject's
# visits in the self-join). M_P is expanded in R as in the in-memory pass
# (src/core/mmrm/moments.hpp, "Layout"). NULL when the shape does not apply
# (a covariate that varies within subject, weights, fit_lmm()'s visit alias,
# too many product columns): the caller then runs the self-join query.
# comp_sql(cp): the SQL of one design component (sources_dbi_pass()).
sources_dbi_subject_pass <- function(con, tbl, qi, notnull, vcode, gcode, enc, roles, yexpr,
                                     comp_sql) {
  if (!isTRUE(getOption("glycotrial.sql_subject_moments", TRUE)) || !is.null(roles$weights) ||
      isTRUE(roles$visit_alias)) {
    return(NULL)
  }
  k <- length(enc$visit_levels)
  vnames <- vapply(enc$vars, `[[`, "", "name")
  others <- setdiff(unique(vnames), roles$visit)
  # which covariates are constant within every subject (over the rows used)
  if (length(others)) {
    varies <- DBI::dbGetQuery(con, sprintf(
      "SELECT %s FROM (SELECT %s FROM %s WHERE %s GROUP BY %s) z",
      paste0("SUM(x", seq_along(others), ") AS x", seq_along(others), collapse = ", "),
      paste0("CASE WHEN MIN(", qi(others), ") <> MAX(", qi(others), ") THEN 1 ELSE 0 END AS x",
             seq_along(others), collapse = ", "),
      tbl, notnull, qi(roles$subject)))
    if (any(as.numeric(unlist(varies)) > 0, na.rm = TRUE)) return(NULL)
  }
  # per design column: the subject term (its non-visit components) and the
  # visit factor f_c(visit)
  p <- length(enc$design)
  h_expr <- character()
  col_h <- integer(p)
  f <- matrix(1, p, k)
  for (j in seq_len(p)) {
    comps <- enc$design[[j]]
    is_v <- vapply(comps, function(cp) identical(enc$vars[[cp$var + 1]]$name, roles$visit), logical(1))
    for (cp in comps[is_v]) {
      if (is.null(cp$map)) return(NULL)
      f[j, ] <- f[j, ] * cp$map[match(enc$visit_levels, enc$vars[[cp$var + 1]]$levels)]
    }
    sc <- comps[!is_v]
    e <- if (length(sc)) paste(sort(vapply(sc, comp_sql, "")), collapse = " * ") else "1.0"
    if (!e %in% h_expr) h_expr <- c(h_expr, e)
    col_h[j] <- match(e, h_expr)
  }
  f[is.na(f)] <- 0
  H <- length(h_expr)
  Q <- H + k
  if (Q * (Q + 1) / 2 > sources_sql_max_columns()) return(NULL)
  z <- c(paste0("h", seq_len(H) - 1L), paste0("y", seq_len(k) - 1L))
  ii <- which(lower.tri(diag(Q), diag = TRUE), arr.ind = TRUE)
  prods <- sprintf("SUM(%s * %s) AS p%d_%d", z[ii[, 1]], z[ii[, 2]], ii[, 1], ii[, 2])
  sql <- sprintf(paste(
    "WITH e AS (SELECT %s AS s, %s AS v, %s AS g, %s, %s AS y FROM %s WHERE %s),",
    "subj AS (SELECT MIN(g) AS g, SUM(CAST(1 AS BIGINT) << v) AS pm, %s, %s FROM e GROUP BY s)",
    "SELECT pm, g, COUNT(*) AS n, %s FROM subj GROUP BY pm, g ORDER BY g, pm"),
    qi(roles$subject), vcode, gcode,
    paste0(h_expr, " AS h", seq_len(H) - 1L, collapse = ", "), yexpr, tbl, notnull,
    paste0("MIN(h", seq_len(H) - 1L, ") AS h", seq_len(H) - 1L, collapse = ", "),
    paste0("SUM(CASE WHEN v = ", seq_len(k) - 1L, " THEN y ELSE 0.0 END) AS y", seq_len(k) - 1L,
           collapse = ", "),
    paste(prods, collapse = ", "))
  sources_test_hook("query", 1L)
  agg <- DBI::dbGetQuery(con, sql)
  vals <- as.matrix(agg[, sprintf("p%d_%d", ii[, 1], ii[, 2]), drop = FALSE])
  storage.mode(vals) <- "double"
  pats <- lapply(seq_len(nrow(agg)), function(r) {
    pm <- as.numeric(agg$pm[r])
    visits <- which((pm %/% 2^(seq_len(k) - 1)) %% 2 == 1) - 1L
    m <- length(visits)
    C <- matrix(0, Q, Q)
    C[ii] <- vals[r, ]
    C[ii[, 2:1, drop = FALSE]] <- vals[r, ]
    # M index c m + a: column c at the a-th visit of the pattern (y last)
    a <- rep(seq_len(m), p + 1)
    cc <- rep(seq_len(p + 1), each = m)
    pos <- ifelse(cc <= p, col_h[pmin(cc, p)], H + visits[a] + 1L)
    coef <- ifelse(cc <= p, f[cbind(pmin(cc, p), visits[a] + 1L)], 1)
    list(group = as.integer(agg$g[r]), visits = as.integer(visits), n = as.numeric(agg$n[r]),
         M = outer(coef, coef) * C[pos, pos])
  })
  list(patterns = pats, n_obs = sum(vapply(pats, function(pt) pt$n * length(pt$visits), 1)),
       n_subjects = sum(vapply(pats, `[[`, 1, "n")), n_dropped = 0, log_weight_sum = 0)
}
