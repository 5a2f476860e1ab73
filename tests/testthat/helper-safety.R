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

# Three subjects with ALT/AST/BILI (and creatinine) records over visits, shared by
# the lab and Hy's law tests (values chosen so every grade and quadrant occurs).
lab_toy <- function() {
  adsl <- data.frame(USUBJID = c("S1", "S2", "S3"), ARM = c("A", "A", "B"), SAFFL = "Y")
  mk <- function(id, p, base, vals, uln, lln = NA) {
    data.frame(USUBJID = id, PARAMCD = p, AVAL = c(base, vals), BASE = base,
               ANRHI = uln, ANRLO = lln, ADY = c(1, seq_along(vals) * 14 + 1),
               ABLFL = c("Y", rep("", length(vals))),
               AVISIT = c("Baseline", paste("Week", seq_along(vals) * 2)),
               AVISITN = c(0, seq_along(vals) * 2), stringsAsFactors = FALSE)
  }
  adlb <- rbind(
    mk("S1", "ALT", 30, c(130, 50), 40), mk("S1", "AST", 25, c(90, 30), 40),
    mk("S1", "BILI", 10, c(45, 12), 20), mk("S1", "ALP", 80, c(90, 100), 120),
    mk("S2", "ALT", 50, c(60, 70), 40), mk("S2", "AST", 30, c(35, 30), 40),
    mk("S2", "BILI", 8, c(9, 10), 20), mk("S2", "ALP", 70, c(75, 80), 120),
    mk("S3", "ALT", 20, c(25, 850), 40), mk("S3", "AST", 20, c(20, 20), 40),
    mk("S3", "BILI", 10, c(50, 10), 20), mk("S3", "ALP", 100, c(300, 90), 120),
    mk("S1", "EGFR", 80, c(70, 55), NA), mk("S2", "EGFR", 50, c(40, 30), NA),
    mk("S3", "EGFR", 95, c(90, 92), NA))
  list(adsl = adsl, adlb = adlb)
}
