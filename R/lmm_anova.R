# Type III hypothesis matrices for fit_lmm() fits, built by the same
# contrast builder as mmrm_fit()'s anova (mmrm_type3_contrasts(),
# R/mmrm_anova.R): each term's rows are the identity rows of the term in the
# contr.sum parametrisation mapped to the fit's coefficients, i.e. contrasts
# orthogonal to the higher-order terms containing it (the SAS / lmerTest
# Type III). The "marginal" tests of the fit's own (treatment-coded) columns
# are kept as anova(type = "marginal").

# The fields mmrm_type3_contrasts() reads, from an LMM design.
lmm_anova_shim <- function(object) {
  d <- object$design
  tt <- stats::delete.response(d$terms)
  X <- d$X
  data <- d$data
  full <- if (!is.null(data)) {
    mf <- stats::model.frame(tt, data, na.action = stats::na.pass, xlev = d$xlevels)
    stats::model.matrix(tt, mf)
  } else {
    stats::model.matrix(tt, mmrm_anova_prototype(list(terms = tt, xlevels = d$xlevels)))
  }
  aliased <- !colnames(full) %in% colnames(X)
  list(terms = tt, assign = attr(full, "assign"), aliased = aliased, xlevels = d$xlevels,
       data = data, x_matrix = if (is.null(data)) NULL else X[, colnames(full)[!aliased], drop = FALSE])
}

lmm_type3_contrasts <- function(object) {
  Ls <- mmrm_type3_contrasts(lmm_anova_shim(object))
  lapply(Ls, function(L) {
    colnames(L) <- names(object$coefficients)
    L
  })
}

lmm_marginal_contrasts <- function(object) {
  X <- object$design$X
  asg <- attr(X, "assign")
  labs <- attr(object$design$terms, "term.labels")
  out <- lapply(seq_along(labs), function(k) {
    idx <- which(asg == k)
    L <- matrix(0, length(idx), ncol(X), dimnames = list(NULL, colnames(X)))
    L[cbind(seq_along(idx), idx)] <- 1
    L
  })
  names(out) <- labs
  out
}
