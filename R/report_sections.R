# Report sections that follow the data: every section of the trial report
# declares what it needs (data sets, PARAMCDs, columns, a condition); the
# plan says which sections are included and, for the others, why they are
# left out. report_context() prepares everything the template uses (data with
# the arm order, the plan, AE/lab variables, visit handling, units), so the
# template calls only exported functions.

# name, group (for `sections =`), heading, data sets, PARAMCDs (role names
# "marker"/"dose" resolved from the parameters, or literal codes), columns.
report_registry <- function() {
  s <- function(group, heading, data, paramcd = character(), columns = list(), check = NULL) {
    list(group = group, heading = heading, data = data, paramcd = paramcd, columns = columns,
         check = check)
  }
  list(
    disposition = s("baseline", "Disposition", "adsl"),
    baseline = s("baseline", "Baseline characteristics", "adsl"),
    primary = s("efficacy", "Primary endpoint", "adlb", c("marker", "dose"),
                list(adlb = c("AVAL", "AVISITN")), check = function(ctx) {
                  if (!length(ctx$target) || is.na(ctx$target)) "the primary visit has no glycaemic-marker records"
                }),
    longitudinal_marker = s("efficacy", "Glycaemic marker over time", "adlb", "marker",
                            list(adlb = c("AVAL", "BASE", "CHG", "AVISIT", "AVISITN")),
                            check = function(ctx) report_need_visits(ctx, ctx$marker)),
    longitudinal_dose = s("efficacy", "Dose over time", "adlb", "dose",
                          list(adlb = c("AVAL", "BASE", "CHG", "AVISIT", "AVISITN")),
                          check = function(ctx) report_need_visits(ctx, ctx$dose)),
    covariance = s("efficacy", "Covariance structure selection", "adlb", "marker",
                   list(adlb = c("BASE", "CHG", "AVISIT", "AVISITN")), check = function(ctx) {
                     if (ctx$fast) "fast = TRUE skips model selection"
                     else report_need_visits(ctx, ctx$marker)
                   }),
    estimands = s("efficacy", "Estimands and sensitivity analyses", c("adsl", "adlb"), "marker",
                  list(adsl = "TRTSDT", adlb = c("BASE", "CHG", "AVISIT", "AVISITN", "ADY")),
                  check = function(ctx) {
                    why <- report_need_visits(ctx, ctx$marker)
                    if (length(why)) why else report_estimands_check(ctx)  # R/report_estimands.R
                  }),
    indices = s("efficacy", "Beta-cell function and insulin resistance", "adlb", c("FPG", "FCPEP"),
                list(adlb = c("AVAL", "AVISIT", "AVISITN"))),
    ae_overview = s("safety", "AE overview", "adae", columns = list(adae = c("AEBODSYS", "AEDECOD"))),
    ae_by_term = s("safety", "AEs by system organ class and preferred term", "adae",
                   columns = list(adae = c("AEBODSYS", "AEDECOD"))),
    infusion = s("safety", "Infusion reactions", c("adae", "adex"),
                 columns = list(adae = c("AEDECOD"), adex = c("ASTDY")), check = function(ctx) {
                   if (!ctx$infused) sprintf("the exposure records do not say the drug is infused (%s)",
                                             ctx$infusion_why)
                 }),
    aesi = s("safety", "AEs of special interest", "adae", columns = list(adae = c("AEDECOD")),
             check = function(ctx) {
               if (!length(ctx$aesi)) ctx$aesi_why
             }),
    lab_shift = s("safety", "Laboratory shifts", "adlb", columns = list(adlb = c("AVAL")),
                  check = function(ctx) {
                    if (!length(ctx$labs)) "ADLB has none of the graded laboratory parameters (ALT, AST, ALP, BILI, CREAT, EGFR)"
                  }),
    liver = s("safety", "Liver safety (eDISH)", "adlb", c("ALT", "AST", "BILI", "ALP"),
              check = function(ctx) {
                if (!ctx$lv$uln %in% names(ctx$adlb)) sprintf("ADLB has no upper limit of normal (column %s)", ctx$lv$uln)
              }),
    egfr = s("safety", "Kidney function (eGFR)", "adlb", "EGFR")
  )
}

report_need_visits <- function(ctx, cd) {
  d <- ctx$adlb_visits
  n <- length(unique(d$AVISITN[d$PARAMCD %in% cd & d$AVISITN > 0 & !is.na(d$CHG)]))
  if (n < 1) sprintf("%s has no post-baseline change from baseline by visit", cd)
}

#' Sections of the trial report and what each needs
#'
#' Lists the sections of the report rendered by [render_trial_report()],
#' with their group (for the `sections` parameter), heading and the inputs
#' each section needs. Given the data and the report parameters, also says
#' which sections will be included and why the others are left out.
#'
#' @param ctx Optional result of [report_context()]; when given, the
#'   columns `included` and `reason` are added.
#' @return A data frame with columns `section`, `group`, `heading`, `needs`
#'   (and `included`, `reason`).
#' @examples
#' report_sections()
#' @export
report_sections <- function(ctx = NULL) {
  if (!is.null(ctx) && (!is.environment(ctx) || is.null(ctx$plan))) {
    glycotrial_abort("{.arg ctx} must be a {.fn report_context} result, not {describe_value(ctx)}.")
  }
  reg <- report_registry()
  needs <- vapply(reg, function(s) {
    cols <- unlist(lapply(names(s$columns), function(d) paste0(d, "$", s$columns[[d]])))
    paste(c(toupper(s$data), if (length(s$paramcd)) paste("PARAMCD", paste(s$paramcd, collapse = ", ")),
            cols), collapse = "; ")
  }, "")
  out <- data.frame(section = names(reg), group = vapply(reg, `[[`, "", "group"),
                    heading = vapply(reg, `[[`, "", "heading"), needs = needs,
                    stringsAsFactors = FALSE, row.names = NULL)
  if (!is.null(ctx)) {
    out$included <- ctx$plan$included[match(out$section, ctx$plan$section)]
    out$reason <- ctx$plan$reason[match(out$section, ctx$plan$section)]
  }
  out
}

# Why a section cannot be computed ("" when it can).
report_section_reason <- function(s, ctx) {
  for (d in s$data) {
    if (is.null(ctx$data[[d]])) return(sprintf("%s was not supplied", toupper(d)))
    miss <- setdiff(s$columns[[d]], names(ctx$data[[d]]))
    if (length(miss)) {
      return(sprintf("%s has no column%s %s", toupper(d), if (length(miss) > 1) "s" else "",
                     paste(miss, collapse = ", ")))
    }
  }
  if (length(s$paramcd)) {
    codes <- vapply(s$paramcd, function(p) switch(p, marker = ctx$marker, dose = ctx$dose, p), "")
    present <- unique(as.character(ctx$adlb$PARAMCD))
    miss <- setdiff(codes, present)
    if (length(miss)) {
      role <- ifelse(s$paramcd[codes %in% miss] == "marker", " (glycaemic marker)",
                     ifelse(s$paramcd[codes %in% miss] == "dose", " (dose)", ""))
      return(sprintf("ADLB has no PARAMCD %s (present: %s)", paste0(miss, role, collapse = ", "),
                     report_some(present)))
    }
  }
  if (!is.null(s$check)) {
    why <- s$check(ctx)
    if (length(why) && nzchar(why)) return(why)
  }
  ""
}

report_some <- function(x, n = 40) {
  x <- sort(unique(x))
  if (length(x) > n) paste0(paste(x[seq_len(n)], collapse = ", "), ", ...") else paste(x, collapse = ", ")
}

# "A, B" -> c("A", "B"); "" -> NULL.
report_arms <- function(x) {
  if (is.null(x) || !nzchar(trimws(x))) return(NULL)
  trimws(strsplit(x, ",", fixed = TRUE)[[1]])
}

#' Prepare the data and the section plan of the trial report
#'
#' Used at the top of the report template (and by [render_trial_report()]):
#' reads the data named by the `data` parameter, applies the parameter
#' mapping (arm column, arm order and control arm, glycaemic marker and dose
#' `PARAMCD`s, primary visit, population flags, AE relatedness vocabulary,
#' AESI groups, infusion definition), takes units from `PARAM` text when
#' `AVALU` is missing, sets aside records without a scheduled visit for the
#' by-visit analyses, and decides which sections are included. A section left
#' out signals a message of class `glycotrial_message_section_skipped`.
#'
#' @param params Report parameters (the template's `params`; missing entries
#'   take their defaults, see [render_trial_report()]).
#' @param envir Environment where data frame names in `params$data` are
#'   looked up.
#' @param explicit Names of the parameters the user set (a `PARAMCD` set
#'   explicitly but absent from the data is an error; a default one absent
#'   leaves its sections out).
#' @return An environment with the prepared data (`adsl`, `adlb`,
#'   `adlb_visits`, `adae`, `adex`), the arms (`arms`, `control`,
#'   `comparisons`), the plan (`plan`, a data frame with `section`,
#'   `included`, `reason`), the checks (`checks`) and the functions `on()`
#'   and `skip_note()` used by the template.
#' @examples
#' ctx <- report_context(list(fast = TRUE))
#' ctx$plan[, c("section", "included")]
#' @export
report_context <- function(params = list(), envir = parent.frame(), explicit = NULL) {
  p <- utils::modifyList(report_param_defaults(), params %||% list())
  if (is.null(explicit)) explicit <- if (nzchar(p$explicit %||% "")) report_arms(p$explicit) else character()
  ctx <- new.env(parent = emptyenv())
  dat <- report_data(p$data, envir)
  ctx$data <- dat
  arm_var <- p$arm_var
  check_string(arm_var, arg = "params$arm_var")
  adsl <- dat$adsl
  if (is.null(adsl) || !is.data.frame(adsl)) {
    glycotrial_abort("The report needs {.arg adsl}, a data frame.",
                     class = c("glycotrial_error_report_input", "input"))
  }
  if (!arm_var %in% names(adsl)) {
    glycotrial_abort(c("Arm column {.val {arm_var}} is not in {.arg adsl}.",
                       "i" = "Columns that could hold the arm: {.val {intersect(c('ARM', 'ACTARM', 'TRT01P', 'TRT01A'), names(adsl))}}."),
                     class = c("glycotrial_error_report_input", "input"))
  }
  present <- if (is.factor(adsl[[arm_var]])) levels(droplevels(adsl[[arm_var]])) else arm_levels(adsl, arm_var)
  present <- present[!is.na(present) & nzchar(present)]
  arms <- report_arms(p$arms) %||% present
  bad <- setdiff(arms, present)
  if (length(bad)) {
    glycotrial_abort(c("Arm(s) {.val {bad}} not in column {.field {arm_var}} of {.arg adsl}.",
                       "i" = "Arms present: {.val {present}}."),
                     class = c("glycotrial_error_report_input", "input"))
  }
  # Default control: an arm named like placebo/control/vehicle/sham, else the last.
  ctl_like <- arms[grepl("placebo|control|vehicle|sham|standard of care", arms, ignore.case = TRUE)]
  control <- if (nzchar(trimws(p$control))) trimws(p$control) else
    if (length(ctl_like) == 1) ctl_like else arms[length(arms)]
  if (!control %in% arms) {
    glycotrial_abort(c("Control arm {.val {control}} is not among the report arms.",
                       "i" = "Arms: {.val {arms}}."),
                     class = c("glycotrial_error_report_input", "input"))
  }
  # One arm order everywhere: the active arms in the given order, control last.
  arms <- c(setdiff(arms, control), control)
  ctx$arm_var <- arm_var
  ctx$arms <- arms
  ctx$control <- control
  ctx$comparisons <- setdiff(arms, control)
  ctx$active <- arms[1]
  adsl <- adsl[as.character(adsl[[arm_var]]) %in% arms, , drop = FALSE]
  adsl[[arm_var]] <- factor(as.character(adsl[[arm_var]]), levels = arms)
  ctx$adsl <- adsl
  with_arm <- function(d) {
    if (is.null(d)) return(NULL)
    d[[arm_var]] <- adsl[[arm_var]][match(d$USUBJID, adsl$USUBJID)]
    d[!is.na(d[[arm_var]]), , drop = FALSE]
  }
  ctx$fast <- isTRUE(p$fast)
  ctx$marker <- p$hba1c_param
  ctx$dose <- p$insulin_param
  ctx$conf <- p$conf_level
  ctx$alpha <- p$alpha
  ctx$notes <- character()
  # Laboratory data: units, unscheduled records.
  adlb <- with_arm(dat$adlb)
  if (!is.null(adlb)) {
    adlb <- report_lab_units(adlb)
    if ("CHG" %in% names(adlb) && "BASE" %in% names(adlb) && !"PCHG" %in% names(adlb)) {
      adlb$PCHG <- ifelse(adlb$BASE != 0, 100 * adlb$CHG / adlb$BASE, NA_real_)
    }
    if (!"ATPTN" %in% names(adlb)) adlb$ATPTN <- NA_real_
    for (cd in intersect(c("marker", "dose"), explicit_roles(explicit))) {
      code <- ctx[[cd]]
      if (!code %in% adlb$PARAMCD) {
        glycotrial_abort(c("PARAMCD {.val {code}} ({if (cd == 'marker') 'glycaemic marker' else 'dose'}) is not in {.arg adlb}.",
                           "i" = "PARAMCDs present: {.val {sort(unique(as.character(adlb$PARAMCD)))}}."),
                         class = c("glycotrial_error_report_input", "input"))
      }
    }
    vis <- if ("AVISITN" %in% names(adlb)) adlb$AVISITN else rep(NA_real_, nrow(adlb))
    lab <- if ("AVISIT" %in% names(adlb)) trimws(as.character(adlb$AVISIT)) else rep("", nrow(adlb))
    unsched <- is.na(vis) | is.na(lab) | lab %in% c("", ".")
    ctx$n_unscheduled <- sum(unsched)
    if (any(unsched)) {
      msg <- sprintf("%d ADLB record%s without a scheduled visit (AVISIT blank or \".\", or AVISITN missing) %s left out of the by-visit analyses and kept for the worst-grade and any-post-baseline summaries.",
                     sum(unsched), if (sum(unsched) > 1) "s" else "", if (sum(unsched) > 1) "are" else "is")
      ctx$notes <- c(ctx$notes, msg)
      glycotrial_inform(msg, class = "glycotrial_message_unscheduled_records")
    }
    ctx$adlb_visits <- adlb[!unsched, , drop = FALSE]
  } else {
    ctx$adlb_visits <- NULL
  }
  ctx$adlb <- adlb
  ctx$adae <- with_arm(dat$adae)
  ctx$adex <- with_arm(dat$adex)
  # Primary visit and its label.
  al <- ctx$adlb_visits
  mk <- if (!is.null(al)) al[al$PARAMCD %in% ctx$marker, , drop = FALSE] else NULL
  ctx$target <- if (p$target_visit >= 0) p$target_visit else if (!is.null(mk) && nrow(mk)) max(mk$AVISITN) else NA_real_
  if (!is.null(mk) && nrow(mk)) {
    v <- unique(mk[, c("AVISITN", "AVISIT")])
    ctx$visits <- v[order(v$AVISITN), , drop = FALSE]
    if ("marker" %in% explicit_roles(explicit) || "target_visit" %in% explicit) {
      if (!ctx$target %in% v$AVISITN) {
        glycotrial_abort(c("No {ctx$marker} records at the target visit (AVISITN {ctx$target}).",
                           "i" = "Visits present: {.val {v$AVISITN}}."),
                         class = c("glycotrial_error_report_input", "input"))
      }
    }
  } else {
    ctx$visits <- data.frame(AVISITN = numeric(), AVISIT = character())
  }
  ctx$target_label <- as.character(ctx$visits$AVISIT[match(ctx$target, ctx$visits$AVISITN)])
  if (!length(ctx$target_label) || is.na(ctx$target_label)) ctx$target_label <- paste("visit", ctx$target)
  # Populations.
  ctx$saf_flag <- if (p$saf_flag %in% names(adsl)) p$saf_flag else NULL
  ctx$itt_flag <- if (p$itt_flag %in% names(adsl)) p$itt_flag else NULL
  ctx$pp_flag <- if (p$pp_flag %in% names(adsl)) p$pp_flag else NULL
  # AE variables: severity from AETOXGR when present, relatedness vocabulary.
  rel <- report_arms(p$related_values) %||% character()
  unrel <- report_arms(p$unrelated_values) %||% character()
  if (!is.null(ctx$adae) && "AEREL" %in% names(ctx$adae)) {
    blank <- is.na(ctx$adae$AEREL) | !nzchar(trimws(ctx$adae$AEREL))
    if (any(blank)) {
      ctx$adae$AEREL[blank] <- "RELATED"
      ctx$notes <- c(ctx$notes, sprintf("%d adverse event%s with blank AEREL counted as related.",
                                        sum(blank), if (sum(blank) > 1) "s" else ""))
    }
    vals <- unique(toupper(ctx$adae$AEREL))
    unknown <- setdiff(vals, toupper(c(rel, unrel)))
    if (length(unknown)) {
      glycotrial_abort(c("AEREL value(s) {.val {unknown}}: neither in {.arg related_values} nor in {.arg unrelated_values}.",
                         "i" = "Related: {.val {rel}}; not related: {.val {unrel}}."),
                       class = c("glycotrial_error_report_input", "input"))
    }
  }
  # AE onset: ASTDY, else the onset dates ASTDT/AESTDTC (R/report_onset.R).
  onset <- report_ae_onset(ctx$adae, adsl)
  ctx$adae <- onset$adae
  ctx$notes <- c(ctx$notes, onset$notes)
  ctx$sv <- ae_vars(arm = arm_var, pop_flag = ctx$saf_flag, related_values = rel,
                    unrelated_values = unrel, onset_day = onset$onset_day)
  # Reference range: ANRHI/ANRLO, else the analysis range A1HI/A1LO.
  rr <- if (!is.null(adlb) && !"ANRHI" %in% names(adlb) && all(c("A1HI", "A1LO") %in% names(adlb)))
    c("A1HI", "A1LO") else c("ANRHI", "ANRLO")
  ctx$lv <- lab_vars(arm = arm_var, pop_flag = ctx$saf_flag, uln = rr[1], lln = rr[2])
  ctx$labs <- if (is.null(adlb)) character() else
    intersect(c("ALT", "AST", "ALP", "BILI", "CREAT", "EGFR"), unique(as.character(adlb$PARAMCD)))
  # AESI groups.
  keys <- glycotrial_plugins("aesi")$key
  keys <- setdiff(keys, "infusion_reactions")
  want <- trimws(p$aesi)
  if (identical(want, "none")) {
    ctx$aesi <- character()
    ctx$aesi_why <- "params$aesi is \"none\""
  } else if (nzchar(want)) {
    ctx$aesi <- report_arms(want)
    bad <- setdiff(ctx$aesi, keys)
    if (length(bad)) {
      glycotrial_abort(c("AESI group(s) {.val {bad}} not registered.",
                         "i" = "Registered: {.val {keys}} (add one with {.fn register_aesi})."),
                       class = c("glycotrial_error_report_input", "input"))
    }
  } else {
    hit <- if (is.null(ctx$adae) || !all(c("AEDECOD", "AEBODSYS") %in% names(ctx$adae))) character() else
      keys[vapply(keys, function(k) {
        t <- aesi_terms(k)
        any(toupper(ctx$adae$AEDECOD) %in% toupper(t$terms)) ||
          any(toupper(ctx$adae$AEBODSYS) %in% toupper(t$socs))
      }, logical(1))]
    ctx$aesi <- hit
    ctx$aesi_why <- sprintf("no adverse event matches the registered AESI groups (%s); name the groups with params$aesi",
                            paste(keys, collapse = ", "))
  }
  # Infusion: only when the exposure records say the drug is infused.
  ctx$infused <- FALSE
  ctx$infusion_why <- "no ADEX"
  adex <- ctx$adex
  if (!is.null(adex)) {
    if (identical(p$infusion, "yes")) {
      ctx$infused <- TRUE
    } else if (identical(p$infusion, "no")) {
      ctx$infusion_why <- "params$infusion is \"no\""
    } else if ("EXROUTE" %in% names(adex)) {
      rt <- unique(toupper(as.character(adex$EXROUTE)))
      ctx$infused <- any(grepl("INTRAVENOUS|INFUSION", rt))
      ctx$infusion_why <- sprintf("EXROUTE is %s", paste(rt, collapse = ", "))
    } else {
      ctx$infusion_why <- "ADEX has no EXROUTE; set params$infusion = \"yes\" for an infused drug"
    }
  }
  # The plan.
  reg <- report_registry()
  chosen <- report_arms(p$sections)
  if (length(chosen)) {
    known <- c(names(reg), unique(vapply(reg, `[[`, "", "group")))
    bad <- setdiff(chosen, known)
    if (length(bad)) {
      glycotrial_abort(c("Unknown report section(s) {.val {bad}}.", "i" = "Sections: {.val {known}}."),
                       class = c("glycotrial_error_report_input", "input"))
    }
  }
  reasons <- vapply(names(reg), function(nm) {
    s <- reg[[nm]]
    if (length(chosen) && !nm %in% chosen && !s$group %in% chosen) return("it was not chosen in params$sections")
    report_section_reason(s, ctx)
  }, "")
  ctx$plan <- data.frame(section = names(reg), heading = vapply(reg, `[[`, "", "heading"),
                         included = !nzchar(reasons), reason = reasons, stringsAsFactors = FALSE,
                         row.names = NULL)
  for (i in which(!ctx$plan$included)) {
    glycotrial_inform(sprintf("Report section %s left out because %s.", ctx$plan$heading[i],
                              ctx$plan$reason[i]),
                      class = "glycotrial_message_section_skipped")
  }
  ctx$on <- function(section) isTRUE(ctx$plan$included[ctx$plan$section == section])
  ctx$skip_note <- function(section) {
    i <- match(section, ctx$plan$section)
    if (ctx$plan$included[i]) return(invisible(""))
    why <- gsub("([_*`\\[\\]])", "\\\\\\1", ctx$plan$reason[i])
    sprintf("\n*%s: left out because %s.*\n\n", ctx$plan$heading[i], why)
  }
  ctx$params <- p
  ctx
}

explicit_roles <- function(explicit) {
  c(if ("hba1c_param" %in% explicit) "marker", if ("insulin_param" %in% explicit) "dose")
}

# Units: AVALU from the PARAM text ("Glucose (mg/dL)") when AVALU is absent
# or blank; several units within one PARAMCD are an input error.
report_lab_units <- function(adlb) {
  if (!"PARAMCD" %in% names(adlb)) return(adlb)
  u <- if ("AVALU" %in% names(adlb)) trimws(as.character(adlb$AVALU)) else rep(NA_character_, nrow(adlb))
  if ("PARAM" %in% names(adlb)) {
    from_param <- ifelse(grepl("\\(([^()]+)\\)\\s*$", adlb$PARAM),
                         sub("^.*\\(([^()]+)\\)\\s*$", "\\1", adlb$PARAM), NA_character_)
    fill <- is.na(u) | !nzchar(u)
    u[fill] <- from_param[fill]
  }
  adlb$AVALU <- u
  per <- tapply(u, adlb$PARAMCD, function(v) unique(v[!is.na(v) & nzchar(v)]), simplify = FALSE)
  mixed <- per[vapply(per, length, 1L) > 1]
  if (length(mixed)) {
    what <- vapply(names(mixed), function(cd) sprintf("%s in %s", cd, paste(mixed[[cd]], collapse = " and ")), "")
    glycotrial_abort(c("ADLB has several units within one PARAMCD: {what}.",
                       "i" = "Convert to one unit per PARAMCD (see {.fn convert_units}) before reporting."),
                     class = c("glycotrial_error_mixed_units", "glycotrial_error_report_input", "input"))
  }
  adlb
}
