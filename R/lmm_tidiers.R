# broom-style tidiers (tidy / augment / glance) for every LMM fit class:
# glycotrial_lmm (fit_lmm(), fit_joint()) and glycotrial_lmm_multi (several
# grouping factors). Fits from a data source (glycotrial_lmm_moments) have
# no per-row data and no tidiers of their own.

# tidy() is re-exported in R/covariate_adjusted.R.
#' @importFrom generics tidy glance
#' @export
generics::glance

#' @rdname lmm_methods
#' @method tidy glycotrial_lmm
#' @export
tidy.glycotrial_lmm <- function(x, effects = c("fixed", "ran_pars"), conf.int = FALSE,
                                conf.level = 0.95,
                                ddf = c("Satterthwaite", "Kenward-Roger", "residual"), ...) {
  effects <- match.arg(effects, several.ok = TRUE)
  check_flag(conf.int)
  check_number(conf.level, lower = 0, upper = 1, open = TRUE)
  ddf <- lmm_match_ddf(ddf)
  out <- NULL
  if ("fixed" %in% effects) {
    tab <- lmm_coef_table(x, ddf)
    fx <- data.frame(effect = "fixed", term = rownames(tab), estimate = tab$Estimate,
                     std.error = tab$`Std. Error`, statistic = tab$`t value`, df = tab$df,
                     p.value = tab$`Pr(>|t|)`, df.method = ddf, stringsAsFactors = FALSE)
    if (conf.int) {
      # t intervals with the df of the chosen method (and, for Kenward-Roger,
      # the adjusted SE), consistent with the reported t tests.
      qt <- stats::qt(1 - (1 - conf.level) / 2, fx$df)
      fx$conf.low <- fx$estimate - qt * fx$std.error
      fx$conf.high <- fx$estimate + qt * fx$std.error
    }
    out <- fx
  }
  if ("ran_pars" %in% effects) {
    vc <- VarCorr(x)
    nm <- names(vc$sd)
    rp <- data.frame(effect = rep("ran_pars", length(nm)), term = paste0("sd__", nm)[seq_along(nm)],
                     estimate = unname(vc$sd), stringsAsFactors = FALSE)
    if (length(nm) > 1) {
      idx <- which(lower.tri(vc$cor), arr.ind = TRUE)
      rp <- rbind(rp, data.frame(effect = "ran_pars",
                                 term = paste0("cor__", nm[idx[, 2]], ".", nm[idx[, 1]]),
                                 estimate = vc$cor[idx], stringsAsFactors = FALSE))
    }
    if (!is.null(vc$residual_pars)) {
      rp <- rbind(rp, data.frame(effect = "ran_pars", term = vc$residual_pars$term,
                                 estimate = vc$residual_pars$estimate, stringsAsFactors = FALSE))
    } else if (!is.na(vc$sigma)) {
      rp <- rbind(rp, data.frame(effect = "ran_pars", term = "sd__Observation",
                                 estimate = vc$sigma, stringsAsFactors = FALSE))
    }
    out <- if (is.null(out)) rp else merge(out, rp, all = TRUE, sort = FALSE)
  }
  rownames(out) <- NULL
  out
}

#' @rdname lmm_methods
#' @method augment glycotrial_lmm
#' @export
augment.glycotrial_lmm <- function(x, newdata = NULL, ...) {
  d <- x$design
  if (is.null(newdata)) {
    # the rows used, in the data's order (na.exclude padding does not apply)
    x$na.action <- NULL
    data <- d$data[order(d$rows), , drop = FALSE]
    data$.fitted <- unname(stats::fitted(x))
    data$.fixed <- unname(stats::fitted(x, level = "population"))
    data$.resid <- unname(stats::residuals(x))
  } else {
    check_data_frame(newdata)
    data <- newdata
    data$.fitted <- stats::predict(x, newdata = data)
    data$.fixed <- stats::predict(x, newdata = data, level = "population")
    resp <- d$parsed$fixed[[2]]
    y <- if (is.null(resp)) NULL else
      tryCatch(as.numeric(eval(resp, data, environment(d$parsed$fixed))), error = function(e) NULL)
    data$.resid <- if (length(y) == nrow(data)) y - data$.fitted else NA_real_
  }
  rownames(data) <- NULL
  data
}

#' @rdname lmm_methods
#' @method glance glycotrial_lmm
#' @export
glance.glycotrial_lmm <- function(x, ...) {
  data.frame(nobs = x$nobs, n_subjects = x$n_subjects,
             sigma = if (is.finite(x$sigma2)) sqrt(x$sigma2) else NA_real_,
             logLik = x$logLik, AIC = stats::AIC(x), BIC = stats::BIC(x),
             REMLcrit = if (x$reml) x$deviance else NA_real_,
             deviance = if (x$reml) NA_real_ else x$deviance,
             singular = x$singular, converged = x$converged)
}


#' @export
tidy.glycotrial_lmm_multi <- function(x, effects = c("fixed", "ran_pars"), conf.int = FALSE,
                                      conf.level = 0.95, ...) {
  effects <- match.arg(effects, several.ok = TRUE)
  check_flag(conf.int)
  check_number(conf.level, lower = 0, upper = 1, open = TRUE)
  out <- NULL
  if ("fixed" %in% effects) {
    tab <- lmm_coef_table(x)
    out <- data.frame(effect = "fixed", group = NA_character_, term = rownames(tab),
                      estimate = tab$Estimate, std.error = tab$`Std. Error`,
                      statistic = tab$`t value`, df = tab$df, p.value = tab$`Pr(>|t|)`,
                      stringsAsFactors = FALSE)
    if (conf.int) {
      ci <- confint(x, level = conf.level)
      out$conf.low <- ci[, 1]
      out$conf.high <- ci[, 2]
    }
  }
  if ("ran_pars" %in% effects) {
    vc <- VarCorr(x)
    rp <- do.call(rbind, lapply(vc$terms, function(t) {
      nm <- names(t$sd)
      r <- data.frame(effect = "ran_pars", group = t$group, term = paste0("sd__", nm),
                      estimate = unname(t$sd), stringsAsFactors = FALSE)
      if (length(nm) > 1) {
        idx <- which(lower.tri(t$cor), arr.ind = TRUE)
        r <- rbind(r, data.frame(effect = "ran_pars", group = t$group,
                                 term = paste0("cor__", nm[idx[, 2]], ".", nm[idx[, 1]]),
                                 estimate = t$cor[idx], stringsAsFactors = FALSE))
      }
      r
    }))
    rp <- rbind(rp, if (!is.null(vc$residual_pars)) {
      data.frame(effect = "ran_pars", group = "Residual", term = vc$residual_pars$term,
                 estimate = vc$residual_pars$estimate, stringsAsFactors = FALSE)
    } else {
      data.frame(effect = "ran_pars", group = "Residual", term = "sd__Observation",
                 estimate = vc$sigma, stringsAsFactors = FALSE)
    })
    out <- if (is.null(out)) rp else merge(out, rp, all = TRUE, sort = FALSE)
  }
  rownames(out) <- NULL
  out
}

#' @export
glance.glycotrial_lmm_multi <- function(x, ...) {
  data.frame(nobs = x$nobs, n_groups = paste(x$n_levels, collapse = "/"),
             sigma = sqrt(x$sigma2), logLik = x$logLik, AIC = stats::AIC(x),
             BIC = stats::BIC(x), REMLcrit = if (x$reml) x$deviance else NA_real_,
             deviance = if (x$reml) NA_real_ else x$deviance,
             singular = x$singular, converged = x$converged)
}
