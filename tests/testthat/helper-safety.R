# Small constructed trial used by the safety tests; every expected count in
# the tests is derived by hand from these rows.
#   Arm A: S1 (3 TEAEs: Nausea g1 d5, Nausea g3 d20, Headache g2 d10), S2 (Nausea g2 d3), S3 (none)
#   Arm B: S4 (Headache g1 d-3 pre-treatment [TRTEMFL N]; Headache g2 d15),
#          S5 (Rash g2 d200 after the window [TRTEMFL N]; Nausea g1 onset missing, flag missing)
#   S6 in arm B is not in the safety population (SAFFL N); arm C has no subjects.
safety_toy <- function() {
  adsl <- data.frame(
    USUBJID = paste0("S", 1:6),
    ARM = factor(c("A", "A", "A", "B", "B", "B"), levels = c("A", "B", "C")),
    SAFFL = c("Y", "Y", "Y", "Y", "Y", "N"),
    TRTSDT = as.Date("2024-01-01"), TRTEDT = as.Date("2024-03-30"),  # 90 days
    stringsAsFactors = FALSE)
  adae <- data.frame(
    USUBJID = c("S1", "S1", "S1", "S2", "S4", "S4", "S5", "S5", "S6"),
    AEBODSYS = c("GI", "GI", "Nervous", "GI", "Nervous", "Nervous", "Skin", "GI", "GI"),
    AEDECOD = c("Nausea", "Nausea", "Headache", "Nausea", "Headache", "Headache", "Rash",
                "Nausea", "Nausea"),
    AETOXGR = c("1", "3", "2", "2", "1", "2", "2", "1", "1"),
    AESEV = c("MILD", "SEVERE", "MODERATE", "MODERATE", "MILD", "MODERATE", "MODERATE",
              "MILD", "MILD"),
    AEREL = c("Y", "N", "N", "RELATED", "N", "NOT RELATED", "Y", "Y", "N"),
    AESER = c("N", "Y", "N", "N", "N", "N", "N", "N", "N"),
    TRTEMFL = c("Y", "Y", "Y", "Y", "N", "Y", "N", NA, "Y"),
    ASTDY = c(5, 20, 10, 3, -3, 15, 200, NA, 4),
    AEACN = c("DOSE NOT CHANGED", "DRUG WITHDRAWN", rep("DOSE NOT CHANGED", 7)),
    AEOUT = "RECOVERED/RESOLVED",
    stringsAsFactors = FALSE)
  list(adsl = adsl, adae = adae)
}

ard_stat <- function(res, ..., stat_name) {
  a <- res$ard
  f <- list(...)
  keep <- a$stat_name == stat_name
  for (nm in names(f)) keep <- keep & a[[nm]] %in% f[[nm]]
  a$stat[keep]
}
