# Generates the shipped example trial (data/adsl.rda, adlb.rda, adae.rda,
# adex.rda) with simulate_trial(). Run from the package root after installing:
#   Rscript data-raw/trial_data.R
#
# The seed was chosen by find_seed() below (run once, ~1 minute): the first
# seed >= 1 for which the simulated trial reproduces the published primary
# result of NCT02302599 (Zang et al., Stem Cell Res Ther 2022): 91 randomized
# (45 UC-MSC / 46 placebo), 89 with week-48 data (45 / 44), 9/45 vs 2/44
# week-48 composite responders (HbA1c < 7.0 % and insulin dose reduced by
# >= 50 %), arm means close to the published ones, and every adverse-event
# preferred term of the catalogue present at least once.
library(glycotrial)

args <- list(n = c(45, 46), arms = c("UC-MSC", "Placebo"),
             hba1c_change = c(-1.5, -0.7), insulin_change = c(-0.28, -0.16),
             dropout = c(0.02, 0.04), missingness = 0.04)

# Week-48 composite among subjects with week-48 data, by arm.
composite <- function(adlb, final = 48) {
  w <- adlb[adlb$AVISITN == final & is.na(adlb$ATPTN), ]
  a <- w[w$PARAMCD == "HBA1C", c("USUBJID", "ARM", "AVAL")]
  i <- w[w$PARAMCD == "INSDOSE", c("USUBJID", "PCHG")]
  m <- merge(a, i, by = "USUBJID")
  m$resp <- m$AVAL < 7.0 & m$PCHG <= -50
  list(n = tapply(m$resp, m$ARM, length), resp = tapply(m$resp, m$ARM, sum),
       hba1c = tapply(m$AVAL, m$ARM, mean), pchg = tapply(m$PCHG, m$ARM, mean))
}

acceptable <- function(tr) {
  cmp <- composite(tr$adlb)
  all(cmp$n[c("UC-MSC", "Placebo")] == c(45, 44)) &&
    all(cmp$resp[c("UC-MSC", "Placebo")] == c(9, 2)) &&
    abs(cmp$hba1c[["UC-MSC"]] - 7.5) < 0.2 && abs(cmp$hba1c[["Placebo"]] - 8.2) < 0.2 &&
    abs(cmp$pchg[["UC-MSC"]] + 28) < 3 && abs(cmp$pchg[["Placebo"]] + 16) < 3 &&
    all(glycotrial:::ae_catalog()$AEDECOD %in% tr$adae$AEDECOD)
}

find_seed <- function(from = 1, to = 20000) {
  for (seed in from:to) {
    tr <- do.call(simulate_trial, c(args, seed = seed))
    if (acceptable(tr)) return(seed)
  }
  stop("no acceptable seed")
}

seed <- 6249L  # found by find_seed(); see the header
trial <- do.call(simulate_trial, c(args, seed = seed))
stopifnot(acceptable(trial))
adsl <- trial$adsl
adlb <- trial$adlb
adae <- trial$adae
adex <- trial$adex
print(composite(adlb))
save(adsl, file = "data/adsl.rda", compress = "xz")
save(adlb, file = "data/adlb.rda", compress = "xz")
save(adae, file = "data/adae.rda", compress = "xz")
save(adex, file = "data/adex.rda", compress = "xz")
