# emmeans support for every model class: recover_data() and emm_basis()
# methods for glycotrial_mmrm, glycotrial_lmm_moments, glycotrial_lmm and
# glycotrial_lmm_multi (which inherits the glycotrial_lmm methods),
# registered when emmeans loads (add_s3_interop), so that
# emmeans(fit, ~ ARM | AVISIT) and contrast() use the fit's covariance and
# degrees-of-freedom method. emmeans replaces the environment of dffun by
# baseenv(): each dffun calls a df function carried in dfargs, and those
# are the shared df core (src/core/inference) through the models' glue.

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

# ---- glycotrial_lmm_moments (a fit from a data source: its engine MMRM fit) ----

add_s3_interop("emmeans", "recover_data", "glycotrial_lmm_moments",
               function(object, ...) emmeans_recover_data_mmrm(object$engine_fit, ...))
add_s3_interop("emmeans", "emm_basis", "glycotrial_lmm_moments",
               function(object, ...) emmeans_emm_basis_mmrm(object$engine_fit, ...))

# ---- glycotrial_lmm, glycotrial_lmm_multi ----------------------------------------

# emmeans support (registered when emmeans loads): the reference grid uses
# the fixed-effects terms and, by default, the Satterthwaite df of each
# linear function; `mode` / `lmer.df = "kenward-roger"` as for lme4 fits.

recover_data_glycotrial_lmm <- function(object, data = NULL, ...) {
  if (inherits(object, "glycotrial_joint")) {
    glycotrial_abort("emmeans support is for {.fn fit_lmm} fits, not joint models.")
  }
  d <- object$design
  if (is.null(data)) data <- d$data
  emmeans::recover_data(object$call, stats::delete.response(d$terms), na.action = NULL,
                        data = data, ...)
}

# emmeans mode (alias lmer.df, as for lme4 fits): "satterthwaite" (default),
# "kenward-roger" (adjusted covariance Phi_A, KR df of each linear function)
# or "asymptotic" (df = Inf).
emm_basis_glycotrial_lmm <- function(object, trms, xlev, grid, mode = "satterthwaite", lmer.df,
                                     ...) {
  if (!missing(lmer.df)) mode <- lmer.df
  modes <- c("satterthwaite", "kenward-roger", "asymptotic")
  if (!is.character(mode) || length(mode) != 1 || is.na(mode) ||
      is.na(pmatch(tolower(mode), modes))) {
    glycotrial_abort("{.arg mode} (or {.arg lmer.df}) must be one of {.val {modes}}, not {describe_value(mode)}.")
  }
  mode <- modes[pmatch(tolower(mode), modes)]
  m <- stats::model.frame(trms, grid, na.action = stats::na.pass, xlev = xlev)
  X <- stats::model.matrix(trms, m, contrasts.arg = object$design$contrasts)
  bhat <- object$coefficients
  X <- X[, names(bhat), drop = FALSE]
  V <- object$vcov
  if (mode == "kenward-roger") {
    kr <- lmm_kr_setup(object)
    V <- kr$phi_adj
    # KR df of L beta (pbkrtest's Lb_ddf, as lmm_contrast()): phi and P on
    # the core's standardised scale, W their weights.
    dffun <- function(k, dfargs) dfargs$df_fun(k, dfargs)
    dfargs <- list(phi = kr$phi / kr$scale2, P = kr$P, W = kr$W, df_fun = lmm_emm_kr_df)
  } else if (mode == "satterthwaite") {
    setup <- lmm_satterthwaite_setup(object)
    # Satterthwaite df = 2 v^2 / (g' A g), as lmm_df_1().
    dffun <- function(k, dfargs) dfargs$df_fun(k, dfargs)
    dfargs <- list(V = object$vcov, jac = setup$jac, A = setup$A, df_fun = lmm_emm_satterthwaite_df)
  } else {
    dffun <- function(k, dfargs) Inf
    dfargs <- list()
  }
  attr(dffun, "mesg") <- mode
  list(X = X, bhat = bhat, nbasis = matrix(NA), V = V, dffun = dffun, dfargs = dfargs,
       misc = list())
}

# The df functions carried in dfargs (emmeans calls them from baseenv()).
lmm_emm_kr_df <- function(k, dfargs) {
  L <- if (is.matrix(k)) k else matrix(as.numeric(k), nrow = 1)
  cpp_kr_df(dfargs$phi, dfargs$P, dfargs$W, L)$df
}

lmm_emm_satterthwaite_df <- function(k, dfargs) {
  cpp_satterthwaite_df(dfargs$V, dfargs$jac, dfargs$A, matrix(as.numeric(k), nrow = 1))
}

add_builtin_plugins("lmm", function() {
  add_s3_interop("emmeans", "recover_data", "glycotrial_lmm", recover_data_glycotrial_lmm)
  add_s3_interop("emmeans", "emm_basis", "glycotrial_lmm", emm_basis_glycotrial_lmm)
})
