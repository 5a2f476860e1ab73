# emmeans support for glycotrial_mmrm fits: recover_data() and emm_basis()
# methods, registered when emmeans loads (add_s3_interop), so that
# emmeans(fit, ~ ARM | AVISIT) and contrast() use the fit's covariance and
# degrees-of-freedom method.

#' @include plugins_registry.R
NULL

emmeans_recover_data_mmrm <- function(object, data = NULL, ...) {
  if (is.null(data)) data <- object$data
  if (is.null(data) && isTRUE(object$moments_only)) data <- mmrm_moment_grid_data(object)
  emmeans::recover_data(object$call, stats::delete.response(object$terms),
                        na.action = NULL, data = data, ...)
}

emmeans_emm_basis_mmrm <- function(object, trms, xlev, grid, ...) {
  mf <- stats::model.frame(trms, grid, na.action = stats::na.pass, xlev = xlev)
  X <- stats::model.matrix(trms, mf, contrasts.arg = object$contrasts)
  bhat <- object$beta
  V <- object$beta_vcov_adj
  # null space of the fit's design (R/mmrm_estimability.R): emmeans then
  # reports non-estimable cells as nonEst
  nbasis <- mmrm_nonest_basis(object)
  aliased <- object$aliased
  # emmeans may strip the environment of dffun: carry the df function along.
  # emmeans passes k without the aliased (NA) elements of bhat already; only
  # a full-length k is reduced here (subsetting a reduced k recycled the
  # logical index: singular KR, NA Satterthwaite df).
  dffun <- function(k, dfargs) {
    k <- as.numeric(k)
    if (length(k) == length(dfargs$aliased)) k <- k[!dfargs$aliased]
    if (anyNA(k)) return(NA_real_)
    dfargs$df_1d(dfargs$object, k)
  }
  list(X = X, bhat = bhat, nbasis = nbasis, V = V, dffun = dffun,
       dfargs = list(object = object, aliased = aliased, df_1d = mmrm_df_1d), misc = list())
}

add_s3_interop("emmeans", "recover_data", "glycotrial_mmrm", emmeans_recover_data_mmrm)
add_s3_interop("emmeans", "emm_basis", "glycotrial_mmrm", emmeans_emm_basis_mmrm)
