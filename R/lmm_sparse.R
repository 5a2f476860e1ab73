# Linear mixed models with several grouping factors (nested or crossed):
# formula parsing, sparse design, fit in the C++ core
# (src/core/lmm/sparse_lmm.cpp, the profiled deviance of Bates et al. 2015)
# and the methods that differ from single-factor fits. fit_lmm() dispatches
# here when the random-effect terms use more than one grouping factor or a
# nested/interaction grouping (`g1/g2`, `g1:g2`).

# Does the formula need the several-grouping-factor path?
lmm_sparse_needed <- function(formula) {
  if (!inherits(formula, "formula") || length(formula) != 3) return(FALSE)
  bars <- Filter(lmm_is_bar, lmm_split_terms(formula[[3]]))
  if (!length(bars)) return(FALSE)
  grp <- lapply(bars, function(e) {
    b <- if (identical(e[[1]], as.name("("))) e[[2]] else e
    b[[3]]
  })
  if (any(!vapply(grp, is.name, logical(1)))) return(TRUE)
  # a residual term `key(TIME | SUBJECT)` whose subject is not the random
  # effects' factor (e.g. (1 | SITE) + ar1(AVISIT | USUBJID)) counts as a
  # second grouping factor
  keys <- lmm_covariance_keys()
  res <- Filter(function(e) is.call(e) && is.name(e[[1]]) && as.character(e[[1]]) %in% keys &&
                  length(e) == 2 && is.call(e[[2]]) && identical(e[[2]][[1]], as.name("|")),
                lmm_split_terms(formula[[3]]))
  grp <- c(grp, lapply(res, function(e) e[[2]][[3]]))
  length(unique(vapply(grp, function(g) paste(deparse(g), collapse = ""), ""))) > 1
}

# Components of a grouping expression: `a` -> "a"; `a:b` -> c("a", "b").
lmm_sparse_components <- function(g, formula) {
  if (is.name(g)) return(as.character(g))
  if (is.call(g) && identical(g[[1]], as.name(":")) && length(g) == 3) {
    return(c(lmm_sparse_components(g[[2]], formula), lmm_sparse_components(g[[3]], formula)))
  }
  glycotrial_abort(c("A grouping factor must be a column name, an interaction {.code a:b} or a nesting {.code a/b}.",
                     "x" = "Found {.code {deparse(g)}} in {.code {paste(deparse(formula), collapse = ' ')}}."),
                   call = NULL)
}

# Expand `a/b/c` into the groupings a, b:a, c:b:a (lme4's names).
lmm_sparse_expand_group <- function(g, formula) {
  if (is.call(g) && identical(g[[1]], as.name("/")) && length(g) == 3) {
    outer <- lmm_sparse_expand_group(g[[2]], formula)
    inner <- lmm_sparse_components(g[[3]], formula)
    last <- outer[[length(outer)]]
    return(c(outer, list(c(inner, last))))
  }
  list(lmm_sparse_components(g, formula))
}

# Parse: fixed formula and a list of random terms, each with `lhs`
# (one-sided formula), `vars` (grouping columns, innermost first), `label`
# (e.g. "cask:batch") and `double_bar`.
lmm_sparse_parse <- function(formula) {
  keys <- lmm_covariance_keys()
  fixed <- list()
  random <- list()
  residual <- NULL
  for (e in lmm_split_terms(formula[[3]])) {
    if (lmm_is_bar(e)) {
      b <- if (identical(e[[1]], as.name("("))) e[[2]] else e
      for (v in lmm_sparse_expand_group(b[[3]], formula)) {
        random[[length(random) + 1]] <- list(
          lhs = stats::as.formula(call("~", b[[2]]), env = environment(formula)),
          vars = v, label = paste(v, collapse = ":"),
          double_bar = identical(b[[1]], as.name("||")))
      }
    } else if (is.call(e) && is.name(e[[1]]) && as.character(e[[1]]) %in% keys) {
      key <- as.character(e[[1]])
      inner <- if (length(e) == 2) e[[2]] else NULL
      if (!is.call(inner) || !identical(inner[[1]], as.name("|")) || !is.name(inner[[2]]) ||
          !is.name(inner[[3]])) {
        glycotrial_abort(c("A residual covariance term must look like {.code {key}(TIME | SUBJECT)}.",
                           "x" = "Found {.code {deparse(e)}}."), call = NULL)
      }
      if (!is.null(residual)) {
        glycotrial_abort("{.arg formula} may contain only one residual covariance term.",
                         call = NULL)
      }
      residual <- list(key = key, time = as.character(inner[[2]]),
                       group = as.character(inner[[3]]))
    } else {
      fixed[[length(fixed) + 1]] <- e
    }
  }
  rhs <- if (length(fixed)) Reduce(function(a, b) call("+", a, b), fixed) else 1
  list(fixed = stats::as.formula(call("~", formula[[2]], rhs), env = environment(formula)),
       random = random, residual = residual, formula = formula)
}

# Sparse design: X, y and, per term, the grouping factor and its raw
# model matrix; Z as 0-based triplets with columns offset + level * p + j.
lmm_sparse_design <- function(parsed, data, weights = NULL) {
  call <- NULL
  check_data_frame(data)
  weights <- lmm_check_weights(weights, data, call = call)
  gvars <- unique(unlist(lapply(parsed$random, `[[`, "vars")))
  lvars <- unique(unlist(lapply(parsed$random, function(t) all.vars(t$lhs))))
  vars <- unique(c(all.vars(parsed$fixed), lvars, gvars, parsed$residual$time,
                   parsed$residual$group))
  miss <- setdiff(vars, names(data))
  if (length(miss)) {
    glycotrial_abort(c("{.arg data} lacks column{?s} {.field {miss}} used in {.arg formula}.",
                       "i" = "Columns present: {.field {names(data)}}."), call = call)
  }
  lmm_check_atomic_columns(data, vars, call = call)
  for (g in gvars) lmm_check_group_na(data[[g]], g, call = call)
  for (v in lvars) lmm_check_re_numeric(data[[v]], v, call = call)
  d <- as.data.frame(data)[, vars, drop = FALSE]
  keep <- stats::complete.cases(d)
  rows <- which(keep)
  d <- d[keep, , drop = FALSE]
  n <- nrow(d)
  if (n == 0) glycotrial_abort("No complete rows in {.arg data}.", call = call)
  res <- NULL
  if (!is.null(parsed$residual)) {
    # rows sorted by the residual structure's subject (blocks of R)
    lmm_check_group_na(d[[parsed$residual$group]], parsed$residual$group, call = call)
    subj <- factor(d[[parsed$residual$group]])
    ord <- order(as.integer(subj), seq_along(subj))
    d <- d[ord, , drop = FALSE]
    rows <- rows[ord]
    subj <- subj[ord]
    res <- lmm_residual_coords(parsed$residual, d, as.character(subj), call = call)
    res$subject <- subj
    res$subject_start <- c(0L, cumsum(tabulate(as.integer(subj), nlevels(subj))))
  }
  fx <- lmm_fixed_design(parsed$fixed, d, call = call, check_finite = TRUE)
  tt <- fx$terms
  mf <- fx$mf
  y <- fx$y
  X <- fx$X
  terms <- list()
  for (t in parsed$random) {
    f <- lmm_sparse_factor(d, t$vars)
    if (nlevels(f) < 2) {
      glycotrial_abort(c("The grouping factor {.field {t$label}} must have at least 2 levels.",
                         "x" = "Found {nlevels(f)} level{?s} after removing incomplete rows."),
                       call = call)
    }
    mm <- stats::model.matrix(t$lhs, data = d)
    if (ncol(mm) == 0) {
      glycotrial_abort("The random-effect term {.code {deparse(t$lhs[[2]])}} has no columns.",
                       call = call)
    }
    cols <- if (t$double_bar) as.list(seq_len(ncol(mm))) else list(seq_len(ncol(mm)))
    for (cc in cols) {
      m <- mm[, cc, drop = FALSE]
      if (n <= ncol(m) * nlevels(f)) {
        glycotrial_abort(c("More random effects than observations for the term {.code ({paste(colnames(m), collapse = ' + ')} | {t$label})}: {ncol(m)} x {nlevels(f)} levels = {ncol(m) * nlevels(f)} >= {n} observations.",
                           "i" = "Simplify the random-effect terms."), call = call)
      }
      terms[[length(terms) + 1]] <- list(label = t$label, vars = t$vars, lhs = t$lhs,
                                         cols = cc, factor = f, mm = m, p = ncol(m),
                                         n_levels = nlevels(f), names = colnames(m))
    }
  }
  off <- 0L
  zi <- zj <- integer()
  zx <- numeric()
  for (k in seq_along(terms)) {
    tk <- terms[[k]]
    terms[[k]]$offset <- off
    lev <- as.integer(tk$factor) - 1L
    for (j in seq_len(tk$p)) {
      zi <- c(zi, seq_len(n) - 1L)
      zj <- c(zj, off + lev * tk$p + (j - 1L))
      zx <- c(zx, tk$mm[, j])
    }
    off <- off + tk$p * tk$n_levels
  }
  # `terms`, `xlevels`, `contrasts`, `data` as in single-factor designs
  # (used by anova() and emmeans support); `terms_re` the random terms.
  list(y = as.numeric(y), X = X, terms_re = terms, zi = zi, zj = zj, zx = zx, q = off,
       offset = fx$offset,
       weights = if (is.null(weights)) NULL else as.numeric(weights[rows]),
       rows = rows, data = d, parsed = parsed, terms = tt,
       residual = parsed$residual, residual_info = res,
       xlevels = stats::.getXlevels(tt, mf), contrasts = attr(X, "contrasts"))
}

# Grouping factor of one term: a column, or the interaction of several
# (levels "a:b" as lme4 names them).
lmm_sparse_factor <- function(d, vars) {
  fs <- lapply(vars, function(v) as.factor(d[[v]]))
  if (length(fs) == 1) return(droplevels(fs[[1]]))
  f <- interaction(fs, sep = ":", lex.order = TRUE, drop = TRUE)
  droplevels(f)
}

lmm_sparse_ptr <- function(object) {
  env <- object$cache
  p <- env$ptr
  if (is.null(p) || identical(p, methods::new("externalptr"))) {
    p <- lmm_sparse_make_ptr(if (is.null(object$design_white)) object$design else
      object$design_white, object$reml)
    env$ptr <- p
  }
  p
}

lmm_sparse_make_ptr <- function(design, reml) {
  cpp_lmm_sparse_model(design$X, design$y, design$zi, design$zj, design$zx, design$q,
                       vapply(design$terms_re, `[[`, 1L, "p"),
                       vapply(design$terms_re, `[[`, 1L, "n_levels"), reml,
                       if (is.null(design$weights)) numeric() else design$weights)
}

# Fit a multi-factor model (fit_lmm() calls this; also usable directly for
# single-factor models, to cross-check the two cores).
lmm_fit_sparse <- function(formula, data, reml = TRUE, control = lmm_control(), weights = NULL) {
  parsed <- lmm_sparse_parse(formula)
  design <- lmm_sparse_design(parsed, data, weights = weights)
  lmm_record_rows(lmm_fit_sparse_design(design, reml, control), data, "na.omit")
}

lmm_fit_sparse_design <- function(design, reml, control = lmm_control(), start = NULL) {
  if (!is.null(design[["residual"]])) return(lmm_fit_sparse_resid(design, reml, control))
  ptr <- lmm_sparse_make_ptr(design, reml)
  fit <- cpp_lmm_sparse_fit(ptr, start, control$max_iter, max(control$grad_tol, 1e-6))
  theta <- as.numeric(fit$theta)
  ev <- cpp_lmm_sparse_evaluate(ptr, theta)
  beta <- as.numeric(ev$beta)
  names(beta) <- colnames(design$X)
  sigma2 <- ev$sigma2
  V <- sigma2 * ev$unscaled_vcov
  dimnames(V) <- list(names(beta), names(beta))
  b <- as.numeric(ev$b)
  terms <- design$terms_re
  re <- vector("list", length(terms))
  G <- vector("list", length(terms))
  cv <- vector("list", length(terms))
  for (k in seq_along(terms)) {
    tk <- terms[[k]]
    idx <- tk$offset + seq_len(tk$p * tk$n_levels)
    re[[k]] <- matrix(b[idx], tk$n_levels, tk$p, byrow = TRUE,
                      dimnames = list(levels(tk$factor), tk$names))
    G[[k]] <- sigma2 * cpp_lmm_sparse_relcov(ptr, theta, k - 1L)
    dimnames(G[[k]]) <- list(tk$names, tk$names)
    cvk <- sigma2 * cpp_lmm_sparse_condvar(ptr, theta, k - 1L)
    cv[[k]] <- array(cvk, c(tk$p, tk$p, tk$n_levels))
  }
  lower <- as.numeric(fit$lower)
  singular <- any(lower == 0 & theta < control$singular_tol)
  cache <- new.env(parent = emptyenv())
  cache$ptr <- ptr
  n_par <- length(beta) + length(theta) + 1L
  structure(list(
    coefficients = beta, vcov = V, sigma2 = sigma2, theta = theta, theta_lower = lower,
    G_terms = G, ranef_terms = re, condvar_terms = cv,
    deviance = ev$deviance, logLik = -ev$deviance / 2, df_logLik = n_par, reml = reml,
    nobs = length(design$y), n_levels = vapply(terms, `[[`, 1L, "n_levels"),
    converged = fit$converged, singular = singular,
    optinfo = list(iterations = fit$iterations, evaluations = fit$evaluations,
                   message = fit$message, gradient = as.numeric(fit$gradient)),
    design = design, cache = cache), class = c("glycotrial_lmm_multi", "glycotrial_lmm"))
}

# --- methods ------------------------------------------------------------------------------

# Random-effect contribution Z b for a design's rows (newdata = NULL) or for
# new data (levels not in the fit contribute 0: population prediction).
lmm_sparse_zb <- function(object, newdata = NULL, b_terms = object$ranef_terms) {
  terms <- object$design$terms_re
  if (is.null(newdata)) {
    n <- length(object$design$y)
    out <- numeric(n)
    for (k in seq_along(terms)) {
      tk <- terms[[k]]
      bk <- b_terms[[k]][as.integer(tk$factor), , drop = FALSE]
      out <- out + rowSums(tk$mm * bk)
    }
    return(out)
  }
  out <- numeric(nrow(newdata))
  for (k in seq_along(terms)) {
    tk <- terms[[k]]
    miss <- setdiff(c(tk$vars, all.vars(tk$lhs)), names(newdata))
    if (length(miss)) {
      glycotrial_abort("{.arg newdata} lacks column{?s} {.field {miss}} needed for conditional predictions.")
    }
    lab <- if (length(tk$vars) == 1) as.character(newdata[[tk$vars]]) else
      do.call(paste, c(lapply(tk$vars, function(v) as.character(newdata[[v]])), sep = ":"))
    idx <- match(lab, rownames(b_terms[[k]]))
    mm <- stats::model.matrix(tk$lhs, data = as.data.frame(newdata))[, tk$cols, drop = FALSE]
    bk <- b_terms[[k]][ifelse(is.na(idx), 1L, idx), , drop = FALSE]
    bk[is.na(idx), ] <- 0
    out <- out + rowSums(mm * bk)
  }
  out
}

#' @export
ranef.glycotrial_lmm_multi <- function(object, ...) {
  terms <- object$design$terms_re
  labs <- vapply(terms, `[[`, "", "label")
  out <- list()
  for (g in unique(labs)) {
    ks <- which(labs == g)
    re <- do.call(cbind, object$ranef_terms[ks])
    ps <- vapply(terms[ks], `[[`, 1L, "p")
    p <- sum(ps)
    nl <- nrow(re)
    cv <- array(0, c(p, p, nl))
    off <- 0L
    for (j in seq_along(ks)) {
      idx <- off + seq_len(ps[j])
      cv[idx, idx, ] <- object$condvar_terms[[ks[j]]]
      off <- off + ps[j]
    }
    re <- as.data.frame(re, check.names = FALSE)
    attr(re, "condVar") <- cv
    out[[g]] <- re
  }
  out
}

#' @export
VarCorr.glycotrial_lmm_multi <- function(x, ...) {
  terms <- x$design$terms_re
  comps <- lapply(seq_along(terms), function(k) {
    G <- x$G_terms[[k]]
    sd <- sqrt(diag(G))
    cor <- G / outer(sd, sd)
    cor[!is.finite(cor)] <- 0
    list(group = terms[[k]]$label, G = G, sd = sd, cor = cor)
  })
  structure(list(terms = comps, sigma = sqrt(x$sigma2), residual_pars = lmm_residual_pars(x),
                 residual = lmm_residual_summary(x)),
            class = "glycotrial_lmm_multi_varcorr")
}

#' @export
print.glycotrial_lmm_multi_varcorr <- function(x, digits = 4, ...) {
  cat("Random effects:\n")
  rows <- list()
  for (t in x$terms) {
    nm <- names(t$sd)
    tab <- data.frame(Groups = c(t$group, rep("", length(nm) - 1)), Name = nm,
                      Variance = signif(diag(t$G), digits), Std.Dev. = signif(t$sd, digits),
                      Corr = "", check.names = FALSE, stringsAsFactors = FALSE)
    if (length(nm) > 1) {
      for (i in 2:length(nm)) {
        tab$Corr[i] <- paste(format(round(t$cor[i, seq_len(i - 1)], 3), nsmall = 3), collapse = " ")
      }
    }
    rows[[length(rows) + 1]] <- tab
  }
  rows[[length(rows) + 1]] <- data.frame(Groups = "Residual", Name = "",
                                         Variance = signif(x$sigma^2, digits),
                                         Std.Dev. = signif(x$sigma, digits), Corr = "",
                                         check.names = FALSE, stringsAsFactors = FALSE)
  tab <- do.call(rbind, rows)
  if (all(tab$Corr == "")) tab$Corr <- NULL
  print(tab, row.names = FALSE)
  if (!is.null(x$residual_pars)) {
    cat("Residual structure:", x$residual, "\n")
    print(data.frame(Parameter = x$residual_pars$term,
                     Estimate = signif(x$residual_pars$estimate, digits)), row.names = FALSE)
  }
  invisible(x)
}

#' @export
coef.glycotrial_lmm_multi <- function(object, ...) {
  b <- object$coefficients
  lapply(ranef(object), function(re) {
    out <- matrix(b, nrow(re), length(b), byrow = TRUE, dimnames = list(rownames(re), names(b)))
    for (nm in intersect(colnames(re), names(b))) out[, nm] <- out[, nm] + re[[nm]]
    as.data.frame(out, check.names = FALSE)
  })
}

lmm_sparse_fitted_sorted <- function(object, level) {
  eta <- drop(object$design$X %*% object$coefficients)
  if (!is.null(object$design$offset)) eta <- eta + object$design$offset
  if (level != "population") eta <- eta + lmm_sparse_zb(object)
  eta
}

lmm_sparse_level <- function(level) {
  if (identical(level, c("subject", "population", "conditional"))) return("subject")
  check_choice(level, c("subject", "population", "conditional"), arg = "level")
}

#' @export
fitted.glycotrial_lmm_multi <- function(object, level = c("subject", "population", "conditional"),
                                        ...) {
  level <- lmm_sparse_level(level)
  lmm_in_data_order(object, lmm_sparse_fitted_sorted(object, level))
}

#' @export
residuals.glycotrial_lmm_multi <- function(object,
                                           level = c("subject", "population", "conditional"),
                                           type = c("response", "pearson"), ...) {
  level <- lmm_sparse_level(level)
  type <- match.arg(type)
  lmm_residuals_common(object, lmm_sparse_fitted_sorted(object, level), lmm_sparse_residual_sd,
                       type)
}

# One draw of the residuals (model order): independent, or with a residual
# structure sigma L_i z per residual subject (C_i = L_i L_i').
lmm_sparse_draw_residual <- function(object) {
  Ls <- object$residual_chol
  if (is.null(Ls)) return(stats::rnorm(length(object$design$y)) * lmm_sparse_residual_sd(object))
  e <- numeric(length(object$design$y))
  ss <- object$design$residual_info$subject_start
  for (i in seq_along(Ls)) {
    if (is.null(Ls[[i]])) next
    e[(ss[i] + 1L):ss[i + 1L]] <- drop(Ls[[i]] %*% stats::rnorm(nrow(Ls[[i]])))
  }
  e * sqrt(object$sigma2)
}

# Residual SD of each row (model order): sigma / sqrt(w), or with a
# residual structure sigma sqrt(diag C_i) (weights included in C_i).
lmm_sparse_residual_sd <- function(object) {
  if (!is.null(object$residual_chol)) {
    return(sqrt(object$sigma2 * unlist(lapply(object$residual_chol, function(L) rowSums(L^2)))))
  }
  w <- object$design$weights
  s <- rep(sqrt(object$sigma2), length(object$design$y))
  if (is.null(w)) s else s / sqrt(w)
}

#' @export
predict.glycotrial_lmm_multi <- function(object, newdata = NULL,
                                         level = c("subject", "population", "conditional"),
                                         ...) {
  level <- lmm_sparse_level(level)
  if (is.null(newdata)) return(fitted(object, level = level))
  check_data_frame(newdata)
  eta <- lmm_population_eta(object, newdata)
  if (level != "population") eta <- eta + lmm_sparse_zb(object, newdata)
  unname(eta)
}

#' @export
simulate.glycotrial_lmm_multi <- function(object, nsim = 1, seed = NULL, ...) {
  check_count(nsim, lower = 1, len = 1)
  if (!is.null(seed)) set.seed(seed)
  d <- object$design
  mu <- drop(d$X %*% object$coefficients)
  if (!is.null(d$offset)) mu <- mu + d$offset
  sigma <- sqrt(object$sigma2)
  out <- matrix(NA_real_, length(mu), nsim)
  for (s in seq_len(nsim)) {
    bs <- lapply(seq_along(d$terms_re), function(k) {
      tk <- d$terms_re[[k]]
      G <- object$G_terms[[k]]
      e <- eigen(G, symmetric = TRUE)
      L <- e$vectors %*% diag(sqrt(pmax(e$values, 0)), nrow(G))
      m <- matrix(stats::rnorm(tk$n_levels * tk$p), tk$n_levels, tk$p) %*% t(L)
      dimnames(m) <- list(levels(tk$factor), tk$names)
      m
    })
    out[, s] <- mu + lmm_sparse_zb(object, b_terms = bs) + lmm_sparse_draw_residual(object)
  }
  out <- out[order(d$rows), , drop = FALSE]
  out <- as.data.frame(out)
  names(out) <- paste0("sim_", seq_len(nsim))
  out
}

# Satterthwaite setup as lmerTest: varpar = (theta, sigma); A = 2 H^-1 with H
# the Hessian of the (RE)ML deviance in varpar (beta profiled), and the
# Jacobian of vcov(beta) = sigma^2 (RX'RX)^-1, both by Richardson-extrapolated
# central differences.
lmm_sparse_satterthwaite_setup <- function(object) {
  if (inherits(object, "glycotrial_lmm_multi_resid")) {
    return(lmm_sparse_resid_satterthwaite_setup(object))
  }
  env <- object$cache
  if (!is.null(env$satt)) return(env$satt)
  ptr <- lmm_sparse_ptr(object)
  vp <- c(object$theta, sqrt(object$sigma2))
  k <- length(vp)
  dev <- function(v) cpp_lmm_sparse_deviance_sigma(ptr, v[-k], v[k])
  covb <- function(v) v[k]^2 * cpp_lmm_sparse_evaluate(ptr, v[-k])$unscaled_vcov
  H <- lmm_richardson_hessian(dev, vp)
  A <- tryCatch(2 * solve(H), error = function(e) 2 * MASS_ginv(H))
  jac <- lapply(seq_len(k), function(j) lmm_richardson_deriv(function(x) {
    v <- vp; v[j] <- x; covb(v)
  }, vp[j]))
  env$satt <- list(A = A, jac = jac)
  env$satt
}

# Kenward-Roger pieces for a multi-factor fit (pbkrtest's parametrisation:
# the elements of each term's G and sigma^2), dense in the observations as
# pbkrtest; see kenward_roger() of the SparseModel class (C++).
lmm_sparse_kr_setup <- function(object) {
  if (inherits(object, "glycotrial_lmm_multi_resid")) {
    lmm_sparse_resid_unsupported("Kenward-Roger df")
  }
  cpp_lmm_sparse_kr(lmm_sparse_ptr(object), object$theta)
}

lmm_richardson_deriv <- function(f, x, h = 1e-3 * max(abs(x), 1e-2), r = 4) {
  D <- vector("list", r)
  for (i in seq_len(r)) {
    D[[i]] <- (f(x + h) - f(x - h)) / (2 * h)
    h <- h / 2
  }
  for (m in seq_len(r - 1)) {
    for (i in seq_len(r - m)) D[[i]] <- (4^m * D[[i + 1]] - D[[i]]) / (4^m - 1)
  }
  D[[1]]
}

lmm_richardson_hessian <- function(f, x) {
  k <- length(x)
  H <- matrix(0, k, k)
  for (i in seq_len(k)) {
    for (j in seq_len(i)) {
      if (i == j) {
        fi <- function(t) { v <- x; v[i] <- t; f(v) }
        H[i, i] <- lmm_richardson_deriv(function(t) lmm_richardson_deriv(fi, t, r = 2), x[i], r = 3)
      } else {
        fij <- function(s, t) { v <- x; v[i] <- s; v[j] <- t; f(v) }
        H[i, j] <- H[j, i] <- lmm_richardson_deriv(function(s) {
          lmm_richardson_deriv(function(t) fij(s, t), x[j], r = 2)
        }, x[i], r = 3)
      }
    }
  }
  H
}

#' @export
confint.glycotrial_lmm_multi <- function(object, parm, level = 0.95,
                                         method = c("Wald", "profile"), ...) {
  method <- match.arg(method)
  check_number(level, lower = 0, upper = 1, open = TRUE)
  if (method == "profile" && inherits(object, "glycotrial_lmm_multi_resid")) {
    lmm_sparse_resid_unsupported("{.code confint(method = \"profile\")}")
  }
  b <- object$coefficients
  vc <- lmm_sparse_vc_table(object)
  if (missing(parm)) parm <- if (method == "profile") c(vc$name, names(b)) else names(b)
  parm <- lmm_confint_parm(parm, names(b), vc$name, vc_allowed = method == "profile")
  z <- stats::qnorm(1 - (1 - level) / 2)
  out <- matrix(NA_real_, length(parm), 2)
  is_b <- parm %in% names(b)
  if (method == "profile") {
    for (k in seq_along(parm)) {
      out[k, ] <- if (is_b[k]) lmm_profile_beta(object, parm[k], z) else
        lmm_sparse_profile_vc(object, parm[k], z)
    }
  } else {
    se <- sqrt(diag(object$vcov))[parm]
    out <- cbind(b[parm] - z * se, b[parm] + z * se)
  }
  dimnames(out) <- list(parm, sprintf("%.1f %%", 100 * c((1 - level) / 2, 1 - (1 - level) / 2)))
  out
}

#' @export
print.glycotrial_lmm_multi <- function(x, digits = 4, ...) {
  cat("Linear mixed model fit by ", if (x$reml) "REML" else "maximum likelihood",
      " (glycotrial, sparse)\n", sep = "")
  cat("Formula:", paste(deparse(x$design$parsed$formula), collapse = " "), "\n")
  cat(sprintf("%s criterion: %.4f   logLik: %.4f   AIC: %.4f\n",
              if (x$reml) "REML" else "ML", x$deviance, x$logLik, stats::AIC(x)))
  labs <- vapply(x$design$terms_re, `[[`, "", "label")
  nl <- x$n_levels[!duplicated(labs)]
  cat(sprintf("%d observations; groups: %s%s\n", x$nobs,
              paste(sprintf("%s, %d", unique(labs), nl), collapse = "; "),
              if (x$singular) "; boundary (singular) fit" else ""))
  print(VarCorr(x), digits = digits)
  cat("Fixed effects:\n")
  print(signif(x$coefficients, digits))
  invisible(x)
}
