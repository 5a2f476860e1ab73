#' Hy's law screening and eDISH data
#'
#' For each subject, the peak post-baseline ALT, AST, total bilirubin and ALP
#' as multiples of the upper limit of normal (each peak taken separately, as
#' in the eDISH plot of Watkins et al. 2011 / FDA 2009 DILI guidance); the
#' subject is a potential Hy's law case when peak ALT or AST >= 3 x ULN, peak
#' bilirubin > 2 x ULN and peak ALP < 2 x ULN (subjects without ALP values are
#' not excluded by the ALP criterion). The table gives n (%) per arm for the
#' standard liver thresholds and potential Hy's law, with risk differences.
#' `autoplot()` draws the eDISH quadrant plot.
#'
#' @inheritParams egfr_decline
#' @param paramcd Named character vector giving the `PARAMCD` of `ALT`,
#'   `AST`, `BILI` and `ALP`.
#' @param at_threshold,bili_threshold,alp_threshold Hy's law criteria (x ULN).
#' @return A `glycotrial_safety` object of class `glycotrial_hys_law`; the
#'   per-subject peak ratios and quadrants are in `$data$subjects`.
#' @examples
#' adsl <- data.frame(USUBJID = 1:2, ARM = c("A", "B"), SAFFL = "Y")
#' lb <- data.frame(USUBJID = rep(1:2, each = 4), PARAMCD = rep(c("ALT", "AST", "BILI", "ALP"), 2),
#'                  AVAL = c(150, 90, 3, 100, 30, 25, 0.5, 80), ANRHI = rep(c(40, 40, 1.2, 120), 2),
#'                  ADY = 15)
#' hys_law(lb, adsl)
#' @export
hys_law <- function(adlb, adsl, paramcd = c(ALT = "ALT", AST = "AST", BILI = "BILI", ALP = "ALP"),
                    at_threshold = 3, bili_threshold = 2, alp_threshold = 2,
                    vars = lab_vars(), ref_arm = NULL, conf_level = 0.95,
                    rd_method = "newcombe", unmatched = c("drop", "error")) {
  call <- sys.call()
  if (!is.character(paramcd) || !all(c("ALT", "AST", "BILI", "ALP") %in% names(paramcd))) {
    glycotrial_abort("{.arg paramcd} must be a character vector named {.val {c('ALT', 'AST', 'BILI', 'ALP')}}.")
  }
  check_number(at_threshold, lower = 0, open = TRUE)
  check_number(bili_threshold, lower = 0, open = TRUE)
  check_number(alp_threshold, lower = 0, open = TRUE)
  d <- prepare_lab(adlb, adsl, vars, need = c("aval", "uln"), call = call,
                   unmatched = unmatched)
  lb <- d$lb
  post <- is_postbaseline(lb, vars)
  nS <- nrow(d$pop)
  peak <- list()
  for (p in c("ALT", "AST", "BILI", "ALP")) {
    sel <- post & lb[[vars$param]] %in% paramcd[[p]]
    peak[[p]] <- subject_extreme(d$subj[sel], uln_multiple(lb, sel, vars, paramcd[[p]], call),
                                 nS, "max")
  }
  at <- pmax(peak$ALT, peak$AST, na.rm = TRUE)
  has <- !is.na(at) | !is.na(peak$BILI)
  phl <- !is.na(at) & at >= at_threshold & !is.na(peak$BILI) & peak$BILI > bili_threshold &
    (is.na(peak$ALP) | peak$ALP < alp_threshold)
  quadrant <- ifelse(is.na(at) | is.na(peak$BILI), NA_character_,
              ifelse(at >= at_threshold,
                     ifelse(peak$BILI > bili_threshold, "Potential Hy's law", "Temple's corollary"),
                     ifelse(peak$BILI > bili_threshold, "Hyperbilirubinaemia", "Normal range")))
  ge <- function(v, t) !is.na(v) & v >= t
  flags <- list(
    "ALT >= 3 x ULN" = ge(peak$ALT, 3), "ALT >= 5 x ULN" = ge(peak$ALT, 5),
    "ALT >= 10 x ULN" = ge(peak$ALT, 10), "ALT >= 20 x ULN" = ge(peak$ALT, 20),
    "AST >= 3 x ULN" = ge(peak$AST, 3), "AST >= 5 x ULN" = ge(peak$AST, 5),
    "AST >= 10 x ULN" = ge(peak$AST, 10), "AST >= 20 x ULN" = ge(peak$AST, 20),
    "ALT or AST >= 3 x ULN" = ge(at, 3),
    "Total bilirubin > 2 x ULN" = !is.na(peak$BILI) & peak$BILI > 2,
    "ALP > 1.5 x ULN" = !is.na(peak$ALP) & peak$ALP > 1.5,
    "Potential Hy's law" = phl)
  names(flags)[names(flags) == "Potential Hy's law"] <- sprintf(
    "Potential Hy's law (ALT/AST >= %g x ULN, TBL > %g x ULN, ALP < %g x ULN)",
    at_threshold, bili_threshold, alp_threshold)
  blk <- flag_incidence(flags, d$pop, has, ref_arm, conf_level, rd_method, call)
  subjects <- data.frame(USUBJID = d$pop$id, arm = d$pop$arm, alt_uln = peak$ALT,
                         ast_uln = peak$AST, at_uln = at, bili_uln = peak$BILI,
                         alp_uln = peak$ALP, potential_hys_law = phl, quadrant = quadrant,
                         stringsAsFactors = FALSE)
  new_safety_result(blk$long, blk$wide, "Liver function: peak post-baseline values and Hy's law",
                    "glycotrial_hys_law",
                    meta = list(at_threshold = at_threshold, bili_threshold = bili_threshold,
                                alp_threshold = alp_threshold, arms = levels(d$pop$arm),
                                footnote = "Peak values are the maximum post-baseline value of each test, not necessarily concurrent. N = subjects with a post-baseline liver test."),
                    data = list(subjects = subjects[has, , drop = FALSE]))
}
