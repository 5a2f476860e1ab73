# The parameters of a fit_lmm() residual covariance structure on their
# natural scale, for VarCorr(), tidy() and fit$sigma2: the residual
# covariance over all visits (original scale), the residual SD(s) and the
# correlations. For a homogeneous structure one SD ("sd__Observation", the
# square root of fit$sigma2, as nlme's sigma); for a heterogeneous one an SD
# per visit ("sd__Observation.<visit>"; fit$sigma2 is then the mean residual
# variance). Correlations: an ar1-type structure (corr = rho^lag) gives one
# "cor__Observation.lag1" (nlme's Phi); a stationary (Toeplitz) one a
# correlation per lag; otherwise every pair "cor__Observation.<v1>.<v2>".

# Residual covariance over the visits (levels of the time variable), or NULL
# (iid residuals, bivariate Kronecker structures).
lmm_residual_matrix <- function(object) {
  r <- object$design$residual
  if (is.null(r) || (!is.null(r$type) && r$type == "kronecker")) return(NULL)
  if (!is.null(object$residual_cov)) return(object$residual_cov)
  ri <- object$design$residual_info
  tryCatch({
    vc <- if (isTRUE(ri$spatial)) as.numeric(ri$levels) else seq_len(ri$n_visits) - 1
    S <- cpp_lmm_residual_cov(lmm_ptr(object), object$theta_absolute, vc, integer(length(vc)))
    dimnames(S) <- list(as.character(ri$levels), as.character(ri$levels))
    S
  }, error = function(e) NULL)
}

lmm_residual_pars <- function(object, S = lmm_residual_matrix(object)) {
  if (is.null(S)) return(NULL)
  v <- diag(S)
  sd <- sqrt(v)
  lev <- rownames(S)
  homog <- all(abs(v - v[1]) <= 1e-8 * max(abs(v)))
  out <- if (homog) {
    data.frame(term = "sd__Observation", estimate = sd[1], stringsAsFactors = FALSE)
  } else {
    data.frame(term = paste0("sd__Observation.", lev), estimate = unname(sd),
               stringsAsFactors = FALSE)
  }
  k <- nrow(S)
  if (k > 1 && !isTRUE(object$design$residual_info$spatial)) {
    R <- S / outer(sd, sd)
    lag <- abs(outer(seq_len(k), seq_len(k), "-"))
    lt <- lower.tri(R)
    by_lag <- split(R[lt], lag[lt])
    toeplitz <- all(vapply(by_lag, function(x) diff(range(x)) <= 1e-8, logical(1)))
    rl <- vapply(by_lag, `[`, 0, 1)
    ar1 <- toeplitz && all(abs(rl - rl[1]^seq_along(rl)) <= 1e-8)
    cors <- if (ar1) {
      data.frame(term = "cor__Observation.lag1", estimate = rl[1], stringsAsFactors = FALSE)
    } else if (toeplitz) {
      data.frame(term = paste0("cor__Observation.lag", seq_along(rl)), estimate = unname(rl),
                 stringsAsFactors = FALSE)
    } else {
      idx <- which(lt, arr.ind = TRUE)
      data.frame(term = paste0("cor__Observation.", lev[idx[, 2]], ".", lev[idx[, 1]]),
                 estimate = R[idx], stringsAsFactors = FALSE)
    }
    out <- rbind(out, cors)
  }
  rownames(out) <- NULL
  out
}

# fit$sigma2 of a fit with a residual structure: the residual variance
# (homogeneous structures) or the mean residual variance over the visits.
lmm_residual_sigma2 <- function(object) {
  S <- lmm_residual_matrix(object)
  if (is.null(S)) return(object$sigma2)
  mean(diag(S))
}
