# Imputation strategies as plugins: rbmi's own strategy functions registered
# as user strategies give the built-in (natively computed) results.

mi_fit_with <- function(d, strategy, method = mi_condmean(), seed = NULL) {
  ice <- attr(d, "data_ice")
  ice$strategy <- strategy
  mi_reference_based(d, mi_example_vars(), data_ice = ice, reference = c(TRT = "PBO"),
                     analysis_covariates = "BASE", method = method, seed = seed)
}

test_that("built-in strategies are registered plugins", {
  p <- glycotrial_plugins("mi_strategy")
  expect_true(all(c("MAR", "JR", "CR", "CIR", "LMCF") %in% p$key))
  expect_identical(get_plugin("mi_strategy", "JR")$meta$code, 1L)
})

test_that("rbmi's strategy functions as user plugins equal the built-ins", {
  skip_if_not_installed("rbmi")
  d <- mi_example_data(n = 40, seed = 1)
  fns <- list(MAR = rbmi::strategy_MAR, JR = rbmi::strategy_JR, CR = rbmi::strategy_CR,
              CIR = rbmi::strategy_CIR, LMCF = rbmi::strategy_LMCF)
  for (s in names(fns)) {
    key <- paste0("RBMI_", s)
    register_mi_strategy(key, fns[[s]], needs_reference = s %in% c("JR", "CR", "CIR"))
    on.exit(unregister_plugin("mi_strategy", key), add = TRUE)
    expect_equal(mi_fit_with(d, key)$results, mi_fit_with(d, s)$results, tolerance = 1e-10,
                 label = s)
  }
  # draws: the same seed gives the same imputations
  m <- mi_bmlmi(B = 10, D = 2)
  expect_equal(mi_fit_with(d, "RBMI_JR", m, seed = 4)$results,
               mi_fit_with(d, "JR", m, seed = 4)$results, tolerance = 1e-10)
})

test_that("the R implementations of the built-ins equal the native ones", {
  d <- mi_example_data(n = 40, seed = 5)
  for (s in c("JR", "CIR", "LMCF")) {
    key <- paste0("R_", s)
    register_mi_strategy(key, get_plugin("mi_strategy", s)$impl)
    on.exit(unregister_plugin("mi_strategy", key), add = TRUE)
    expect_equal(mi_fit_with(d, key)$results, mi_fit_with(d, s)$results, tolerance = 1e-10,
                 label = s)
  }
})

test_that("a user strategy changes the imputation as it says", {
  d <- mi_example_data(n = 40, seed = 1)
  register_mi_strategy("JR_PLUS1", function(pars_group, pars_ref, index_mar) {
    p <- glycotrial:::mi_strategy_jr(pars_group, pars_ref, index_mar)
    p$mu[!index_mar] <- p$mu[!index_mar] + 1
    p
  })
  on.exit(unregister_plugin("mi_strategy", "JR_PLUS1"))
  a <- mi_imputed_data(mi_fit_with(d, "JR"))
  b <- mi_imputed_data(mi_fit_with(d, "JR_PLUS1"))
  # conditional mean: every imputed post-event visit moves by 1 (the observed
  # visits are all before the event, so the regression term is unchanged)
  expect_equal(b$CHG[b$imputed] - a$CHG[a$imputed], rep(1, sum(a$imputed)), tolerance = 1e-10)
  expect_equal(b$CHG[!b$imputed], a$CHG[!a$imputed])
})

test_that("a bad strategy plugin is a classed error", {
  d <- mi_example_data(n = 30, seed = 1)
  register_mi_strategy("BAD_LEN", function(pars_group, pars_ref, index_mar) {
    list(mu = pars_group$mu[-1], sigma = pars_group$sigma)
  })
  on.exit(unregister_plugin("mi_strategy", "BAD_LEN"))
  expect_error(mi_fit_with(d, "BAD_LEN"), class = "glycotrial_error_mi_strategy")
  expect_error(mi_fit_with(d, "BAD_LEN", mi_approxbayes(5), seed = 1),
               class = "glycotrial_error_mi_strategy")
  register_mi_strategy("BAD_STOP", function(pars_group, pars_ref, index_mar) stop("boom"))
  on.exit(unregister_plugin("mi_strategy", "BAD_STOP"), add = TRUE)
  expect_error(mi_fit_with(d, "BAD_STOP"), "boom", class = "glycotrial_error_mi_strategy")
  expect_error(register_mi_strategy("NOT_FUN", 3), class = "glycotrial_error")
  expect_error(mi_fit_with(d, "NO_SUCH_STRATEGY"), class = "glycotrial_error_mi_strategy")
})

test_that("a user strategy needing a reference is checked like JR", {
  d <- mi_example_data(n = 30, seed = 1)
  register_mi_strategy("MYREF", rbmi_like_cr <- function(pars_group, pars_ref, index_mar) pars_ref)
  on.exit(unregister_plugin("mi_strategy", "MYREF"))
  ice <- attr(d, "data_ice")
  ice$strategy <- "MYREF"
  expect_error(mi_reference_based(d, mi_example_vars(), data_ice = ice),
               class = "glycotrial_error_mi_reference")
})
