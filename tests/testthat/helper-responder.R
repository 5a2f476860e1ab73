# Small ADaM-like fixture with known responder status, written out by hand.
# Subjects (HbA1c %, insulin U/day at baseline -> Week 48):
#  S1 A: 8.0 -> 6.5, 40 -> 18   responder (HbA1c < 7, -55 %)
#  S2 A: 8.5 -> 6.9, 50 -> 26   non-responder (HbA1c met, insulin only -48 %)
#  S3 A: 9.0 -> 7.0, 60 -> 20   non-responder (7.0 is not < 7.0)
#  S4 P: 8.2 -> 6.0, 44 -> 22   responder (exactly -50 %)
#  S5 P: 8.8 -> missing, 52 -> 20   not derivable (no Week 48 HBA1C)
#  S6 P: 9.1 -> 8.0, missing baseline dose -> 30: non-responder (HbA1c fails)
#  S7 P: 7.9 -> 6.8, missing baseline dose, Week 48 dose 10: not derivable
fixture_adsl <- function() {
  data.frame(USUBJID = paste0("S", 1:7), ARM = c("A", "A", "A", "P", "P", "P", "P"),
             STRATA = c("x", "y", "x", "x", "y", "y", "x"), stringsAsFactors = FALSE)
}
fixture_adlb <- function() {
  rec <- function(id, p, u, v, vn, aval, base, abl) {
    data.frame(USUBJID = id, PARAMCD = p, AVALU = u, AVISIT = v, AVISITN = vn, AVAL = aval,
               BASE = base, ABLFL = abl, stringsAsFactors = FALSE)
  }
  h <- function(id, b, w48) {
    r <- rec(id, "HBA1C", "%", c("Baseline", "Week 24", "Week 48"), c(0, 24, 48),
             c(b, (b + w48) / 2, w48), b, c("Y", "", ""))
    r[!is.na(r$AVAL), ]
  }
  ins <- function(id, b, w48) {
    r <- rec(id, "INSDOSE", "U/day", c("Baseline", "Week 24", "Week 48"), c(0, 24, 48),
             c(b, 35, w48), b, c("Y", "", ""))
    r[!is.na(r$AVAL), ]
  }
  rbind(h("S1", 8.0, 6.5), h("S2", 8.5, 6.9), h("S3", 9.0, 7.0), h("S4", 8.2, 6.0),
        h("S5", 8.8, NA), h("S6", 9.1, 8.0), h("S7", 7.9, 6.8),
        ins("S1", 40, 18), ins("S2", 50, 26), ins("S3", 60, 20), ins("S4", 44, 22),
        ins("S5", 52, 20), ins("S6", NA, 30), ins("S7", NA, 10))
}
