# A small ADaM-style laboratory data set for the index tests: two subjects,
# two visits, fasting values and a 5-point OGTT (glucose, insulin, C-peptide).
indices_adlb <- function() {
  one <- function(id, visit, arm, fpg, fins, fcp, gl, ins, cp, unit_g = "mmol/L",
                  unit_i = "uU/mL") {
    tp <- c(0, 30, 60, 120, 180)
    data.frame(
      USUBJID = id, AVISIT = visit, ARM = arm,
      PARAMCD = c("FPG", "FINS", "FCPEP", rep("GLUC", 5), rep("INS", 5), rep("CPEP", 5)),
      ATPTN = c(NA, NA, NA, tp, tp, tp),
      AVAL = c(fpg, fins, fcp, gl, ins, cp),
      AVALU = c(unit_g, unit_i, "ng/mL", rep(unit_g, 5), rep(unit_i, 5), rep("ng/mL", 5)),
      stringsAsFactors = FALSE)
  }
  rbind(
    one("S1", "Baseline", "UC-MSC", 8.1, 10, 1.6, c(8.1, 12.0, 14.5, 13.0, 10.2),
        c(10, 18, 25, 22, 15), c(1.6, 2.4, 3.3, 3.6, 2.9)),
    one("S1", "Week 48", "UC-MSC", 7.2, 9, 1.8, c(7.2, 10.5, 12.9, 11.0, 8.5),
        c(9, 20, 30, 25, 14), c(1.8, 2.9, 3.9, 4.0, 3.0)),
    # Subject 2 reports glucose in mg/dL and insulin in pmol/L.
    one("S2", "Baseline", "Placebo", 9.0 * 18.016, 14 * 6, 1.2,
        c(9.0, 13.1, 16.0, 15.2, 12.0) * 18.016, c(14, 19, 24, 23, 17) * 6,
        c(1.2, 1.7, 2.2, 2.4, 2.0), unit_g = "mg/dL", unit_i = "pmol/L"),
    one("S2", "Week 48", "Placebo", 8.8, 13, 1.1, c(8.8, 12.9, 15.8, 15.0, 12.1),
        c(13, 18, 23, 22, 16), c(1.1, 1.6, 2.1, 2.3, 1.9))
  )
}

# The OGTT profile of the issue and of the tabletools documentation
# (JMLuther/tabletools, calculate_matsuda_index() example), shared by the OGTT
# and AUC worked examples.
#   t = 0, 30, 60, 90, 120 min
#   glucose = 93, 129, 178, 164, 97 mg/dL; insulin = 12.8, 30.7, 68.5, 74.1, 44.0 uU/mL
t5 <- c(0, 30, 60, 90, 120)
g5 <- c(93, 129, 178, 164, 97)
i5 <- c(12.8, 30.7, 68.5, 74.1, 44.0)
