# CDISC pilot study (cdiscpilot01) from safetyData: TEAE subject counts by SOC
# and PT per planned arm (ADSL ARM, safety population, TRTEMFL = "Y"), against
# hand-written dplyr code, and against the CSR Table 14-5.01 totals
# (Any TEAE: Placebo 65, Xanomeline Low 77, Xanomeline High 76).
test_that("TEAE by SOC/PT matches dplyr on the CDISC pilot data", {
  skip_if_not_installed("safetyData")
  skip_if_not_installed("dplyr")
  adsl <- safetyData::adam_adsl
  adae <- safetyData::adam_adae
  res <- ae_by_term(adae, adsl)
  pop <- dplyr::filter(adsl, SAFFL == "Y") |> dplyr::select(USUBJID, ARM)
  teae <- dplyr::filter(adae, TRTEMFL == "Y") |>
    dplyr::select(-dplyr::any_of("ARM")) |>
    dplyr::inner_join(pop, by = "USUBJID")
  ref_pt <- teae |>
    dplyr::distinct(ARM, AEBODSYS, AEDECOD, USUBJID) |>
    dplyr::count(ARM, AEBODSYS, AEDECOD, name = "n_ref")
  ref_soc <- teae |> dplyr::distinct(ARM, AEBODSYS, USUBJID) |>
    dplyr::count(ARM, AEBODSYS, name = "n_ref")
  ref_ev <- teae |> dplyr::count(ARM, AEBODSYS, AEDECOD, name = "ev_ref")
  ard <- res$ard
  ours_pt <- ard[ard$level == "pt" & ard$stat_name == "n" & !grepl(" vs ", ard$arm), ]
  m <- merge(ref_pt, ours_pt, by.x = c("ARM", "AEBODSYS", "AEDECOD"),
             by.y = c("arm", "soc", "pt"), all = TRUE)
  m$stat[is.na(m$stat)] <- 0
  m$n_ref[is.na(m$n_ref)] <- 0
  expect_equal(m$stat, m$n_ref)
  expect_gt(nrow(ref_pt), 200)
  ours_soc <- ard[ard$level == "soc" & ard$stat_name == "n" & !grepl(" vs ", ard$arm), ]
  m2 <- merge(ref_soc, ours_soc, by.x = c("ARM", "AEBODSYS"), by.y = c("arm", "soc"))
  expect_equal(nrow(m2), nrow(ref_soc))
  expect_equal(m2$stat, m2$n_ref)
  ours_ev <- ard[ard$level == "pt" & ard$stat_name == "events" & ard$stat > 0, ]
  m3 <- merge(ref_ev, ours_ev, by.x = c("ARM", "AEBODSYS", "AEDECOD"),
              by.y = c("arm", "soc", "pt"))
  expect_equal(nrow(m3), nrow(ref_ev))
  expect_equal(m3$stat, m3$ev_ref)
  any_teae <- ard[ard$level == "any" & ard$stat_name == "n", ]
  expect_equal(any_teae$stat[match(c("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"),
                                   any_teae$arm)], c(65, 77, 76))
})

# Issue 17.12: AEACN is blank in every pilot ADAE record; ADSL records the
# discontinuations for adverse events (DCDECOD == "ADVERSE EVENT"): Placebo 8,
# Xanomeline High Dose 40, Xanomeline Low Dose 44 (counted here with base R on
# ADSL; every one of these subjects has a TEAE).
test_that("TEAE leading to discontinuation is derived from ADSL when AEACN is blank", {
  skip_if_not_installed("safetyData")
  adsl <- safetyData::adam_adsl
  adae <- safetyData::adam_adae
  expect_true(all(is.na(adae$AEACN) | adae$AEACN == ""))
  ref <- table(adsl$ARM[adsl$SAFFL == "Y" & adsl$DCDECOD == "ADVERSE EVENT"])
  expect_equal(as.vector(ref[c("Placebo", "Xanomeline High Dose", "Xanomeline Low Dose")]),
               c(8, 40, 44))
  pv <- ae_vars(related_values = c("PROBABLE", "POSSIBLE"), unrelated_values = c("NONE", "REMOTE"))
  o <- ae_overview(adae, adsl, vars = pv)
  n <- o$ard[o$ard$category == "TEAE leading to discontinuation" & o$ard$stat_name == "n", ]
  expect_equal(n$stat[match(names(ref), n$arm)], as.vector(ref))
  expect_match(o$meta$footnote, "DCDECOD")
  # Events cannot be attributed from ADSL: no event count on that line.
  expect_false(any(o$ard$category == "TEAE leading to discontinuation" &
                     o$ard$stat_name == "events"))
  # Without any discontinuation reason the footnote says so (no line of zeros).
  o2 <- ae_overview(adae, adsl[, setdiff(names(adsl), c("DCDECOD", "DCREASCD"))], vars = pv)
  expect_false("TEAE leading to discontinuation" %in% o2$ard$category)
  expect_match(o2$meta$footnote, "could not be derived")
  # No glycotrial AESI line unless asked for.
  expect_false("AE of special interest" %in% o$ard$category)
})
