# Estimability of linear functions of an MMRM's coefficients (least-squares
# means, predictions, emmeans): a function l'beta is estimable when l is
# orthogonal to the null space of the full design matrix X (Searle 1971;
# the estimability package's nonest.basis()/is.estble(), which emmeans
# uses). With an aliased interaction (no data for one arm at one visit, or a
# planned visit not yet observed) the cell mean is not estimable: dropping
# the aliased column would silently copy another cell's estimate.

# Basis of the null space of X (columns), or estimability::all.estble.
mmrm_nonest_basis <- function(object) {
  if (!any(object$aliased)) return(estimability::all.estble)
  if (!is.null(object$xtx_full)) {
    nb <- estimability::nonest.basis(object$xtx_full)
    if (is.null(object$xtx_full_T) || !is.matrix(nb) || !ncol(nb)) return(nb)
    # moments of the centred design X T: null(X) = T null(X T), orthonormal
    return(qr.Q(qr(object$xtx_full_T %*% nb)))
  }
  if (!is.null(object$data)) {
    X <- mmrm_full_x(object, object$data)
    X <- X[stats::complete.cases(X), , drop = FALSE]
    return(estimability::nonest.basis(X))
  }
  # moment route without X'X of all columns: every aliased column alone
  # spans a non-estimable direction (a conservative basis)
  nm <- names(object$aliased)
  B <- diag(length(nm))[, object$aliased, drop = FALSE]
  rownames(B) <- nm
  B
}

# Model matrix of newdata with all columns (aliased ones included).
mmrm_full_x <- function(object, newdata) {
  newdata <- mmrm_logical_as_factor(object, newdata)
  tt <- stats::delete.response(object$terms)
  mf <- stats::model.frame(tt, newdata, na.action = stats::na.pass, xlev = object$xlevels)
  stats::model.matrix(tt, mf, contrasts.arg = object$contrasts)
}

# Which rows of L (all columns) are estimable.
mmrm_is_estimable <- function(object, L) {
  if (!any(object$aliased)) return(rep(TRUE, nrow(L)))
  nb <- mmrm_nonest_basis(object)
  ok <- estimability::is.estble(L, nb)
  ok & !apply(is.na(L), 1, any)
}

mmrm_inform_nonestimable <- function(what, n) {
  cli::cli_inform(c(
    "{n} estimate{?s} {?is/are} not estimable ({what}; no data for the cell, an aliased coefficient): reported as NA.",
    "i" = "As emmeans' {.val nonEst}: the data carry no information on these cells; estimate another cell or simplify the model."),
    class = c("glycotrial_message_nonestimable", "glycotrial_message"))
}

# Logical covariates are fitted as factors (levels FALSE, TRUE; see
# mmrm_check_columns()): convert them in new data the same way.
mmrm_logical_as_factor <- function(object, newdata) {
  for (v in intersect(names(object$xlevels), names(newdata))) {
    if (is.logical(newdata[[v]])) newdata[[v]] <- factor(newdata[[v]], levels = object$xlevels[[v]])
  }
  newdata
}
