# Built-in plugins of the safety area: the CTCAE v5 lab grading scheme and
# the AESI groups are registered at load and listed by glycotrial_plugins().

test_that("the built-in safety plugins are registered with their content", {
  kinds <- glycotrial_plugins()$kind
  expect_true(all(c("lab_grading", "aesi") %in% kinds))
  lg <- glycotrial_plugins("lab_grading")
  expect_true("ctcae_v5" %in% lg$key)
  aesi <- glycotrial_plugins("aesi")
  expect_setequal(intersect(aesi$key, c("infusion_reactions", "infections", "neoplasms",
                                        "hepatic", "renal", "hypoglycaemia")),
                  c("infusion_reactions", "infections", "neoplasms", "hepatic", "renal",
                    "hypoglycaemia"))
  expect_identical(unique(aesi$package[aesi$key == "hepatic"]), "glycotrial")
})

test_that("the AESI group of infections counts a SOC as its hand count", {
  d <- safety_toy()
  d$adae$AEBODSYS[d$adae$USUBJID == "S2"] <- "Infections and infestations"
  res <- ae_special_interest(d$adae, d$adsl, aesi = "infections")
  # Only S2 (arm A) has an event in the SOC; none in arm B.
  expect_equal(ard_stat(res, group = "infections", pt = NA, arm = "A", stat_name = "n"), 1)
  expect_equal(ard_stat(res, group = "infections", pt = NA, arm = "B", stat_name = "n"), 0)
})
