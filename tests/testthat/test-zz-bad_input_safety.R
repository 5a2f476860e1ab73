# Malformed input to the safety and responder
# functions (wrong types, missing columns, list columns, unparseable values,
# zero rows) meets a classed condition. Each case was an unclassed R error or
# a silent NA / wrong number before; the expected class is the specific one.

safety_bad_fixtures <- function() {
  d <- safety_toy()
  lb <- data.frame(USUBJID = rep(c("S1", "S2"), each = 4),
                   PARAMCD = rep(c("ALT", "AST", "BILI", "ALP"), 2),
                   AVAL = c(150, 90, 3, 100, 30, 25, 0.5, 80),
                   ANRHI = rep(c(40, 40, 1.2, 120), 2), ADY = 15, stringsAsFactors = FALSE)
  list(adae = d$adae, adsl = d$adsl, lb = lb,
       lsl = data.frame(USUBJID = c("S1", "S2"), ARM = c("A", "B"), SAFFL = "Y"),
       graded = suppressWarnings(grade_lab(lb)),
       rsp = derive_responders(glycotrial::adlb, glycotrial::adsl))
}

# Evaluates `expr` and returns the first error, or the first condition of
# class `cls` when that is a message/warning class.
first_condition <- function(expr, cls) {
  tryCatch(withCallingHandlers(
    {
      force(expr)
      NULL
    },
    message = function(m) if (inherits(m, cls)) stop(m) else invokeRestart("muffleMessage"),
    warning = function(w) if (inherits(w, cls)) stop(w) else invokeRestart("muffleWarning")),
    condition = function(e) e)
}

expect_class <- function(expr, cls) {
  cnd <- first_condition(expr, cls)
  got <- if (is.null(cnd)) "no condition" else
    paste(paste(class(cnd), collapse = "/"), conditionMessage(cnd))
  expect(inherits(cnd, cls), sprintf("expected %s, got %s", cls, got))
  if (grepl("^glycotrial_error", cls)) {
    expect(inherits(cnd, "glycotrial_error"), "not a glycotrial_error")
    # The rendered message carries no unformatted cli markup.
    expect(!grepl("\\{\\.|\\{[a-z_]+\\}", conditionMessage(cnd)),
           paste("unformatted markup:", conditionMessage(cnd)))
  }
  invisible(cnd)
}

f <- safety_bad_fixtures()

test_that("AE summaries: list columns, unparseable days and dates, bad flags, empty groups", {
  expect_class(ae_by_term(transform(f$adae, AEDECOD = I(as.list(AEDECOD))), f$adsl),
               "glycotrial_error_column_type")
  expect_class(ae_by_term(f$adae, transform(f$adsl, USUBJID = I(as.list(USUBJID)))),
               "glycotrial_error_input")
  expect_class(ae_by_term(f$adae, transform(f$adsl, ARM = I(as.list(ARM)))),
               "glycotrial_error_input")
  expect_class(ae_overview(transform(f$adae, ASTDY = "junk"), f$adsl, teae = teae_window("window")),
               "glycotrial_error_study_day")
  expect_class(ae_overview(f$adae, transform(f$adsl, TRTSDT = "junk"), teae = teae_window("window")),
               "glycotrial_error_date_invalid")
  expect_class(ae_overview(f$adae, transform(f$adsl, SAFFL = "ok")), "glycotrial_error_flag")
  expect_class(ae_overview(f$adae, f$adsl, unmatched = "x"), "glycotrial_error_input")
  expect_class(ae_overview(f$adae, f$adsl, aesi = NA_character_), "glycotrial_error_input")
  expect_class(ae_overview(f$adae, f$adsl[0, ]), "glycotrial_error_no_subjects")
  expect_class(ae_special_interest(f$adae, f$adsl, aesi = "infusion_reactions",
                                   exposure = "USUBJID"), "glycotrial_error_input")
  expect_class(ae_special_interest(f$adae, f$adsl), "glycotrial_error_input")
  expect_class(ae_time_to_first(f$adae, f$adsl), "glycotrial_error_input")
  expect_class(infusion_reactions(f$adae, f$adsl,
                                  data.frame(USUBJID = "S1", ASTDY = "junk", EXINFNO = 1)),
               "glycotrial_error_study_day")
})

test_that("AE summaries with zero AE records or an unknown subject are not errors", {
  # A trial without AEs: a table of zero counts, not an error (hand count).
  r <- ae_special_interest(f$adae[0, ], f$adsl, aesi = c("infusion_reactions", "hepatic"))
  expect_equal(r$ard$stat[r$ard$stat_name == "n"], rep(0, 2 * 3))
  expect_equal(unique(r$ard$stat[r$ard$stat_name == "N" & r$ard$arm == "A"]), 3)
  ghost <- rbind(f$adae, transform(f$adae[1, ], USUBJID = "S99"))
  expect_class(ae_overview(ghost, f$adsl), "glycotrial_message_dropped_subjects")
})

test_that("lab summaries: non-numeric values and grades are classed errors, not NA", {
  expect_class(hys_law(transform(f$lb, AVAL = "a"), f$lsl), "glycotrial_error_column_type")
  expect_class(hys_law(transform(f$lb, ANRHI = "high"), f$lsl), "glycotrial_error_column_type")
  expect_class(hys_law(transform(f$lb, ADY = "x"), f$lsl), "glycotrial_error_study_day")
  expect_class(hys_law(f$lb, f$lsl[0, ]), "glycotrial_error_no_subjects")
  expect_class(lab_shift(transform(f$graded, ATOXGRH = "x"), f$lsl), "glycotrial_error_column_type")
  expect_class(lab_worst_grade(transform(f$graded, ATOXGRH = 9), f$lsl),
               "glycotrial_error_column_type")
  expect_class(lab_shift(as.list(f$graded), f$lsl), "glycotrial_error_input")
  expect_class(lab_worst_grade(f$graded, f$lsl, vars = lab_vars(pop_flag = "NOPE")),
               "glycotrial_error_input")
  gl <- glycotrial::adlb
  gl$AVAL[gl$PARAMCD == "HBA1C"][3] <- "abc"
  expect_class(lab_trajectory(gl, glycotrial::adsl, "HBA1C"), "glycotrial_error_column_type")
  # Text digits from a CSV import are numbers: the same table as numeric.
  txt <- transform(f$lb, AVAL = as.character(AVAL))
  expect_equal(hys_law(txt, f$lsl)$ard, hys_law(f$lb, f$lsl)$ard)
})

test_that("responders: unparseable values, bad seed, flags, empty populations", {
  gl <- glycotrial::adlb
  ga <- glycotrial::adsl
  bad <- gl
  bad$AVAL[bad$PARAMCD == "HBA1C"][2] <- "abc"
  expect_class(derive_responders(bad, ga), "glycotrial_error_column_type")
  expect_class(derive_responders(gl, transform(ga, ITTFL = "maybe"), population = "ITTFL"),
               "glycotrial_error_flag")
  expect_class(derive_responders(gl, ga[0, ]), "glycotrial_error_no_subjects")
  expect_class(derive_responders(gl, ga, unmatched = 1), "glycotrial_error_input")
  expect_class(responder_analysis(f$rsp, treatment = "UC-MSC", seed = "a",
                                  missing = "multiple-imputation"), "glycotrial_error_input")
  expect_class(responder_analysis(transform(f$rsp, ARM = NA), treatment = "UC-MSC"),
               "glycotrial_error_no_subjects")
  expect_class(responder_analysis(f$rsp[0, ], treatment = "UC-MSC"), "glycotrial_error_input")
  # Population flag spelled "y"/"n": same responders as "Y"/"N".
  low <- transform(ga, ITTFL = tolower(ITTFL))
  expect_equal(as.data.frame(derive_responders(gl, low, population = "ITTFL"))$RESPONDER,
               as.data.frame(derive_responders(gl, ga, population = "ITTFL"))$RESPONDER)
})
