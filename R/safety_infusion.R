#' Infusion reactions by infusion number
#'
#' Counts adverse events of the `infusion_reactions` AESI group (or the
#' given `terms`) whose onset falls within `window` days after an infusion
#' (default day 0 to day 2 after each infusion), attributed to the most recent
#' such infusion. Infusion days and numbers come from ADEX; the denominator
#' for infusion k is the number of subjects of the arm who received infusion
#' k. The first line counts subjects with a reaction after any infusion.
#'
#' @inheritParams ae_overview
#' @param adex ADEX: one row per infusion.
#' @param window Two numbers: first and last day after an infusion (0 = the
#'   infusion day).
#' @param terms Preferred terms defining a reaction (default: the registered
#'   `infusion_reactions` AESI group).
#' @param ex_day,ex_number ADEX columns with the study day and the number of
#'   each infusion.
#' @return A `glycotrial_safety` object of class `glycotrial_infusion_reactions`;
#'   ARD columns `infusion`, `pt`, `arm`, `stat_name`, `stat_label`, `stat`.
#' @examples
#' adsl <- data.frame(USUBJID = 1:4, ARM = c("A", "A", "B", "B"), SAFFL = "Y")
#' adex <- data.frame(USUBJID = rep(1:4, each = 2), ASTDY = rep(c(1, 29), 4),
#'                    EXINFNO = rep(1:2, 4))
#' adae <- data.frame(USUBJID = c(1, 3, 3), AEDECOD = c("Pyrexia", "Nausea", "Headache"),
#'                    AEBODSYS = "X", TRTEMFL = "Y", ASTDY = c(2, 30, 30))
#' infusion_reactions(adae, adsl, adex)
#' @export
infusion_reactions <- function(adae, adsl, adex, window = c(0, 2), terms = NULL,
                               vars = ae_vars(), teae = teae_window(), ex_day = "ASTDY",
                               ex_number = "EXINFNO", ref_arm = NULL, conf_level = 0.95,
                               rd_method = "newcombe", unmatched = c("drop", "error")) {
  call <- sys.call()
  check_number(window, len = 2)
  if (window[1] > window[2]) {
    glycotrial_abort("{.arg window} must be increasing, found {window[1]} > {window[2]}.")
  }
  check_string(ex_day)
  check_string(ex_number)
  if (is.null(terms)) terms <- aesi_terms("infusion_reactions")$terms
  if (!is.character(terms) || !length(terms)) {
    glycotrial_abort("{.arg terms} must be a non-empty character vector, not {describe_value(terms)}.")
  }
  check_data_frame(adex, c(vars$subject, ex_day, ex_number), arg = "adex")
  d <- prepare_ae(adae, adsl, vars, teae, unmatched, call = call, need = "onset_day")
  pop <- d$pop
  ae <- d$ae
  is_ir <- toupper(trimws(as.character(ae[[vars$pt]]))) %in% toupper(terms)
  ex <- prepare_adex(adex, pop, vars, ex_number, call, unmatched = check_unmatched(unmatched))
  if (!length(ex$rows)) {
    # No infusion records: no infusion-reaction rows (not a table of zeros
    # that suggests infusions took place).
    empty <- data.frame(infusion = character(), pt = character(), arm = character(),
                        stat_name = character(), stat_label = character(), stat = numeric(),
                        stringsAsFactors = FALSE)
    return(new_safety_result(
      empty, data.frame(term = character(), stringsAsFactors = FALSE),
      sprintf("Infusion reactions within days %g to %g after each infusion", window[1], window[2]),
      "glycotrial_infusion_reactions",
      meta = list(window = window, terms = terms, ref_arm = NA_character_,
                  footnote = "No infusion records in ADEX for the population: no infusion reactions to tabulate.")))
  }
  ex_dy <- read_study_day(adex[[ex_day]], ex_day, "adex", call)[ex$rows]
  inf_no <- cpp_safety_infusion_window(as.integer(d$subj[is_ir]),
                                       as.numeric(d$onset[is_ir]),
                                       as.integer(ex$subj), ex_dy, ex$number, nrow(pop),
                                       window[1], window[2])
  K <- ex$K
  arms <- levels(pop$arm)
  Nk <- ex$N
  hit <- inf_no > 0
  ir_subj <- d$subj[is_ir][hit]
  ir_inf <- inf_no[hit]
  ir_pt <- as.character(ae[[vars$pt]])[is_ir][hit]
  cc <- count_cells(pop, c(ir_subj, ir_subj), c(rep(1L, length(ir_subj)), ir_inf + 1L), K + 1L)
  comparisons <- rd_arms(arms, ref_arm, call)
  ref <- if (length(comparisons)) setdiff(arms, comparisons) else NA_character_
  labels <- c("Any infusion", if (K) paste("Infusion", seq_len(K)))
  wide <- list()
  long <- list()
  for (k in seq_len(K + 1)) {
    keys <- data.frame(infusion = labels[k], pt = NA_character_, stringsAsFactors = FALSE)
    b <- incidence_block(keys, cc$subjects[k, , drop = FALSE], cc$events[k, , drop = FALSE],
                         Nk[k, , drop = FALSE], arms, comparisons, ref, conf_level, rd_method)
    b$wide$term <- labels[k]
    wide[[length(wide) + 1]] <- b$wide
    long[[length(long) + 1]] <- b$long
    sel <- if (k == 1) rep(TRUE, length(ir_inf)) else ir_inf == k - 1
    if (any(sel)) {
      lv <- sort(unique(ir_pt[sel]))
      cp <- count_cells(pop, ir_subj[sel], match(ir_pt[sel], lv), length(lv))
      ord <- order(-rowSums(cp$subjects), lv)
      pk <- data.frame(infusion = labels[k], pt = lv[ord], stringsAsFactors = FALSE)
      Nm <- matrix(Nk[k, ], length(lv), length(arms), byrow = TRUE)
      pb <- incidence_block(pk, cp$subjects[ord, , drop = FALSE], cp$events[ord, , drop = FALSE],
                            Nm, arms, comparisons, ref, conf_level, rd_method)
      pb$wide$term <- paste0("  ", lv[ord])
      wide[[length(wide) + 1]] <- pb$wide
      long[[length(long) + 1]] <- pb$long
    }
  }
  wide <- do.call(rbind, wide)
  wide <- wide[, c("term", setdiff(names(wide), c("infusion", "pt", "term")))]
  new_safety_result(
    do.call(rbind, long), wide,
    sprintf("Infusion reactions within days %g to %g after each infusion", window[1], window[2]),
    "glycotrial_infusion_reactions",
    meta = list(window = window, terms = terms, ref_arm = ref,
                footnote = "n/N (%): N = subjects of the arm who received that infusion; events are attributed to the most recent infusion whose window contains the onset day."))
}

# ADEX records of population subjects: population row, infusion number, and
# the denominators N[k + 1, arm] = subjects of the arm who received infusion k
# (row 1: any infusion).
prepare_adex <- function(adex, pop, vars, ex_number, call = sys.call(-1), unmatched = "drop") {
  ids <- attr(pop, "adsl_ids")
  ex_subj <- if (is.null(ids)) match(as.character(adex[[vars$subject]]), pop$id) else
    match_subjects(adex[[vars$subject]], ids, pop$id, unmatched = unmatched, data = "adex",
                   call = call)
  ex_num <- adex[[ex_number]]
  if (!is.numeric(ex_num) || any(is.na(ex_num)) || any(ex_num != round(ex_num)) ||
      any(ex_num < 1)) {
    glycotrial_abort("{.arg adex} column {.field {ex_number}} must hold positive whole infusion numbers.",
                     call = call)
  }
  rows <- which(!is.na(ex_subj))
  ex_subj <- ex_subj[rows]
  ex_num <- as.integer(ex_num[rows])
  K <- if (length(ex_num)) max(ex_num) else 0L
  arms <- levels(pop$arm)
  N <- matrix(0L, K + 1, length(arms))
  N[1, ] <- tabulate(as.integer(pop$arm[unique(ex_subj)]), length(arms))
  for (k in seq_len(K)) {
    N[k + 1, ] <- tabulate(as.integer(pop$arm[unique(ex_subj[ex_num == k])]), length(arms))
  }
  list(rows = rows, subj = ex_subj, number = ex_num, K = K, N = N)
}
