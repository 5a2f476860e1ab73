# Adverse events of special interest (AESI): user-editable groups of MedDRA
# preferred terms and/or system organ classes, kept in the plugin registry
# under kind "aesi"; infusion-reaction windows and time to first event.

validate_aesi <- function(impl, meta) {
  if (!is.list(impl) || !all(c("terms", "socs") %in% names(impl))) {
    stop("an AESI definition must be a list with elements `terms` and `socs`")
  }
  if (!is.character(impl$terms) || !is.character(impl$socs)) {
    stop("`terms` and `socs` must be character vectors")
  }
  if (length(impl$terms) + length(impl$socs) == 0) {
    stop("an AESI group needs at least one preferred term or SOC")
  }
}

#' Adverse events of special interest
#'
#' An AESI group is a set of MedDRA preferred terms and/or system organ
#' classes (matched case-insensitively against `AEDECOD` / `AEBODSYS`), kept
#' in the plugin registry (kind `"aesi"`). glycotrial registers six groups for
#' this trial: `infusion_reactions`, `infections`, `neoplasms`, `hepatic`,
#' `renal` and `hypoglycaemia`. Edit one with `register_aesi(...,
#' overwrite = TRUE)`, remove one with `unregister_plugin("aesi", key)`.
#'
#' @param key Name of the group (letters, digits, `_`, `.`).
#' @param terms Preferred terms in the group.
#' @param socs System organ classes whose every term belongs to the group.
#' @param description One line describing the group.
#' @param reference Source of the definition (e.g. an FMQ or SMQ name).
#' @param overwrite Replace an existing group of the same key?
#' @return `register_aesi()`: the registry entry, invisibly. `aesi_terms()`:
#'   a list with `terms` and `socs`.
#' @examples
#' aesi_terms("infusion_reactions")
#' register_aesi("injection_site", terms = c("Injection site pain", "Injection site erythema"),
#'               description = "Local injection-site reactions")
#' unregister_plugin("aesi", "injection_site")
#' @export
register_aesi <- function(key, terms = character(), socs = character(), description = "",
                          reference = NA_character_, overwrite = FALSE) {
  register_plugin("aesi", key, list(terms = terms, socs = socs), description = description,
                  reference = reference, overwrite = overwrite)
}

#' @rdname register_aesi
#' @export
aesi_terms <- function(key) {
  get_plugin("aesi", key)$impl
}


# AESI membership on the distinct (PT, SOC) combinations of the events:
# `code` gives each event's combination (1..C), `mem` is the C x groups
# logical matrix (PT or SOC in the group's list, case-insensitive, trimmed)
# and `pt` the PT of each combination. Strings are coded once in C++ and
# compared on the few distinct values only (millions of events).
aesi_combos <- function(ae, vars, keys) {
  pe <- encode_values(ae[[vars$pt]])
  se <- encode_values(ae[[vars$soc]])
  nSoc <- length(se$levels)
  pair <- (pe$code - 1L) * nSoc + se$code
  used <- which(tabulate(pair, length(pe$levels) * nSoc) > 0)
  map <- integer(length(pe$levels) * nSoc)
  map[used] <- seq_along(used)
  c_pt <- pe$levels[(used - 1L) %/% nSoc + 1L]
  c_soc <- se$levels[(used - 1L) %% nSoc + 1L]
  pt_n <- toupper(trimws(c_pt))
  soc_n <- toupper(trimws(c_soc))
  mem <- vapply(keys, function(k) {
    def <- aesi_terms(k)
    pt_n %in% toupper(def$terms) | soc_n %in% toupper(def$socs)
  }, logical(length(used)))
  list(code = map[pair], pt = c_pt,
       mem = matrix(mem, nrow = length(used), ncol = length(keys), dimnames = list(NULL, keys)))
}

# Logical matrix events x groups: does each event belong to each AESI group?
aesi_membership <- function(ae, vars, keys) {
  cb <- aesi_combos(ae, vars, keys)
  cb$mem[cb$code, , drop = FALSE]
}

# Number of groups each event belongs to.
aesi_match <- function(ae, vars, keys) {
  if (!length(keys) || !nrow(ae)) return(integer(nrow(ae)))
  cb <- aesi_combos(ae, vars, keys)
  as.integer(rowSums(cb$mem))[cb$code]
}

# Compressed term -> rows map (0-based) for the core, from a list of 1-based
# row vectors per term.
rows_map <- function(term_rows) {
  list(start = c(0L, cumsum(lengths(term_rows))),
       index = as.integer(unlist(term_rows)) - 1L)
}

# Days at risk per population subject: an ADSL column, or treatment duration
# plus the TEAE lag.
risk_window_days <- function(adsl, pop, vars, exposure, lag, call) {
  if (!is.null(exposure)) {
    check_data_frame(adsl, exposure, arg = "adsl", call = call)
    ids <- as.character(adsl[[vars$subject]])
    ex <- adsl[[exposure]]
    if (!is.numeric(ex)) {
      glycotrial_abort("{.arg adsl} column {.field {exposure}} must hold days at risk (numbers), not {describe_value(ex)}.",
                       call = call)
    }
    return(as.numeric(ex)[match(pop$id, ids)])
  }
  pop$trt_days + lag
}

#' Adverse events of special interest by arm, with exposure-adjusted rates
#'
#' For each registered AESI group (see [register_aesi()]): subjects with at
#' least one treatment-emergent event n (%), events, the risk difference
#' against the reference arm, and the exposure-adjusted incidence rate per 100
#' patient-years with its exact Poisson interval ([eair()]). Time at risk runs
#' from the first dose to the first event of the group (onset study day), or
#' to the end of the risk window (treatment duration from ADSL plus the TEAE
#' lag, or the `exposure` column) for subjects without an event; events with a
#' missing onset day use the full window. The preferred terms of each group
#' follow its line.
#'
#' @inheritParams ae_overview
#' @param aesi Keys of the registered AESI groups to tabulate (required: the
#'   built-in groups are specific to glycotrial's own trial; all of them with
#'   `aesi = glycotrial_plugins("aesi")$key`).
#' @param exposure Optional ADSL column with each subject's days at risk.
#' @param per Rate multiplier (100 = per 100 patient-years).
#' @return A `glycotrial_safety` object of class `glycotrial_ae_special_interest`.
#'   ARD statistics per group and arm: `n`, `N`, `pct`, `events`, `rd`,
#'   `rd_lower`, `rd_upper`, `patient_years`, `eair`, `eair_lower`, `eair_upper`.
#' @examples
#' adsl <- data.frame(USUBJID = 1:4, ARM = c("A", "A", "B", "B"), SAFFL = "Y",
#'                    TRTSDT = as.Date("2024-01-01"), TRTEDT = as.Date("2024-12-31"))
#' adae <- data.frame(USUBJID = c(1, 3), AEDECOD = c("Pyrexia", "Hypoglycaemia"),
#'                    AEBODSYS = c("General disorders and administration site conditions",
#'                                 "Metabolism and nutrition disorders"),
#'                    TRTEMFL = "Y", ASTDY = c(2, 100))
#' ae_special_interest(adae, adsl, aesi = c("infusion_reactions", "hypoglycaemia"))
#' @export
ae_special_interest <- function(adae, adsl, aesi = NULL, vars = ae_vars(),
                                teae = teae_window(), exposure = NULL, ref_arm = NULL,
                                conf_level = 0.95, rd_method = "newcombe", per = 100,
                                unmatched = c("drop", "error")) {
  call <- sys.call()
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  check_number(per, lower = 0, open = TRUE)
  if (is.null(aesi)) {
    glycotrial_abort(c("{.arg aesi} must name the AESI groups of this trial.",
                       "i" = "The registered groups are {.val {plugin_keys('aesi')}}; use them all with {.code aesi = glycotrial_plugins(\"aesi\")$key}."))
  }
  if (!is.character(aesi) || !length(aesi) || anyNA(aesi)) {
    glycotrial_abort("{.arg aesi} must name at least one registered AESI group, not {describe_value(aesi)}.")
  }
  for (k in aesi) aesi_terms(k)  # errors for unknown keys
  d <- prepare_ae(adae, adsl, vars, teae, unmatched, call = call,
                  copy = c("pt", "soc", "onset_day"))
  ae <- d$ae
  K <- length(aesi)
  nS <- nrow(d$pop)
  # Events coded by their (PT, SOC) combination; each combination counts in
  # the rows of its groups (1..K) and of its (group, PT) lines (K + j), so one
  # core pass fills the whole table without copying events per group.
  cb <- aesi_combos(ae, vars, aesi)
  nC <- length(cb$pt)
  hit <- which(cb$mem, arr.ind = TRUE)  # (combination, group) pairs
  hit <- hit[order(hit[, 1], hit[, 2]), , drop = FALSE]
  h_pt <- cb$pt[hit[, 1]]
  has_pt <- !is.na(h_pt)
  pair_key <- paste(hit[, 2], h_pt, sep = "\r")
  pairs_u <- unique(pair_key[has_pt])
  pair_k <- as.integer(sub("\r.*$", "", pairs_u))
  pair_pt <- sub("^[0-9]+\r", "", pairs_u)
  h_row <- ifelse(has_pt, K + match(pair_key, pairs_u), NA_integer_)
  grp_rows <- split(hit[, 2], factor(hit[, 1], levels = seq_len(nC)))
  pt_rows <- split(h_row[has_pt], factor(hit[has_pt, 1], levels = seq_len(nC)))
  term_rows <- mapply(c, grp_rows, pt_rows, SIMPLIFY = FALSE, USE.NAMES = FALSE)
  cc <- count_cells(d$pop, d$subj, cb$code, nC, term_rows = term_rows,
                    n_rows = K + length(pairs_u))
  arms <- cc$arms
  comparisons <- rd_arms(arms, ref_arm, call)
  ref <- if (length(comparisons)) setdiff(arms, comparisons) else NA_character_
  keys <- data.frame(group = aesi, pt = NA_character_, stringsAsFactors = FALSE)
  blk <- incidence_block(keys, cc$subjects[seq_len(K), , drop = FALSE],
                         cc$events[seq_len(K), , drop = FALSE], cc$N, arms, comparisons, ref,
                         conf_level, rd_method)

  # Exposure-adjusted incidence: time to first event of the group.
  window <- risk_window_days(adsl, d$pop, vars, exposure, teae$lag, call)
  long <- list(blk$long)
  if (all(is.na(window))) {
    footnote_ex <- " EAIR not computed: no treatment dates or exposure column in ADSL."
  } else {
    footnote_ex <- ""
    onset <- if (!is.null(d$onset)) d$onset else rep(NA_real_, nrow(ae))
    # Missing onset: event at the end of the window.
    onset[is.na(onset)] <- Inf
    gm <- rows_map(grp_rows)
    first <- matrix(cpp_safety_row_subject_min(as.integer(d$subj), as.integer(cb$code), onset,
                                               nS, nC, gm$start, gm$index, K),
                    nrow = nS)
    eair_cols <- list()
    for (k in seq_len(K)) {
      has <- !is.na(first[, k])
      t_days <- ifelse(has, pmin(pmax(first[, k], 1), window), window)
      for (a in seq_along(arms)) {
        inarm <- d$pop$arm == arms[a] & !is.na(t_days)
        py <- sum(t_days[inarm]) / 365.25
        x <- sum(has & inarm)
        r <- if (py > 0) cpp_safety_eair(x, py, conf_level, per) else
          data.frame(rate = NA_real_, lower = NA_real_, upper = NA_real_)
        eair_cols[[length(eair_cols) + 1]] <- data.frame(
          group = aesi[k], pt = NA_character_, arm = arms[a], patient_years = py,
          eair = r$rate, eair_lower = r$lower, eair_upper = r$upper)
      }
    }
    ea <- do.call(rbind, eair_cols)
    long[[2]] <- ard_long(ea, c("group", "pt", "arm"),
                          c("patient_years", "eair", "eair_lower", "eair_upper"),
                          c("Patient-years at risk", sprintf("EAIR per %g PY", per),
                            "EAIR lower limit", "EAIR upper limit"))
    for (a in seq_along(arms)) {
      sel <- ea[ea$arm == arms[a], ]
      blk$wide[[sprintf("%s EAIR/%g PY (%g%% CI)", arms[a], per, 100 * conf_level)]] <-
        fmt_est_ci(sel$eair, sel$eair_lower, sel$eair_upper, digits = 2)
    }
  }
  # Preferred terms within each group.
  wide <- list()
  for (k in seq_len(K)) {
    wk <- blk$wide[k, , drop = FALSE]
    wk$term <- aesi[k]
    wide[[length(wide) + 1]] <- wk
    jk <- which(pair_k == k)
    if (length(jk)) {
      lv <- sort(pair_pt[jk])
      rk <- K + jk[match(lv, pair_pt[jk])]
      sub_k <- cc$subjects[rk, , drop = FALSE]
      ord <- order(-rowSums(sub_k), lv)
      pk <- data.frame(group = aesi[k], pt = lv[ord], stringsAsFactors = FALSE)
      pb <- incidence_block(pk, sub_k[ord, , drop = FALSE],
                            cc$events[rk[ord], , drop = FALSE], cc$N, arms, comparisons, ref,
                            conf_level, rd_method)
      pb$wide$term <- paste0("  ", lv[ord])
      for (nm in setdiff(names(wk), names(pb$wide))) pb$wide[[nm]] <- ""
      wide[[length(wide) + 1]] <- pb$wide[, names(wk)]
      long[[length(long) + 1]] <- pb$long
    }
  }
  wide <- do.call(rbind, wide)
  wide <- wide[, c("term", setdiff(names(wide), c("group", "pt", "term")))]
  new_safety_result(
    do.call(rbind, long), wide, "Treatment-emergent adverse events of special interest",
    "glycotrial_ae_special_interest",
    meta = list(aesi = aesi, ref_arm = ref, conf_level = conf_level, per = per,
                footnote = paste0("EAIR = subjects with event per ", per,
                                  " patient-years at risk to first event, exact Poisson CI.",
                                  footnote_ex)))
}
