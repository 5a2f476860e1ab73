# emmeans on mmrm_fit() results (recover_data() / emm_basis() registered when
# emmeans loads) against emmeans on mmrm::mmrm() fits of the same model:
# estimates, SEs and Satterthwaite / Kenward-Roger df of the marginal means
# and of their contrasts. ar1, where mmrm's optimum is as tight as ours (on
# us it stops ~1e-5 away; test-zz-validation_mmrm.R restarts it from ours).

test_that("emmeans on a glycotrial fit agrees with emmeans on the mmrm fit", {
  skip_if_not_installed("emmeans")
  skip_if_not_installed("mmrm")
  d <- sim_mmrm_data(n = 60)
  for (df in c("Satterthwaite", "Kenward-Roger")) {
    f <- mmrm_fit(CHG ~ ARM * AVISIT + BASE + ar1(AVISIT | USUBJID), d, df = df)
    m <- mmrm::mmrm(CHG ~ ARM * AVISIT + BASE + ar1(AVISIT | USUBJID), d, method = df)
    ef <- as.data.frame(emmeans::emmeans(f, ~ ARM | AVISIT))
    em <- as.data.frame(emmeans::emmeans(m, ~ ARM | AVISIT))
    expect_equal(ef$emmean, em$emmean, tolerance = 1e-6, label = df)
    expect_equal(ef$SE, em$SE, tolerance = 1e-5, label = df)
    expect_equal(ef$df, em$df, tolerance = 1e-4, label = df)
    cf <- as.data.frame(emmeans::contrast(emmeans::emmeans(f, ~ ARM | AVISIT), "revpairwise"))
    cm <- as.data.frame(emmeans::contrast(emmeans::emmeans(m, ~ ARM | AVISIT), "revpairwise"))
    expect_equal(cf$estimate, cm$estimate, tolerance = 1e-6, label = df)
    expect_equal(cf$df, cm$df, tolerance = 1e-4, label = df)
  }
})
