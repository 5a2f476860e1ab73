# The composite glycaemic endpoint of the report and of derive_responders():
# marker below a threshold and dose reduced by a fraction, with the PARAMCDs
# as parameters (defaults those of NCT02302599).

#' Composite glycaemic responder rule with mapped parameters
#'
#' Builds the rule "glycaemic marker below `threshold` **and** dose reduced
#' by at least `reduction` from baseline" for [derive_responders()], with the
#' `PARAMCD`s of the sponsor's data. With the defaults it is the primary
#' endpoint of NCT02302599: `composite(hba1c_below(7.0),
#' insulin_reduction(0.5))`.
#'
#' @param marker `PARAMCD` of the glycaemic marker.
#' @param threshold The marker must be below this value: in % when
#'   `marker_is_hba1c` (HbA1c in mmol/mol is converted), otherwise in the
#'   data's unit.
#' @param dose `PARAMCD` of the dose.
#' @param reduction Required relative reduction of the dose (0.5 = 50 %).
#' @param marker_is_hba1c Is the marker HbA1c (unit-checked, % or mmol/mol)?
#' @param dose_unit Unit the dose must be recorded in (`"U/day"`, checked),
#'   or `NULL` for any unit (the reduction is relative).
#' @return A composite responder rule (see [responder_rules]).
#' @examples
#' glycaemic_composite()
#' glycaemic_composite("A1C", 7.5, "TDD", 0.3, dose_unit = NULL)
#' rsp <- derive_responders(adlb, adsl, rules = glycaemic_composite(), visit = 48)
#' table(rsp$ARM, rsp$RESPONDER)
#' @export
glycaemic_composite <- function(marker = "HBA1C", threshold = 7.0, dose = "INSDOSE",
                                reduction = 0.5, marker_is_hba1c = TRUE, dose_unit = "U/day") {
  check_string(marker)
  check_string(dose)
  check_number(threshold)
  check_number(reduction, lower = 0, upper = 1, open = TRUE)
  check_flag(marker_is_hba1c)
  if (!is.null(dose_unit)) check_string(dose_unit)
  m <- if (marker_is_hba1c) hba1c_below(threshold, paramcd = marker) else
    threshold_rule(marker, "<", threshold, name = "MARKER_RESP",
                   label = sprintf("%s < %s", marker, format(threshold)))
  d <- if (identical(dose_unit, "U/day")) insulin_reduction(reduction, paramcd = dose) else
    change_rule(dose, "<=", -reduction, type = "relative", unit = dose_unit, name = "DOSE_RESP",
                label = sprintf("%s reduced by >= %s %%", dose, format(100 * reduction)))
  composite(m, d)
}
