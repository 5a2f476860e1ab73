# A user attaches mmrm, emmeans, lme4, nlme, broom or rbmi beside
# glycotrial. No export of ours may silently mask theirs (or be masked):
# the only shared names allowed are generics we re-export unchanged, and the
# deprecated aliases kept for one release.

shared_generics <- c("fixef", "ranef", "VarCorr", "tidy", "glance", "augment")
deprecated_aliases <- c("fit_mmrm", "mmrm_control", "lsmeans")

clashes_with <- function(pkg) {
  ours <- getNamespaceExports("glycotrial")
  theirs <- getNamespaceExports(pkg)
  shared <- intersect(ours, theirs)
  same <- vapply(shared, function(f) {
    identical(getExportedValue("glycotrial", f), getExportedValue(pkg, f))
  }, logical(1))
  shared[!same]
}

for (pkg in c("mmrm", "emmeans", "lme4", "nlme", "stats", "broom", "rbmi",
              "lmerTest", "generics")) {
  test_that(paste("exports do not clash with", pkg), {
    skip_if_not_installed(pkg)
    bad <- setdiff(clashes_with(pkg), deprecated_aliases)
    expect_identical(bad, character(0))
  })
}

test_that("re-exported generics are the originals, not copies", {
  skip_if_not_installed("generics")
  skip_if_not_installed("nlme")
  for (f in intersect(shared_generics, getNamespaceExports("glycotrial"))) {
    src <- if (f %in% getNamespaceExports("generics")) "generics" else "nlme"
    expect_identical(getExportedValue("glycotrial", f), getExportedValue(src, f), info = f)
  }
})

test_that("the new names exist nowhere else", {
  new <- c("mmrm_fit", "mmrm_fit_control", "least_squares_means")
  expect_true(all(new %in% getNamespaceExports("glycotrial")))
  for (pkg in c("mmrm", "emmeans", "lme4", "nlme", "stats", "broom", "rbmi", "lmerTest")) {
    if (!requireNamespace(pkg, quietly = TRUE)) next
    expect_identical(intersect(new, getNamespaceExports(pkg)), character(0), info = pkg)
  }
})

test_that("deprecated aliases warn with a class and give the new function's result", {
  d <- sim_mmrm_data(n = 40, k = 3)
  expect_warning(ctl <- mmrm_control(max_iter = 77), class = "glycotrial_warning_deprecated")
  expect_identical(ctl, mmrm_fit_control(max_iter = 77))
  f_ok <- mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d)
  expect_warning(f_old <- fit_mmrm(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), d),
                 class = "glycotrial_warning_deprecated")
  expect_equal(coef(f_old), coef(f_ok), tolerance = 1e-12)
  expect_warning(l_old <- lsmeans(f_ok, specs = "ARM", by = "AVISIT"),
                 class = "glycotrial_warning_deprecated")
  expect_equal(l_old$lsmeans, least_squares_means(f_ok, specs = "ARM", by = "AVISIT")$lsmeans)
})

test_that("with mmrm attached after glycotrial, the new names still reach glycotrial", {
  skip_if_not_installed("mmrm")
  skip_if_not_installed("callr")
  out <- callr::r(function() {
    suppressPackageStartupMessages({ library(glycotrial); library(mmrm); library(emmeans) })
    c(environmentName(environment(mmrm_fit)), environmentName(environment(least_squares_means)),
      environmentName(environment(mmrm_fit_control)))
  })
  expect_identical(out, rep("glycotrial", 3))
})
