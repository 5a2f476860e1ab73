# anova() for glycotrial_mmrm fits: Type II and Type III F tests per term.
# The hypothesis matrices follow the R package mmrm (Anova.mmrm(): its
# h_type2_contrast() and h_type3_contrasts() define them; the algebra is
# written out here), the F tests are mmrm_test_md() with the fit's df method.

#' @rdname mmrm_methods
#' @export
anova.glycotrial_mmrm <- function(object, ..., type = c("III", "II")) {
  if (length(list(...))) {
    glycotrial_abort("{.fun anova} compares a single fit; use {.fun model_selection} to compare structures.")
  }
  if (missing(type)) type <- "III"
  type <- as.character(type)
  if (identical(type, "3")) type <- "III"
  if (identical(type, "2")) type <- "II"
  type <- check_choice(type, c("III", "II"), arg = "type")
  Ls <- if (type == "III") mmrm_type3_contrasts(object) else mmrm_type2_contrasts(object)
  res <- lapply(names(Ls), function(term) {
    L <- Ls[[term]]
    if (!nrow(L)) return(NULL)
    r <- mmrm_test_md(object, L)
    data.frame(`Num Df` = r$num_df, `Denom Df` = r$denom_df, `F value` = r$f_stat,
               `Pr(>F)` = r$p_val, check.names = FALSE, row.names = term)
  })
  out <- do.call(rbind, res)
  if (is.null(out)) {
    out <- data.frame(`Num Df` = numeric(0), `Denom Df` = numeric(0), `F value` = numeric(0),
                      `Pr(>F)` = numeric(0), check.names = FALSE)
  }
  structure(out, heading = paste0("Type ", type, " F tests (", object$df_method, " df)\n"),
            class = c("anova", "data.frame"))
}

# Terms of the fixed effects and the term index of every estimable column.
mmrm_anova_terms <- function(object) {
  tt <- stats::delete.response(object$terms)
  asg <- object$assign
  if (is.null(asg)) {
    # moment route: the columns of model.matrix() on a prototype data set
    # (the encoding was checked to reproduce it, R/mmrm_moments.R)
    asg <- attr(stats::model.matrix(tt, mmrm_anova_prototype(object)), "assign")
  }
  list(terms = tt, labels = attr(tt, "term.labels"), assign = asg[!object$aliased])
}

# A small data set visiting every combination of factor levels with varying
# numeric covariates: for fits without rows (moment route), where only the
# parametrisation matters.
mmrm_anova_prototype <- function(object) {
  tt <- stats::delete.response(object$terms)
  vars <- all.vars(tt)
  lv <- object$xlevels[intersect(names(object$xlevels), vars)]
  num <- setdiff(vars, names(lv))
  grid <- if (length(lv)) {
    expand.grid(lapply(lv, function(l) factor(l, levels = l)), KEEP.OUT.ATTRS = FALSE)
  } else {
    data.frame(row.names = 1L)
  }
  reps <- length(num) + 2L
  d <- grid[rep(seq_len(max(1L, nrow(grid))), reps), , drop = FALSE]
  n <- nrow(d)
  for (j in seq_along(num)) {
    d[[num[j]]] <- stats::qnorm(((seq_len(n) * (2 * j + 1) + j) %% 97 + 0.5) / 97)
  }
  rownames(d) <- NULL
  d
}

# Type III: identity rows of each term in the contr.sum parametrisation,
# mapped to the fit's coefficients by A = (X_s'X_s)^-1 X_s'X (exact, both
# designs spanning the same space).
mmrm_type3_contrasts <- function(object) {
  info <- mmrm_anova_terms(object)
  asg <- info$assign
  p <- length(asg)
  fac_vars <- intersect(names(object$xlevels), all.vars(info$terms))
  A <- diag(p)
  if (length(fac_vars)) {
    d <- if (is.null(object$data)) mmrm_anova_prototype(object) else object$data
    mf <- stats::model.frame(info$terms, d, na.action = stats::na.pass, xlev = object$xlevels)
    ctr <- stats::setNames(rep(list("contr.sum"), length(fac_vars)), fac_vars)
    Xs <- stats::model.matrix(info$terms, mf, contrasts.arg = ctr)[, !object$aliased, drop = FALSE]
    Xo <- if (is.null(object$x_matrix)) {
      stats::model.matrix(info$terms, mf)[, !object$aliased, drop = FALSE]
    } else {
      object$x_matrix
    }
    A <- solve(crossprod(Xs), crossprod(Xs, Xo))
    A[abs(A) < sqrt(.Machine$double.eps)] <- 0
  }
  out <- lapply(seq_along(info$labels), function(i) A[asg == i, , drop = FALSE])
  names(out) <- info$labels
  out
}

# Type II: a term adjusted for every term not containing it.
mmrm_type2_contrasts <- function(object) {
  info <- mmrm_anova_terms(object)
  asg <- info$assign
  p <- length(asg)
  tt <- info$terms
  fcts <- attr(tt, "factors")
  fcts[fcts > 1] <- 1
  ord <- attr(tt, "order")
  categorical <- intersect(rownames(fcts), names(object$xlevels))
  xtx <- if (!is.null(object$x_matrix)) crossprod(object$x_matrix) else object$xtx
  if (is.null(xtx)) {
    glycotrial_abort("Type II tests need the cross-product of the design matrix, which this fit does not keep; refit it.",
                     call = NULL)
  }
  # the first term with a factor absorbs the intercept when there is none
  first_categ <- if (!attr(tt, "intercept") && length(categorical)) {
    names(which(colSums(fcts[categorical, , drop = FALSE]) > 0))[1]
  } else {
    NA_character_
  }
  schur <- function(a, b, c0) {
    if (!length(c0)) return(xtx[a, b, drop = FALSE])
    xtx[a, b, drop = FALSE] - xtx[a, c0, drop = FALSE] %*%
      solve(xtx[c0, c0, drop = FALSE], xtx[c0, b, drop = FALSE])
  }
  out <- lapply(seq_along(info$labels), function(idx) {
    cols <- which(asg == idx)
    with_int <- identical(info$labels[idx], first_categ)
    nr <- length(cols) - as.integer(with_int)
    L <- matrix(0, max(nr, 0), p)
    if (nr <= 0) return(L)
    # rows: the coefficients of the term (or their differences to the last
    # one when the term carries the intercept)
    D <- if (with_int) cbind(diag(nr), -1) else diag(nr)
    L[, cols] <- D
    for (i in setdiff(seq_along(info$labels), idx)) {
      extra <- rownames(fcts)[fcts[, i] > fcts[, idx]]
      if (ord[i] >= ord[idx] && all(fcts[, i] >= fcts[, idx]) && all(extra %in% categorical)) {
        c2 <- which(asg == i)
        if (!length(c2)) next
        c0 <- setdiff(seq_len(p), c(cols, c2))
        ret <- solve(schur(cols, cols, c0), schur(cols, c2, c0))
        L[, c2] <- D %*% ret
      }
    }
    L[abs(L) < sqrt(.Machine$double.eps)] <- 0
    L
  })
  names(out) <- info$labels
  out
}
