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


# Logical matrix events x groups: does each event belong to each AESI group?
aesi_membership <- function(ae, vars, keys) {
  pt <- as.character(ae[[vars$pt]])
  soc <- as.character(ae[[vars$soc]])
  upt <- unique(pt)
  usoc <- unique(soc)
  ipt <- match(pt, upt)
  isoc <- match(soc, usoc)
  upt_n <- toupper(trimws(upt))
  usoc_n <- toupper(trimws(usoc))
  out <- vapply(keys, function(k) {
    def <- aesi_terms(k)
    (upt_n %in% toupper(def$terms))[ipt] | (usoc_n %in% toupper(def$socs))[isoc]
  }, logical(nrow(ae)))
  matrix(out, nrow = nrow(ae), dimnames = list(NULL, keys))
}

# Number of groups each event belongs to.
aesi_match <- function(ae, vars, keys) {
  if (!length(keys) || !nrow(ae)) return(integer(nrow(ae)))
  rowSums(aesi_membership(ae, vars, keys))
}

# Days at risk per population subject: an ADSL column, or treatment duration
# plus the TEAE lag.
risk_window_days <- function(adsl, pop, vars, exposure, lag, call) {
  if (!is.null(exposure)) {
    check_data_frame(adsl, exposure, arg = "adsl", call = call)
    ids <- as.character(adsl[[vars$subject]])
    return(as.numeric(adsl[[exposure]])[match(pop$id, ids)])
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
#' ae_special_interest(adae, adsl)
#' @export
ae_special_interest <- function(adae, adsl, aesi = plugin_keys("aesi"), vars = ae_vars(),
                                teae = teae_window(), exposure = NULL, ref_arm = NULL,
                                conf_level = 0.95, rd_method = "newcombe", per = 100,
                                unmatched = c("error", "drop")) {
  call <- sys.call()
  check_number(conf_level, lower = 0, upper = 1, open = TRUE)
  check_number(per, lower = 0, open = TRUE)
  if (!is.character(aesi) || !length(aesi)) {
    glycotrial_abort("{.arg aesi} must name at least one registered AESI group, not {describe_value(aesi)}.")
  }
  for (k in aesi) aesi_terms(k)  # errors for unknown keys
  d <- prepare_ae(adae, adsl, vars, teae, unmatched, call = call)
  ae <- d$ae
  K <- length(aesi)
  mem <- aesi_membership(ae, vars, aesi)
  ev_group <- unlist(lapply(seq_len(K), function(k) rep(k, sum(mem[, k]))))
  ev_subj <- unlist(lapply(seq_len(K), function(k) d$subj[mem[, k]]))
  cc <- count_cells(d$pop, ev_subj, ev_group, K)
  arms <- cc$arms
  comparisons <- rd_arms(arms, ref_arm, call)
  ref <- if (length(comparisons)) setdiff(arms, comparisons) else NA_character_
  keys <- data.frame(group = aesi, pt = NA_character_, stringsAsFactors = FALSE)
  blk <- incidence_block(keys, cc$subjects, cc$events, cc$N, arms, comparisons, ref,
                         conf_level, rd_method)

  # Exposure-adjusted incidence: time to first event of the group.
  window <- risk_window_days(adsl, d$pop, vars, exposure, teae$lag, call)
  long <- list(blk$long)
  if (all(is.na(window))) {
    footnote_ex <- " EAIR not computed: no treatment dates or exposure column in ADSL."
  } else {
    footnote_ex <- ""
    onset <- if (vars$onset_day %in% names(ae)) suppressWarnings(as.numeric(ae[[vars$onset_day]]))
             else rep(NA_real_, nrow(ae))
    onset_g <- unlist(lapply(seq_len(K), function(k) onset[mem[, k]]))
    # Missing onset: event at the end of the window.
    onset_g[is.na(onset_g)] <- Inf
    first <- matrix(cpp_safety_group_subject_min(as.integer(ev_subj), as.integer(ev_group),
                                                 onset_g, nrow(d$pop), K),
                    nrow = nrow(d$pop))
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
    if (any(mem[, k])) {
      ptk <- as.character(ae[[vars$pt]])[mem[, k]]
      lv <- sort(unique(ptk))
      cp <- count_cells(d$pop, d$subj[mem[, k]], match(ptk, lv), length(lv))
      ord <- order(-rowSums(cp$subjects), lv)
      pk <- data.frame(group = aesi[k], pt = lv[ord], stringsAsFactors = FALSE)
      pb <- incidence_block(pk, cp$subjects[ord, , drop = FALSE], cp$events[ord, , drop = FALSE],
                            cp$N, arms, comparisons, ref, conf_level, rd_method)
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
