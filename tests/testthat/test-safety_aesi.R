test_that("built-in AESI groups are registered and editable", {
  keys <- glycotrial_plugins("aesi")$key
  expect_true(all(c("infusion_reactions", "infections", "neoplasms", "hepatic", "renal",
                    "hypoglycaemia") %in% keys))
  expect_true("Pyrexia" %in% aesi_terms("infusion_reactions")$terms)
  register_aesi("test_headache", terms = "Headache", description = "test group")
  on.exit(unregister_plugin("aesi", "test_headache"))
  expect_error(register_aesi("test_headache", terms = "Migraine"),
               class = "glycotrial_error_registry_conflict")
  register_aesi("test_headache", terms = c("Headache", "Migraine"), overwrite = TRUE)
  expect_equal(aesi_terms("test_headache")$terms, c("Headache", "Migraine"))
  expect_error(register_aesi("test_empty"), class = "glycotrial_error_input")
})

test_that("ae_special_interest counts and exposure-adjusted rates by hand", {
  d <- safety_toy()
  register_aesi("test_headache", terms = "headache")  # matched case-insensitively
  on.exit(unregister_plugin("aesi", "test_headache"))
  res <- ae_special_interest(d$adae, d$adsl, aesi = c("infusion_reactions", "test_headache"))
  # Nausea is an infusion reaction: A: S1, S2; B: S5 (missing onset).
  expect_equal(ard_stat(res, group = "infusion_reactions", pt = NA, arm = "A", stat_name = "n"), 2)
  expect_equal(ard_stat(res, group = "test_headache", pt = NA, arm = "B", stat_name = "n"), 1)
  # Time at risk (days): window = 90 treatment days + 30 lag = 120.
  # infusion_reactions, A: S1 first onset day 5, S2 day 3, S3 120 -> 128 days.
  py <- 128 / 365.25
  expect_equal(ard_stat(res, group = "infusion_reactions", pt = NA, arm = "A",
                        stat_name = "patient_years"), py)
  expect_equal(ard_stat(res, group = "infusion_reactions", pt = NA, arm = "A",
                        stat_name = "eair"), 100 * 2 / py)
  expect_equal(ard_stat(res, group = "infusion_reactions", pt = NA, arm = "A",
                        stat_name = "eair_upper"),
               100 * stats::qchisq(0.975, 6) / (2 * py), tolerance = 1e-10)
  # B: S5 onset missing -> full window 120; S4 no event -> 120.
  expect_equal(ard_stat(res, group = "infusion_reactions", pt = NA, arm = "B",
                        stat_name = "patient_years"), 240 / 365.25)
  # Preferred-term lines within the group.
  expect_equal(ard_stat(res, group = "infusion_reactions", pt = "Nausea", arm = "A",
                        stat_name = "events"), 3)
  expect_error(ae_special_interest(d$adae, d$adsl, aesi = "no_such_group"),
               class = "glycotrial_error_unknown_plugin")
})

test_that("AESI counts on (PT, SOC) combinations: an event matching a group twice counts once", {
  # Hepatic group = listed PTs (incl. Jaundice) or SOC Hepatobiliary disorders.
  # S1 (A): Jaundice in Hepatobiliary disorders (PT and SOC match) on day 10,
  #         Jaundice coded in Investigations (PT match) on day 5.
  # S2 (B): Cholecystitis in Hepatobiliary disorders (SOC match) on day 20;
  #         Nausea (GI) is not hepatic.
  # By hand: hepatic subjects A 1 (2 events), B 1 (1 event); PT lines Jaundice
  # (A: 1 subject, 2 events, one line for both SOCs), Cholecystitis (B: 1).
  # Time at risk: S1 to day 5 (first event), S2 to day 20; 5 / 365.25 PY in A.
  adsl <- data.frame(USUBJID = c("S1", "S2"), ARM = c("A", "B"), SAFFL = "Y",
                     TRTSDT = as.Date("2024-01-01"), TRTEDT = as.Date("2024-12-31"))
  adae <- data.frame(USUBJID = c("S1", "S1", "S2", "S2"),
                     AEDECOD = c("Jaundice", "Jaundice", "Cholecystitis", "Nausea"),
                     AEBODSYS = c("Hepatobiliary disorders", "Investigations",
                                  "Hepatobiliary disorders", "Gastrointestinal disorders"),
                     TRTEMFL = "Y", ASTDY = c(10, 5, 20, 3))
  res <- ae_special_interest(adae, adsl, aesi = "hepatic")
  a <- res$ard
  st <- function(pt, arm, name) {
    sel <- a$arm == arm & a$stat_name == name & (if (is.na(pt)) is.na(a$pt) else a$pt %in% pt)
    a$stat[sel]
  }
  expect_equal(c(st(NA, "A", "n"), st(NA, "A", "events"), st(NA, "B", "n"), st(NA, "B", "events")),
               c(1, 2, 1, 1))
  expect_equal(c(st("Jaundice", "A", "n"), st("Jaundice", "A", "events")), c(1, 2))
  expect_equal(st("Cholecystitis", "B", "n"), 1)
  expect_false(any(a$pt %in% "Nausea"))
  expect_equal(st(NA, "A", "patient_years"), 5 / 365.25)
  expect_equal(st(NA, "B", "patient_years"), 20 / 365.25)
})
