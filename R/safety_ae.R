# Adverse-event overview and incidence by SOC / PT. Counting is done by the
# C++ core (src/core/safety/events.cpp): subjects and events per term and arm,
# each subject counted once per term at its worst grade.

# Counts per term x arm (and worst-grade distribution) from the core.
# term_rows: optional list of integer vectors, the output rows (1-based) each
# term counts in; the result then has n_rows rows.
count_cells <- function(pop, subj, term, n_terms, grade = NULL, n_grades = 0L,
                        term_rows = NULL, n_rows = n_terms) {
  arms <- levels(pop$arm)
  A <- length(arms)
  if (is.null(grade)) grade <- integer(length(subj))
  if (is.null(term_rows)) {
    start <- index <- integer()
  } else {
    start <- c(0L, cumsum(lengths(term_rows)))
    index <- as.integer(unlist(term_rows)) - 1L
  }
  res <- cpp_safety_count_terms(as.integer(pop$arm), A, as.integer(subj), as.integer(term),
                                as.integer(n_terms), as.integer(grade), as.integer(n_grades),
                                as.integer(start), index, as.integer(n_rows))
  shape <- function(v) matrix(v, nrow = n_rows, ncol = A, byrow = TRUE,
                              dimnames = list(NULL, arms))
  list(subjects = shape(res$subjects), events = shape(res$events),
       worst = aperm(array(res$by_worst_grade, dim = c(n_grades + 1L, A, n_rows)), c(3, 2, 1)),
       N = tabulate(as.integer(pop$arm), A), arms = arms)
}

# Wide display columns and long ARD rows for one block of table lines.
# keys: data frame of row identifiers; n, ev: matrices rows x arms.
incidence_block <- function(keys, n, ev, N, arms, comparisons, ref_arm, conf_level,
                            rd_method, events = TRUE) {
  wide <- keys
  long <- list()
  # N: subjects per arm (vector) or per line and arm (matrix).
  Nm <- if (is.matrix(N)) N else matrix(N, nrow(n), length(arms), byrow = TRUE)
  for (a in seq_along(arms)) {
    lab <- if (is.matrix(N)) arms[a] else sprintf("%s (N=%d)", arms[a], N[a])
    wide[[lab]] <- if (is.matrix(N)) {
      ifelse(Nm[, a] > 0, sprintf("%d/%d (%.1f)", as.integer(n[, a]), as.integer(Nm[, a]),
                                  100 * n[, a] / pmax(Nm[, a], 1)),
             sprintf("%d/%d", as.integer(n[, a]), as.integer(Nm[, a])))
    } else fmt_n_pct(n[, a], N[a])
    if (events) wide[[paste0(lab, " events")]] <- ev[, a]
    df <- keys
    df$arm <- arms[a]
    df$n <- n[, a]
    df$N <- Nm[, a]
    df$pct <- ifelse(Nm[, a] > 0, 100 * n[, a] / Nm[, a], NA_real_)
    if (events) df$events <- ev[, a]
    long[[length(long) + 1]] <- ard_long(df, c(names(keys), "arm"),
                                         c("n", "N", "pct", if (events) "events"),
                                         c("Subjects with event", "Subjects in arm",
                                           "Percent of subjects", if (events) "Number of events"))
  }
  ri <- match(ref_arm, arms)
  for (cmp in comparisons) {
    ci <- match(cmp, arms)
    rd <- safety_rd(n[, ci], Nm[, ci], n[, ri], Nm[, ri],
                    conf_level = conf_level, method = rd_method)
    wide[[sprintf("RD %s vs %s (%%, %g%% CI)", cmp, ref_arm, 100 * conf_level)]] <-
      fmt_est_ci(100 * rd$estimate, 100 * rd$lower, 100 * rd$upper)
    df <- keys
    df$arm <- paste(cmp, "vs", ref_arm)
    df$rd <- 100 * rd$estimate
    df$rd_lower <- 100 * rd$lower
    df$rd_upper <- 100 * rd$upper
    long[[length(long) + 1]] <- ard_long(df, c(names(keys), "arm"),
                                         c("rd", "rd_lower", "rd_upper"),
                                         c("Risk difference (%)", "RD lower limit (%)",
                                           "RD upper limit (%)"))
  }
  list(wide = wide, long = do.call(rbind, long))
}

#' Overview of treatment-emergent adverse events
#'
#' The FDA Standard Safety Tables overview: subjects with any TEAE, related,
#' serious, serious and related, severe, CTCAE grade 3 or higher, leading to
#' discontinuation, fatal, and (when `aesi` is given) of special interest — n (%) per arm, number of
#' events, and the risk difference of each arm against the reference arm with
#' its confidence interval ([diff_ci()], Newcombe hybrid score by default).
#' Lines whose ADAE column is absent are left out and named in a footnote.
#' "TEAE leading to discontinuation" reads ADAE's action taken (`AEACN`);
#' when that column is absent or blank in every record, it counts the
#' subjects with a TEAE whose ADSL discontinuation reason (`DCSREAS`,
#' `DCDECOD` or `DCREASCD`) is an adverse event (event counts are then not
#' available), and says so in the footnote; without either the line is left
#' out and the footnote says it could not be derived.
#'
#' @param adae,adsl ADAE and ADSL data frames.
#' @param vars Column names and codings, see [ae_vars()].
#' @param teae Treatment-emergence rule, see [teae_window()].
#' @param aesi Keys of registered AESI groups (see [register_aesi()]) that
#'   define the "AE of special interest" line; `NULL` (default) or
#'   `character()` omits it. The built-in groups are specific to glycotrial's
#'   own trial and are used only when named, e.g.
#'   `aesi = glycotrial_plugins("aesi")$key`.
#' @param ref_arm Reference arm for risk differences (default: the one arm whose
#'   name contains "placebo", otherwise the first arm).
#' @param conf_level Confidence level of the risk-difference intervals.
#' @param rd_method Interval method passed to [diff_ci()].
#' @param unmatched `"drop"` (default): ADAE records of subjects absent from
#'   ADSL, and ADSL subjects with a missing arm, are left out with a classed
#'   message (`glycotrial_message_dropped_subjects`); `"error"`: they are a
#'   classed error (`glycotrial_error_unmatched_subjects`).
#' @return A `glycotrial_safety` object of class `glycotrial_ae_overview`
#'   (see [safety_methods]); its ARD has columns `category`, `arm`,
#'   `stat_name` (`n`, `N`, `pct`, `events`, `rd`, `rd_lower`, `rd_upper`),
#'   `stat_label`, `stat`.
#' @examples
#' adsl <- data.frame(USUBJID = 1:6, ARM = rep(c("Placebo", "Active"), each = 3),
#'                    SAFFL = "Y")
#' adae <- data.frame(USUBJID = c(1, 4, 4, 5), AEDECOD = c("Nausea", "Pyrexia", "Rash", "Nausea"),
#'                    AEBODSYS = c("GI", "General", "Skin", "GI"), TRTEMFL = "Y",
#'                    AESER = c("N", "Y", "N", "N"), AESEV = c("MILD", "SEVERE", "MILD", "MILD"),
#'                    AEREL = c("N", "Y", "Y", "N"))
#' ae_overview(adae, adsl)
#' @export
ae_overview <- function(adae, adsl, vars = ae_vars(), teae = teae_window(),
                        aesi = NULL, ref_arm = NULL, conf_level = 0.95,
                        rd_method = "newcombe", unmatched = c("drop", "error")) {
  call <- sys.call()
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  if (is.null(aesi)) aesi <- character()
  if (!is.character(aesi) || anyNA(aesi)) {
    glycotrial_abort("{.arg aesi} must be a character vector of AESI keys, not {describe_value(aesi)}.")
  }
  d <- prepare_ae(adae, adsl, vars, teae, unmatched, call = call)
  ae <- d$ae
  has <- function(col) col %in% names(ae)
  cats <- list("Any TEAE" = rep(TRUE, nrow(ae)))
  omitted <- character()
  if (has(vars$related)) {
    rel <- related_codes(ae, vars, call) == 2L
    cats[["Related TEAE"]] <- rel
  } else omitted <- c(omitted, "related")
  # Flags from the distinct values of each column (millions of rows, few values).
  flag_in <- function(col, values) {
    distinct_codes(ae[[col]], function(u) toupper(as.character(u)) %in% toupper(values))
  }
  if (has(vars$serious)) {
    ser <- read_adam_flag(ae[[vars$serious]], vars$serious, "adae", call)
    ser <- !is.na(ser) & ser
    cats[["Serious TEAE"]] <- ser
    if (has(vars$related)) cats[["Serious related TEAE"]] <- ser & rel
  } else omitted <- c(omitted, "serious")
  if (has(vars$severity)) {
    cats[["Severe TEAE"]] <- code_values(ae[[vars$severity]], severity_levels,
                                         vars$severity, call) == 3L
  } else omitted <- c(omitted, "severe")
  gr <- NULL
  if (has(vars$grade)) {
    gr <- code_values(ae[[vars$grade]], as.character(1:5), vars$grade, call)
    cats[["TEAE of CTCAE grade >= 3"]] <- gr >= 3L
  } else omitted <- c(omitted, "grade >= 3")
  disc_note <- ""
  no_events <- character()
  action_blank <- !has(vars$action) || all(is.na(ae[[vars$action]]) |
                                            trimws(as.character(ae[[vars$action]])) == "")
  if (!action_blank || (has(vars$action) && !nrow(ae))) {
    cats[["TEAE leading to discontinuation"]] <- flag_in(vars$action, vars$discontinuation_values)
  } else {
    rcol <- intersect(vars$discontinuation_reason, names(adsl))
    rcol <- rcol[vapply(rcol, function(cl) any(!is.na(adsl[[cl]]) &
                                                 trimws(as.character(adsl[[cl]])) != ""),
                        logical(1))]
    if (length(rcol)) {
      # Subject-level: subjects whose ADSL reason for discontinuation is an
      # adverse event, counted when they have a TEAE; the events themselves
      # are not attributable.
      reason <- toupper(trimws(as.character(adsl[[rcol[1]]])))
      disc_ids <- as.character(adsl[[vars$subject]])[reason %in% toupper(vars$discontinuation_reason_values)]
      cats[["TEAE leading to discontinuation"]] <- d$pop$id[d$subj] %in% disc_ids
      no_events <- "TEAE leading to discontinuation"
      disc_note <- sprintf(" Discontinuation: %s is %s; subjects with a TEAE whose ADSL %s is %s (events not counted).",
                           vars$action, if (has(vars$action)) "blank" else "absent",
                           rcol[1], paste(vars$discontinuation_reason_values, collapse = "/"))
    } else {
      disc_note <- sprintf(" TEAE leading to discontinuation could not be derived: %s is %s and ADSL has no discontinuation reason (%s).",
                           vars$action, if (has(vars$action)) "blank" else "absent",
                           paste(vars$discontinuation_reason, collapse = ", "))
    }
  }
  if (has(vars$outcome) || !is.null(gr)) {
    fatal <- if (has(vars$outcome)) flag_in(vars$outcome, vars$fatal_values) else
      rep(FALSE, nrow(ae))
    if (!is.null(gr)) fatal <- fatal | gr == 5L
    cats[["TEAE leading to death"]] <- fatal
  } else omitted <- c(omitted, "death")
  if (length(aesi)) {
    cats[["AE of special interest"]] <- aesi_match(ae, vars, aesi) > 0
  }
  # Each event's set of categories as a bit pattern; the core counts every
  # pattern in all the category rows it contains, in one pass (no copies of
  # the events per category).
  K <- length(cats)
  pattern <- rep(1L, nrow(ae))
  for (k in seq_len(K)) pattern <- pattern + as.integer(cats[[k]]) * 2L^(k - 1L)
  term_rows <- lapply(seq_len(2L^K), function(p) which(bitwAnd(p - 1L, 2L^(seq_len(K) - 1L)) > 0))
  cc <- count_cells(d$pop, d$subj, as.integer(pattern), 2L^K, term_rows = term_rows, n_rows = K)
  arms <- cc$arms
  comparisons <- rd_arms(arms, ref_arm, call)
  ref <- if (length(comparisons)) setdiff(arms, comparisons) else NA_character_
  keys <- data.frame(category = names(cats), stringsAsFactors = FALSE)
  ev <- cc$events
  ev[keys$category %in% no_events, ] <- NA
  blk <- incidence_block(keys, cc$subjects, ev, cc$N, arms, comparisons, ref,
                         conf_level, rd_method)
  if (length(no_events)) {
    blk$long <- blk$long[!(blk$long$category %in% no_events & blk$long$stat_name == "events"), ,
                         drop = FALSE]
  }
  new_safety_result(
    blk$long, blk$wide, "Overview of treatment-emergent adverse events",
    "glycotrial_ae_overview",
    meta = list(ref_arm = ref, conf_level = conf_level, rd_method = rd_method,
                teae = d$teae_method,
                footnote = paste0("n (%) = subjects with at least one event; RD = risk difference (",
                                  rd_method, ").",
                                  if (length(omitted)) paste0(" Not available in ADAE: ",
                                                              paste(omitted, collapse = ", "), ".")
                                  else "", disc_note)))
}

#' Treatment-emergent adverse events by system organ class and preferred term
#'
#' Subjects (n, %) and events per arm for each SOC and PT, sorted by
#' frequency, with risk differences against the reference arm. A subject is
#' counted once per term; with `by` the subjects are split by their worst
#' severity, CTCAE grade or relatedness for that term (each subject counted
#' once, at the worst category).
#'
#' @inheritParams ae_overview
#' @param by `"none"`, `"severity"`, `"grade"` or `"relatedness"`.
#' @param min_pct Keep only preferred terms reported by at least `min_pct`
#'   percent of subjects in at least one arm (SOC lines stay when any of their
#'   terms stays).
#' @param sort `"frequency"` (descending total subject count, then
#'   alphabetical) or `"alphabetical"`.
#' @param sort_arm With `sort = "frequency"`, an arm whose subject count
#'   orders the SOCs and PTs (descending; ties by the total count, then
#'   alphabetical), e.g. the active arm; `NULL` for the total over arms.
#' @return A `glycotrial_safety` object of class `glycotrial_ae_by_term`; ARD
#'   columns `level` (`"any"`, `"soc"`, `"pt"`), `soc`, `pt`, `category`,
#'   `arm`, `stat_name`, `stat_label`, `stat`. `autoplot()` draws the AE dot
#'   plot with risk differences.
#' @examples
#' adsl <- data.frame(USUBJID = 1:6, ARM = rep(c("Placebo", "Active"), each = 3),
#'                    SAFFL = "Y")
#' adae <- data.frame(USUBJID = c(1, 4, 4, 5), AEDECOD = c("Nausea", "Pyrexia", "Nausea", "Nausea"),
#'                    AEBODSYS = c("GI", "General", "GI", "GI"), TRTEMFL = "Y",
#'                    AESEV = c("MILD", "SEVERE", "MODERATE", "MILD"))
#' ae_by_term(adae, adsl)
#' ae_by_term(adae, adsl, by = "severity")
#' @export
ae_by_term <- function(adae, adsl, by = c("none", "severity", "grade", "relatedness"),
                       min_pct = 0, vars = ae_vars(), teae = teae_window(), ref_arm = NULL,
                       conf_level = 0.95, rd_method = "newcombe",
                       sort = c("frequency", "alphabetical"), unmatched = c("drop", "error"),
                       sort_arm = NULL) {
  call <- sys.call()
  by <- check_choice(by[1], c("none", "severity", "grade", "relatedness"), arg = "by")
  if (!is.null(sort_arm)) check_string(sort_arm)
  sort <- check_choice(sort[1], c("frequency", "alphabetical"), arg = "sort")
  check_number(min_pct, lower = 0, upper = 100)
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  # Only the columns this summary reads are copied for the TEAE records.
  copy <- c("soc", "pt", switch(by, severity = "severity", grade = "grade",
                                relatedness = "related", character()))
  d <- prepare_ae(adae, adsl, vars, teae, unmatched, call = call, copy = copy)
  ae <- d$ae
  gc <- ae_grade_codes(ae, by, vars, call)
  G <- length(gc$labels) - 1L
  # Integer codes of SOC and PT (one pass each), then of the SOC x PT pairs
  # that occur, without pasting or sorting millions of strings.
  sc <- encode_values(ae[[vars$soc]], missing = "(SOC missing)")
  pc <- encode_values(ae[[vars$pt]], missing = "(PT missing)")
  nP <- length(pc$levels)
  n_pair <- as.numeric(length(sc$levels)) * nP
  dense <- n_pair <= 1e7  # pair codes index a table; otherwise hash them
  pair <- if (dense) (sc$code - 1L) * nP + pc$code else (sc$code - 1) * nP + pc$code
  pair_u <- if (dense) which(tabulate(pair, n_pair) > 0) else sort(unique(pair))
  pu_soc <- sc$levels[(pair_u - 1L) %/% nP + 1L]
  pu_pt <- pc$levels[(pair_u - 1L) %% nP + 1L]
  soc_lv <- sort(unique(pu_soc))
  pt_ord <- order(match(pu_soc, soc_lv), pu_pt)
  pt_soc <- pu_soc[pt_ord]
  pt_name <- pu_pt[pt_ord]
  if (dense) {
    pair_row <- integer(n_pair)
    pair_row[pair_u[pt_ord]] <- seq_along(pt_ord)
    pt_code <- pair_row[pair]
  } else {
    pt_code <- match(pair, pair_u[pt_ord])
  }
  n_soc <- length(soc_lv)
  n_pt <- length(pt_ord)
  # One core pass: each event counts in "any" (row 1), its SOC and its PT.
  term_rows <- lapply(seq_len(n_pt), function(k) {
    c(1L, 1L + match(pt_soc[k], soc_lv), 1L + n_soc + k)
  })
  cc <- count_cells(d$pop, d$subj, pt_code, n_pt, gc$code, G,
                    term_rows = term_rows, n_rows = 1L + n_soc + n_pt)
  arms <- cc$arms
  N <- cc$N
  rows <- data.frame(level = c("any", rep("soc", n_soc), rep("pt", n_pt)),
                     soc = c(NA, soc_lv, pt_soc), pt = c(NA, rep(NA, n_soc), pt_name),
                     stringsAsFactors = FALSE)
  pct <- sweep(cc$subjects, 2, ifelse(N > 0, N, NA), "/") * 100
  maxpct <- apply(pct, 1, function(r) if (all(is.na(r))) 0 else max(r, na.rm = TRUE))
  total <- rowSums(cc$subjects)
  keep_pt <- rows$level == "pt" & maxpct >= min_pct - 1e-12
  keep_soc <- rows$level == "soc" & rows$soc %in% rows$soc[keep_pt]
  idx_pt <- which(keep_pt)
  idx_soc <- which(keep_soc)
  key <- total
  if (!is.null(sort_arm)) {
    if (!sort_arm %in% cc$arms) {
      glycotrial_abort(c("{.arg sort_arm} {.val {sort_arm}} is not an arm of the data.",
                         "i" = "Arms: {.val {cc$arms}}."), call = call)
    }
    key <- cc$subjects[, match(sort_arm, cc$arms)]
  }
  if (sort == "frequency") {
    idx_soc <- idx_soc[order(-key[idx_soc], -total[idx_soc], rows$soc[idx_soc])]
  }
  ord <- 1L
  for (s in idx_soc) {
    p <- idx_pt[rows$soc[idx_pt] == rows$soc[s]]
    p <- if (sort == "frequency") p[order(-key[p], -total[p], rows$pt[p])] else p[order(rows$pt[p])]
    ord <- c(ord, s, p)
  }
  comparisons <- rd_arms(arms, ref_arm, call)
  ref <- if (length(comparisons)) setdiff(arms, comparisons) else NA_character_
  term_label <- ifelse(rows$level == "any", "Any TEAE",
                       ifelse(rows$level == "soc", rows$soc, paste0("  ", rows$pt)))
  if (by == "none") {
    keys <- rows[ord, , drop = FALSE]
    keys$category <- "Any"
    blk <- incidence_block(keys, cc$subjects[ord, , drop = FALSE],
                           cc$events[ord, , drop = FALSE], N, arms, comparisons, ref,
                           conf_level, rd_method)
    wide <- blk$wide
    wide$term <- term_label[ord]
    wide <- wide[, c("term", setdiff(names(wide), c("level", "soc", "pt", "category", "term")))]
    long <- blk$long
  } else {
    # One line per term and category: "Any" then worst category (high to low
    # for severity/grade; related / not related for relatedness).
    cat_order <- c(rev(seq_len(G)), 0L)
    nc <- length(cat_order) + 1L
    A <- length(arms)
    # All terms x categories in one block: "Any" then the worst categories.
    n <- array(0, dim = c(nc, length(ord), A))
    n[1, , ] <- cc$subjects[ord, , drop = FALSE]
    for (j in seq_along(cat_order)) {
      n[j + 1, , ] <- matrix(cc$worst[ord, , cat_order[j] + 1], nrow = length(ord))
    }
    n <- matrix(n, ncol = A, dimnames = list(NULL, arms))
    keys <- rows[rep(ord, each = nc), , drop = FALSE]
    keys$category <- rep(c("Any", gc$labels[cat_order + 1]), length(ord))
    blk <- incidence_block(keys, n, n, N, arms, comparisons, ref, conf_level, rd_method,
                           events = FALSE)
    long <- blk$long
    wide <- blk$wide
    wide$term <- ifelse(keys$category == "Any", term_label[rep(ord, each = nc)], "")
    wide <- wide[, c("term", "category",
                     setdiff(names(wide), c("level", "soc", "pt", "category", "term")))]
  }
  title <- switch(by,
    none = "Treatment-emergent adverse events by system organ class and preferred term",
    severity = "Treatment-emergent adverse events by SOC, PT and maximum severity",
    grade = "Treatment-emergent adverse events by SOC, PT and worst CTCAE grade",
    relatedness = "Treatment-emergent adverse events by SOC, PT and relatedness")
  new_safety_result(
    long, wide, title, "glycotrial_ae_by_term",
    meta = list(by = by, min_pct = min_pct, ref_arm = ref, conf_level = conf_level,
                rd_method = rd_method, arms = arms, N = N, teae = d$teae_method,
                subtitle = if (min_pct > 0) sprintf("Preferred terms reported by >= %g%% of subjects in any arm", min_pct),
                footnote = paste0("Subjects are counted once per SOC and PT",
                                  if (by != "none") " at their worst category" else "",
                                  "; RD = risk difference (", rd_method, ").")))
}
