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
