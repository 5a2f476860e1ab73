# Laboratory safety summaries on graded data (see grade_lab()): worst
# post-baseline grade, shift tables, eGFR decline and values over time.

#' Column names of lab data for the laboratory safety summaries
#'
#' @param subject,arm Subject and arm columns (`arm` is read from ADSL).
#' @param pop_flag ADSL population flag (`NULL` for all subjects).
#' @param param,aval,base,chg,uln,lln Parameter code, value, baseline, change
#'   and reference-range columns of the lab data.
#' @param baseline_flag Baseline record flag (`"Y"`).
#' @param day Analysis study day; records with `day > post_day` (and not
#'   flagged as baseline) are post-baseline.
#' @param visit,visitn Visit label and number.
#' @param post_day Last study day that still counts as baseline.
#' @return A named list of class `glycotrial_lab_vars`.
#' @examples
#' lab_vars(arm = "TRT01A")
#' @export
lab_vars <- function(subject = "USUBJID", arm = "ARM", pop_flag = "SAFFL", param = "PARAMCD",
                     aval = "AVAL", base = "BASE", chg = "CHG", uln = "ANRHI", lln = "ANRLO",
                     baseline_flag = "ABLFL", day = "ADY", visit = "AVISIT",
                     visitn = "AVISITN", post_day = 1) {
  cols <- list(subject = subject, arm = arm, param = param, aval = aval, base = base,
               chg = chg, uln = uln, lln = lln, baseline_flag = baseline_flag, day = day,
               visit = visit, visitn = visitn)
  for (nm in names(cols)) check_string(cols[[nm]], arg = nm)
  if (!is.null(pop_flag)) check_string(pop_flag)
  check_number(post_day)
  structure(c(cols, list(pop_flag = pop_flag, post_day = post_day)),
            class = "glycotrial_lab_vars")
}

# Lab records of population subjects with subject index and arm. Only the
# columns named in `lvars` (and `extra`) are copied.
prepare_lab <- function(adlb, adsl, lvars, need = character(), call = sys.call(-1),
                        extra = character(), unmatched = "drop") {
  if (!inherits(lvars, "glycotrial_lab_vars")) {
    glycotrial_abort("{.arg vars} must come from {.fn lab_vars}, not {describe_value(lvars)}.",
                     call = call)
  }
  unmatched <- check_unmatched(unmatched, call = call)
  av <- ae_vars(subject = lvars$subject, arm = lvars$arm, pop_flag = lvars$pop_flag)
  pop <- safety_population(adsl, av, unmatched, call, dates = FALSE)
  check_data_frame(adlb, c(lvars$subject, lvars$param, unlist(lvars[need])), arg = "adlb",
                   call = call)
  # Records of subjects absent from ADSL are never dropped silently.
  subj <- match_subjects(adlb[[lvars$subject]], attr(pop, "adsl_ids"), pop$id,
                         unmatched = unmatched, data = "adlb", call = call)
  rows <- which(!is.na(subj))
  check_atomic_columns(adlb, c(lvars$param, lvars$visit), "adlb", call)
  cols <- intersect(names(adlb),
                    c(unlist(lvars[vapply(lvars, is.character, logical(1))]), extra))
  list(pop = pop, lb = df_rows(adlb, cols, rows), subj = subj[rows])
}

# Per-subject maximum ("max") or minimum ("min") of value over records with
# population index subj (1..n); NA for subjects without a value. Computed by
# the core in one pass.
subject_extreme <- function(subj, value, n, fun = c("max", "min")) {
  fun <- match.arg(fun)
  sgn <- if (fun == "max") 1 else -1
  sgn * cpp_safety_group_max(as.integer(subj), sgn * as.numeric(value), as.integer(n))
}

# Value / ULN of records `sel`, with a classed error naming the test when a
# post-baseline record lacks a positive ULN.
uln_multiple <- function(lb, sel, vars, label, call = sys.call(-1)) {
  uln <- read_adam_numeric(lb[[vars$uln]][sel], vars$uln, "adlb", call)
  bad <- is.na(uln) | uln <= 0
  if (any(bad)) {
    glycotrial_abort(c("{sum(bad)} post-baseline {.val {label}} record{?s} lack{?s/} a positive upper limit of normal ({.field {vars$uln}}).",
                       "i" = "The criteria are multiples of ULN."),
                     class = c("input", "glycotrial_error_missing_range"), call = call)
  }
  read_adam_numeric(lb[[vars$aval]][sel], vars$aval, "adlb", call) / uln
}

# Subjects with each flag (list of logical vectors over population subjects),
# n/N (%) per arm with N = subjects with `denom`, and risk differences: the
# table block shared by the per-subject lab summaries.
flag_incidence <- function(flags, pop, denom, ref_arm, conf_level, rd_method,
                           call = sys.call(-1)) {
  arms <- levels(pop$arm)
  A <- length(arms)
  arm <- as.integer(pop$arm)
  n <- matrix(vapply(flags, function(f) tabulate(arm[f], A), numeric(A)),
              ncol = A, byrow = TRUE, dimnames = list(NULL, arms))
  N <- tabulate(arm[denom], A)
  comparisons <- rd_arms(arms, ref_arm, call)
  ref <- if (length(comparisons)) setdiff(arms, comparisons) else NA_character_
  keys <- data.frame(category = names(flags), stringsAsFactors = FALSE)
  incidence_block(keys, n, n, N, arms, comparisons, ref, conf_level, rd_method,
                  events = FALSE)
}

is_postbaseline <- function(lb, lvars) {
  post <- rep(TRUE, nrow(lb))
  if (lvars$baseline_flag %in% names(lb)) {
    bl <- read_adam_flag(lb[[lvars$baseline_flag]], lvars$baseline_flag, "adlb")
    post <- !(!is.na(bl) & bl)
  }
  if (lvars$day %in% names(lb)) {
    dy <- read_study_day(lb[[lvars$day]], lvars$day, "adlb")
    post <- post & !is.na(dy) & dy > lvars$post_day
  }
  post
}

grade_column <- function(direction) {
  switch(direction, high = c("ATOXGRH", "BTOXGRH", "ATOXDSCH"),
         low = c("ATOXGRL", "BTOXGRL", "ATOXDSCL"))
}

check_graded <- function(adlb, direction, call) {
  cols <- grade_column(direction)
  if (!all(cols[1:2] %in% names(adlb))) {
    glycotrial_abort(c("{.arg adlb} has no {.field {cols[1:2]}} columns.",
                       "i" = "Grade it first with {.fn grade_lab}."), call = call)
  }
  cols
}

# Subjects per (row, arm) and by worst grade (0..max_grade, missing), one
# pass in the core over records with population subject index `subj`, output
# row `row` (0: record not counted) and integer `grade`; the layout of
# count_cells() with the grade dimension as missing, 0, ..., max_grade.
worst_grade_cells <- function(pop, subj, row, n_rows, grade, max_grade) {
  arms <- levels(pop$arm)
  A <- length(arms)
  grade <- as.integer(grade)
  res <- cpp_safety_worst_cells(as.integer(pop$arm), A, as.integer(subj), as.integer(row),
                                grade, as.integer(n_rows), as.integer(max_grade))
  list(subjects = matrix(res$subjects, nrow = n_rows, ncol = A, byrow = TRUE,
                         dimnames = list(NULL, arms)),
       worst = aperm(array(res$by_worst_grade, dim = c(max_grade + 2L, A, n_rows)), c(3, 2, 1)),
       N = tabulate(as.integer(pop$arm), A), arms = arms)
}

# Shared start of the graded-lab summaries (lab_worst_grade(), lab_shift()):
# the direction, its grade columns (checked present), the population lab
# records and `keep`, the post-baseline records of parameters with a
# criterion in that direction.
graded_lab_records <- function(adlb, adsl, direction, vars, call, unmatched = "drop") {
  direction <- check_choice(direction[1], c("high", "low"), arg = "direction")
  check_data_frame(adlb, arg = "adlb", call = call)
  cols <- check_graded(adlb, direction, call)
  d <- prepare_lab(adlb, adsl, vars, call = call, extra = cols, unmatched = unmatched)
  # Grades are numbers 0-5 (text digits from a CSV are read as numbers).
  for (g in cols[1:2]) {
    gv <- read_adam_numeric(d$lb[[g]], g, "adlb", call)
    if (any(!is.na(gv) & (gv < 0 | gv > 5 | gv != round(gv)))) {
      glycotrial_abort("{.arg adlb} column {.field {g}} must hold grades 0 to 5; found {.val {unique(gv[!is.na(gv) & (gv < 0 | gv > 5 | gv != round(gv))])[1]}}.",
                       class = c("input", "glycotrial_error_column_type"), call = call)
    }
    d$lb[[g]] <- gv
  }
  d$keep <- which(is_postbaseline(d$lb, vars) & !is.na(d$lb[[cols[3]]]))
  d$direction <- direction
  d$cols <- cols
  d
}

#' Worst post-baseline toxicity grade by parameter and arm
#'
#' For each graded parameter: subjects by their worst post-baseline grade
#' (0 to 4, and missing), and the subjects with grade 3 or 4, n (%) per arm
#' among subjects with at least one post-baseline value.
#'
#' @param adlb Lab data graded by [grade_lab()].
#' @param adsl ADSL.
#' @param direction `"high"` (increased) or `"low"` (decreased) criteria.
#' @param vars Column names, see [lab_vars()].
#' @param unmatched `"drop"` (default): lab records of subjects absent from
#'   ADSL, and ADSL subjects with a missing arm, are left out with a classed
#'   message (`glycotrial_message_dropped_subjects`); `"error"`: they are a
#'   classed error (`glycotrial_error_unmatched_subjects`).
#' @return A `glycotrial_safety` object of class `glycotrial_lab_worst_grade`;
#'   ARD columns `param`, `term`, `grade`, `arm`, `stat_name`, `stat`.
#' @examples
#' adsl <- data.frame(USUBJID = 1:2, ARM = c("A", "B"), SAFFL = "Y")
#' lb <- data.frame(USUBJID = c(1, 1, 2, 2), PARAMCD = "ALT", AVAL = c(30, 130, 30, 45),
#'                  ANRLO = 0, ANRHI = 40, BASE = 30, ADY = c(1, 15, 1, 15),
#'                  ABLFL = c("Y", "", "Y", ""))
#' lab_worst_grade(grade_lab(lb), adsl)
#' @export
lab_worst_grade <- function(adlb, adsl, direction = c("high", "low"), vars = lab_vars(),
                            unmatched = c("drop", "error")) {
  d <- graded_lab_records(adlb, adsl, direction, vars, sys.call(), unmatched)
  direction <- d$direction
  cols <- d$cols
  lb <- d$lb
  keep <- d$keep
  # Parameter x graded term as integer codes (no pasting of millions of
  # strings), encoded on the whole columns so that nothing is copied; only
  # the post-baseline records (`keep`) get an output row.
  pe <- encode_values(lb[[vars$param]])
  te <- encode_values(lb[[cols[3]]])
  nT <- length(te$levels)
  pair <- (pe$code[keep] - 1L) * nT + te$code[keep]
  pair_u <- which(tabulate(pair, length(pe$levels) * nT) > 0)
  pu_param <- pe$levels[(pair_u - 1L) %/% nT + 1L]
  pu_term <- te$levels[(pair_u - 1L) %% nT + 1L]
  o <- order(pu_param, pu_term)
  pair_row <- integer(length(pe$levels) * nT)
  pair_row[pair_u[o]] <- seq_along(o)
  lv_param <- pu_param[o]
  lv_term <- pu_term[o]
  row <- integer(nrow(lb))
  row[keep] <- pair_row[pair]
  cc <- worst_grade_cells(d$pop, d$subj, row, length(o), lb[[cols[1]]], 5L)
  arms <- cc$arms
  wide <- list()
  long <- list()
  glabels <- c("Missing", paste("Grade", 0:5))
  for (i in seq_along(lv_param)) {
    p <- lv_param[i]
    term <- lv_term[i]
    w <- matrix(cc$worst[i, , ], nrow = length(arms))  # arms x 7
    Np <- cc$subjects[i, ]
    rows <- c(2:6, 1)  # grade 0..4, missing (grade 5 not lab-gradable)
    n <- rbind(t(w[, rows, drop = FALSE]), colSums(t(w[, 5:7, drop = FALSE])))
    keys <- data.frame(param = p, term = term, grade = c(glabels[rows], "Grade >= 3"),
                       stringsAsFactors = FALSE)
    Nm <- matrix(Np, nrow(n), length(arms), byrow = TRUE)
    b <- incidence_block(keys, n, n, Nm, arms, character(), NA, 0.95, "newcombe",
                         events = FALSE)
    b$wide$parameter <- c(sprintf("%s (%s)", p, term), rep("", nrow(n) - 1))
    wide[[i]] <- b$wide
    long[[i]] <- b$long
  }
  wide <- if (length(wide)) do.call(rbind, wide) else data.frame()
  if (nrow(wide)) wide <- wide[, c("parameter", "grade", arms)]
  new_safety_result(
    if (length(long)) do.call(rbind, long) else data.frame(),
    wide, sprintf("Worst post-baseline toxicity grade (%s criteria)",
                  if (direction == "high") "increased" else "decreased"),
    "glycotrial_lab_worst_grade",
    meta = list(direction = direction,
                footnote = "n/N (%): N = subjects with at least one post-baseline value."))
}

#' Shift table: baseline grade by worst post-baseline grade
#'
#' Subjects cross-classified by baseline toxicity grade (`BTOXGR*` from
#' [grade_lab()]) and worst post-baseline grade, per parameter and arm.
#'
#' @inheritParams lab_worst_grade
#' @return A `glycotrial_safety` object of class `glycotrial_lab_shift`; ARD
#'   columns `param`, `arm`, `baseline_grade`, `worst_grade`, `stat_name`
#'   (`n`), `stat`.
#' @examples
#' adsl <- data.frame(USUBJID = 1:2, ARM = c("A", "B"), SAFFL = "Y")
#' lb <- data.frame(USUBJID = c(1, 1, 2, 2), PARAMCD = "ALT", AVAL = c(30, 130, 50, 45),
#'                  ANRLO = 0, ANRHI = 40, BASE = c(30, 30, 50, 50), ADY = c(1, 15, 1, 15),
#'                  ABLFL = c("Y", "", "Y", ""))
#' lab_shift(grade_lab(lb), adsl)
#' @export
lab_shift <- function(adlb, adsl, direction = c("high", "low"), vars = lab_vars(),
                      unmatched = c("drop", "error")) {
  d <- graded_lab_records(adlb, adsl, direction, vars, sys.call(), unmatched)
  keep <- d$keep
  # Subject x parameter cells as integer codes: worst grade (max, missing
  # grades as -1) by the core, baseline grade = first non-missing BTOXGR* of
  # the cell in record order; then one tabulate() over
  # parameter x arm x baseline x worst. No strings are pasted or split.
  nS <- nrow(d$pop)
  pe <- encode_values(d$lb[[vars$param]][keep])
  plev <- sort(pe$levels)  # the order table() gives character values
  prank <- match(pe$levels, plev)[pe$code]
  nP <- length(plev)
  cell <- (prank - 1L) * nS + d$subj[keep]
  g <- d$lb[[d$cols[1]]][keep]
  g[is.na(g)] <- -1L
  worst <- cpp_safety_group_max(as.integer(cell), as.numeric(g), nP * nS)
  b <- d$lb[[d$cols[2]]][keep]
  nb <- which(!is.na(b))
  nb <- nb[!duplicated(cell[nb])]
  bgr <- rep(NA_real_, nP * nS)
  bgr[cell[nb]] <- b[nb]
  has <- which(!is.na(worst))
  lvl <- c("0", "1", "2", "3", "4", "Missing")
  code <- function(v) ifelse(is.na(v) | v < 0, 6L, as.integer(pmin(v, 4)) + 1L)
  arms <- levels(d$pop$arm)
  A <- length(arms)
  h_param <- (has - 1L) %/% nS + 1L
  h_arm <- as.integer(d$pop$arm)[(has - 1L) %% nS + 1L]
  # Cells in the order of as.data.frame(table(param, arm, baseline, worst)):
  # parameter varies fastest, then arm, baseline grade, worst grade.
  idx <- h_param + nP * (h_arm - 1L) + nP * A * (code(bgr[has]) - 1L) +
    nP * A * 6L * (code(worst[has]) - 1L)
  n_cells <- nP * A * 36L
  tab <- data.frame(param = rep(plev, length.out = n_cells),
                    arm = rep(rep(arms, each = nP), length.out = n_cells),
                    baseline_grade = rep(rep(lvl, each = nP * A), length.out = n_cells),
                    worst_grade = rep(lvl, each = nP * A * 6L),
                    n = tabulate(idx, n_cells), stringsAsFactors = FALSE)
  tab <- tab[order(tab$param, match(tab$arm, arms), tab$baseline_grade,
                   tab$worst_grade), ]
  long <- ard_long(tab, c("param", "arm", "baseline_grade", "worst_grade"), "n",
                   "Subjects")
  wide <- stats::reshape(tab, idvar = c("param", "arm", "baseline_grade"),
                         timevar = "worst_grade", direction = "wide")
  names(wide) <- sub("^n\\.", "Worst ", names(wide))
  wide <- wide[rowSums(wide[, grep("^Worst", names(wide)), drop = FALSE]) > 0, , drop = FALSE]
  names(wide)[names(wide) == "baseline_grade"] <- "Baseline"
  new_safety_result(long, wide,
                    sprintf("Shift from baseline grade to worst post-baseline grade (%s criteria)",
                            if (d$direction == "high") "increased" else "decreased"),
                    "glycotrial_lab_shift", meta = list(direction = d$direction))
}

#' eGFR decline categories
#'
#' Per subject, the lowest post-baseline eGFR against baseline: subjects
#' with a decline of at least each of `thresholds` percent, and subjects whose
#' eGFR fell to a new CKD stage 3 or worse (< 60 with baseline >= 60) or stage
#' 4 or worse (< 30 with baseline >= 30), n (%) per arm with risk
#' differences. The denominator is subjects with a baseline and at least one
#' post-baseline value.
#'
#' @inheritParams lab_worst_grade
#' @param adlb Lab data.
#' @param paramcd `PARAMCD` of eGFR.
#' @param thresholds Percent declines to report.
#' @param ref_arm,conf_level,rd_method Risk-difference settings, as in
#'   [ae_overview()].
#' @return A `glycotrial_safety` object of class `glycotrial_egfr_decline`;
#'   per-subject values in `$data$subjects`.
#' @examples
#' adsl <- data.frame(USUBJID = 1:2, ARM = c("A", "B"), SAFFL = "Y")
#' lb <- data.frame(USUBJID = c(1, 1, 2, 2), PARAMCD = "EGFR", AVAL = c(80, 50, 70, 65),
#'                  BASE = c(80, 80, 70, 70), ADY = c(1, 30, 1, 30), ABLFL = c("Y", "", "Y", ""))
#' egfr_decline(lb, adsl)
#' @export
egfr_decline <- function(adlb, adsl, paramcd = "EGFR", thresholds = c(30, 40, 50),
                         vars = lab_vars(), ref_arm = NULL, conf_level = 0.95,
                         rd_method = "newcombe", unmatched = c("drop", "error")) {
  call <- sys.call()
  check_string(paramcd)
  check_number(thresholds, lower = 0, upper = 100, len = NULL)
  d <- prepare_lab(adlb, adsl, vars, need = "aval", call = call, unmatched = unmatched)
  lb <- d$lb
  sel <- lb[[vars$param]] == paramcd
  if (!any(sel)) {
    glycotrial_abort("{.arg adlb} has no records with {.field {vars$param}} == {.val {paramcd}}.")
  }
  lb <- lb[sel, , drop = FALSE]
  subj <- d$subj[sel]
  post <- is_postbaseline(lb, vars)
  val <- read_adam_numeric(lb[[vars$aval]], vars$aval, "adlb", call)
  base <- if (vars$base %in% names(lb)) read_adam_numeric(lb[[vars$base]], vars$base, "adlb", call) else
    rep(NA_real_, nrow(lb))
  if (vars$baseline_flag %in% names(lb)) {
    bl <- adam_flag_is_yes(lb[[vars$baseline_flag]], vars$baseline_flag, "adlb", call)
    bmap <- tapply(val[bl], subj[bl], function(v) v[1])
    fill <- is.na(base)
    base[fill] <- bmap[as.character(subj[fill])]
  }
  nS <- nrow(d$pop)
  nadir <- subject_extreme(subj[post], val[post], nS, "min")
  b <- subject_extreme(subj, base, nS, "min")  # one baseline per subject
  ok <- !is.na(nadir) & !is.na(b) & b > 0
  pchg <- 100 * (nadir - b) / b
  flags <- list()
  for (t in thresholds) flags[[sprintf("Decline >= %g%% from baseline", t)]] <- ok & pchg <= -t
  flags[["New eGFR < 60 (CKD stage 3+), baseline >= 60"]] <- ok & b >= 60 & nadir < 60
  flags[["New eGFR < 30 (CKD stage 4+), baseline >= 30"]] <- ok & b >= 30 & nadir < 30
  blk <- flag_incidence(flags, d$pop, ok, ref_arm, conf_level, rd_method, call)
  subjects <- data.frame(USUBJID = d$pop$id, arm = d$pop$arm, baseline = b, nadir = nadir,
                         pchg = pchg)
  new_safety_result(blk$long, blk$wide, "eGFR decline from baseline (lowest post-baseline value)",
                    "glycotrial_egfr_decline",
                    meta = list(paramcd = paramcd, thresholds = thresholds,
                                footnote = "N = subjects with baseline and post-baseline eGFR."),
                    data = list(subjects = subjects))
}

#' Laboratory values over time by arm
#'
#' Mean, standard error and number of subjects of a parameter (value or
#' change from baseline) at each visit, per arm; `autoplot()` draws mean ± SE
#' lines.
#'
#' @inheritParams lab_worst_grade
#' @param adlb Lab data.
#' @param paramcd One or more `PARAMCD` values.
#' @param value `"aval"` (value) or `"chg"` (change from baseline).
#' @return A `glycotrial_safety` object of class `glycotrial_lab_trajectory`.
#' @examples
#' adsl <- data.frame(USUBJID = 1:4, ARM = c("A", "A", "B", "B"), SAFFL = "Y")
#' lb <- data.frame(USUBJID = rep(1:4, each = 2), PARAMCD = "ALT",
#'                  AVAL = c(30, 35, 28, 31, 33, 50, 25, 45),
#'                  AVISIT = rep(c("Baseline", "Week 4"), 4), AVISITN = rep(c(0, 4), 4))
#' lab_trajectory(lb, adsl, "ALT")
#' @export
lab_trajectory <- function(adlb, adsl, paramcd, value = c("aval", "chg"), vars = lab_vars(),
                           unmatched = c("drop", "error")) {
  call <- sys.call()
  value <- check_choice(value[1], c("aval", "chg"), arg = "value")
  if (missing(paramcd)) {
    glycotrial_abort("{.arg paramcd} is missing: give the parameter codes to summarise (e.g. {.val ALT}).")
  }
  if (!is.character(paramcd) || !length(paramcd) || anyNA(paramcd)) {
    glycotrial_abort("{.arg paramcd} must be a character vector, not {describe_value(paramcd)}.")
  }
  d <- prepare_lab(adlb, adsl, vars, need = c(value, "visit"), call = call,
                   unmatched = unmatched)
  lb <- d$lb
  absent <- setdiff(paramcd, lb[[vars$param]])
  if (length(absent)) {
    glycotrial_abort("{.arg paramcd}: {.arg adlb} has no records with {.field {vars$param}} {.val {absent}}.")
  }
  sel <- lb[[vars$param]] %in% paramcd
  lb <- lb[sel, , drop = FALSE]
  arm <- d$pop$arm[d$subj[sel]]
  y <- read_adam_numeric(lb[[vars[[value]]]], vars[[value]], "adlb", call)
  vis <- as.character(lb[[vars$visit]])
  vn <- if (vars$visitn %in% names(lb)) read_adam_numeric(lb[[vars$visitn]], vars$visitn, "adlb", call) else
    match(vis, unique(vis))
  key <- interaction(lb[[vars$param]], arm, vis, drop = TRUE, sep = "\r", lex.order = TRUE)
  agg <- function(f) tapply(y, key, f)
  ks <- levels(key)
  parts <- do.call(rbind, strsplit(ks, "\r", fixed = TRUE))
  ok <- function(v) v[!is.na(v)]
  out <- data.frame(param = parts[, 1], arm = factor(parts[, 2], levels = levels(d$pop$arm)),
                    visit = parts[, 3],
                    visitn = as.numeric(tapply(vn, key, function(v) v[1])[ks]),
                    n = as.numeric(agg(function(v) length(ok(v)))[ks]),
                    mean = as.numeric(agg(function(v) mean(ok(v)))[ks]),
                    sd = as.numeric(agg(function(v) stats::sd(ok(v)))[ks]),
                    stringsAsFactors = FALSE)
  out$se <- out$sd / sqrt(out$n)
  out <- out[order(out$param, out$arm, out$visitn), ]
  long <- ard_long(out, c("param", "arm", "visit", "visitn"), c("n", "mean", "sd", "se"),
                   c("Subjects", "Mean", "SD", "Standard error"))
  wide <- out
  wide$mean_se <- sprintf("%.2f (%.2f)", out$mean, out$se)
  wide <- wide[, c("param", "arm", "visit", "n", "mean_se")]
  new_safety_result(long, wide,
                    sprintf("%s over time by arm (mean (SE) of %s)",
                            paste(paramcd, collapse = ", "),
                            if (value == "aval") "value" else "change from baseline"),
                    "glycotrial_lab_trajectory", meta = list(value = value),
                    data = list(summary = out))
}
