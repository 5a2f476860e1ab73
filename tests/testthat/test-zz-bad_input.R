# A table-driven matrix of malformed inputs for every exported function.
# Each case names the function, what is wrong, the call, and what must happen:
#   a classed condition ("glycotrial_error_input", ..., or a warning class),
#   or "ok" for inputs that are documented to work (e.g. NA propagation),
#   optionally with a check on the result, and optionally `arg`: text the
#   message must contain (the argument or column it is about).
# A generic (unclassed) error, a crash or a silent wrong answer is a defect.
# Add cases as functions land; the last test lists exports without cases.

bad_cases <- list()
bad <- function(fun, what, expr, class = "glycotrial_error_input", check = NULL, arg = NULL) {
  bad_cases[[length(bad_cases) + 1]] <<- list(fun = fun, what = what, expr = substitute(expr),
                                              class = class, check = check, arg = arg)
}

huge <- .Machine$double.xmax
plugin_kind <- "bad_input_kind"

# --- registry -------------------------------------------------------------------------
bad("register_plugin_kind", "kind not a string", register_plugin_kind(1))
bad("register_plugin_kind", "kind NA", register_plugin_kind(NA_character_))
bad("register_plugin_kind", "kind of length 2", register_plugin_kind(c("a", "b")))
bad("register_plugin_kind", "validate not a function", register_plugin_kind("k_bad", validate = 3))
bad("register_plugin_kind", "kind a factor", register_plugin_kind(factor("k")))
bad("register_plugin", "unknown kind", register_plugin("no_such_kind_xyz", "a", identity))
bad("register_plugin", "key with a space", register_plugin(plugin_kind, "a b", identity))
bad("register_plugin", "key with unicode", register_plugin(plugin_kind, "b\u00e9ta", identity))
bad("register_plugin", "empty key", register_plugin(plugin_kind, "", identity))
bad("register_plugin", "NA key", register_plugin(plugin_kind, NA_character_, identity))
bad("register_plugin", "numeric key", register_plugin(plugin_kind, 42, identity))
bad("register_plugin", "two keys", register_plugin(plugin_kind, c("a", "b"), identity))
bad("register_plugin", "factor kind", register_plugin(factor(plugin_kind), "a", identity))
bad("register_plugin", "NULL kind", register_plugin(NULL, "a", identity))
bad("register_plugin", "overwrite NA", register_plugin(plugin_kind, "a", identity, overwrite = NA))
bad("register_plugin", "overwrite as string", register_plugin(plugin_kind, "a", identity, overwrite = "yes"))
bad("register_plugin", "impl rejected by validator", register_plugin(plugin_kind, "a", 42))
bad("register_plugin", "validator raising a plain error", register_plugin(plugin_kind, "a", "not a function"))
bad("register_plugin", "duplicated key with new content",
    {
      register_plugin(plugin_kind, "dup", function(x) x, package = "user")
      on.exit(unregister_plugin(plugin_kind, "dup"))
      register_plugin(plugin_kind, "dup", function(x) x + 1, package = "user")
    }, class = "glycotrial_error_registry_conflict")
bad("get_plugin", "unknown key", get_plugin(plugin_kind, "nope"),
    class = "glycotrial_error_unknown_plugin")
bad("get_plugin", "unknown kind", get_plugin("no_such_kind_xyz", "nope"),
    class = "glycotrial_error_unknown_plugin")
bad("get_plugin", "NA key", get_plugin(plugin_kind, NA_character_))
bad("get_plugin", "numeric kind", get_plugin(1, "a"))
bad("get_plugin", "key vector", get_plugin(plugin_kind, c("a", "b")))
bad("unregister_plugin", "NA key", unregister_plugin(plugin_kind, NA_character_))
bad("unregister_plugin", "list kind", unregister_plugin(list("a"), "a"))
bad("unregister_plugin", "absent key is FALSE, not an error",
    unregister_plugin(plugin_kind, "never_registered"), class = "ok",
    check = function(r) identical(r, FALSE))
bad("glycotrial_plugins", "numeric kind", glycotrial_plugins(1))
bad("glycotrial_plugins", "two kinds", glycotrial_plugins(c("index", "covariance")))
bad("glycotrial_plugins", "unknown kind lists nothing", glycotrial_plugins("no_such_kind_xyz"),
    class = "ok", check = function(r) is.data.frame(r) && nrow(r) == 0)
bad("compiled_plugin", "handle for an unknown key is inert", compiled_plugin("index", "nope"),
    class = "ok", check = function(r) inherits(r, "glycotrial_compiled_plugin"))

# --- errors and checks ------------------------------------------------------------------
bad("glycotrial_abort", "input class", glycotrial_abort("boom"))
bad("glycotrial_abort", "numerical class", glycotrial_abort("boom", class = "numerical"),
    class = "glycotrial_error_numerical")
bad("glycotrial_abort", "convergence class", glycotrial_abort("boom", class = "convergence"),
    class = "glycotrial_error_convergence")
bad("glycotrial_abort", "cli braces in data do not break the message",
    glycotrial_abort("value {.val {x}}", .envir = list2env(list(x = "{oops}"))))
bad("glycotrial_warn", "warning is classed", glycotrial_warn("careful"),
    class = "glycotrial_warning")
bad("check_number", "character", check_number("1"))
bad("check_number", "factor", check_number(factor(1)))
bad("check_number", "NA", check_number(NA_real_))
bad("check_number", "NaN", check_number(NaN))
bad("check_number", "Inf above upper", check_number(Inf, upper = 10))
bad("check_number", "-Inf below lower", check_number(-Inf, lower = 0))
bad("check_number", "empty", check_number(numeric()))
bad("check_number", "length 2", check_number(c(1, 2)))
bad("check_number", "NULL", check_number(NULL))
bad("check_number", "list", check_number(list(1)))
bad("check_number", "logical", check_number(TRUE))
bad("check_number", "open bound hit", check_number(0, lower = 0, upper = 1, open = TRUE))
bad("check_number", "huge value above upper", check_number(huge, upper = 1e6))
bad("check_count", "fraction", check_count(1.5))
bad("check_count", "Inf", check_count(Inf))
bad("check_count", "negative", check_count(-1))
bad("check_count", "NA", check_count(NA_real_))
bad("check_count", "character digits", check_count("3"))
bad("check_count", "Date", check_count(Sys.Date()))
bad("check_string", "number", check_string(1))
bad("check_string", "NA", check_string(NA_character_))
bad("check_string", "two strings", check_string(c("a", "b")))
bad("check_string", "factor", check_string(factor("a")))
bad("check_string", "empty vector", check_string(character()))
bad("check_flag", "NA", check_flag(NA))
bad("check_flag", "string TRUE", check_flag("TRUE"))
bad("check_flag", "number 1", check_flag(1))
bad("check_flag", "two flags", check_flag(c(TRUE, FALSE)))
bad("check_choice", "not a choice", check_choice("z", c("a", "b")))
bad("check_choice", "NA", check_choice(NA_character_, c("a", "b")))
bad("check_choice", "factor of a choice", check_choice(factor("a"), c("a", "b")))
bad("check_choice", "two choices", check_choice(c("a", "b"), c("a", "b")))
bad("check_data_frame", "list", check_data_frame(list(a = 1)))
bad("check_data_frame", "matrix", check_data_frame(matrix(1:4, 2)))
bad("check_data_frame", "missing column", check_data_frame(data.frame(a = 1), cols = "USUBJID"))
bad("check_data_frame", "NULL", check_data_frame(NULL))

# --- proportion CIs ---------------------------------------------------------------------
bad("prop_ci", "x character", prop_ci("3", 10))
bad("prop_ci", "x factor", prop_ci(factor(3), 10))
bad("prop_ci", "x logical", prop_ci(TRUE, 10))
bad("prop_ci", "x > n", prop_ci(11, 10))
bad("prop_ci", "x negative", prop_ci(-1, 10))
bad("prop_ci", "x fraction", prop_ci(2.5, 10))
bad("prop_ci", "x NA", prop_ci(NA, 10))
bad("prop_ci", "x NaN", prop_ci(NaN, 10))
bad("prop_ci", "n zero", prop_ci(0, 0))
bad("prop_ci", "n Inf", prop_ci(1, Inf))
bad("prop_ci", "n empty", prop_ci(1, numeric()))
bad("prop_ci", "x empty", prop_ci(numeric(), 10))
bad("prop_ci", "incompatible lengths", prop_ci(1:3, c(10, 10)))
bad("prop_ci", "unknown method", prop_ci(3, 10, method = "bogus"),
    class = "glycotrial_error_unknown_method")
bad("prop_ci", "NA method", prop_ci(3, 10, method = NA_character_),
    class = "glycotrial_error_unknown_method")
bad("prop_ci", "numeric method", prop_ci(3, 10, method = 1),
    class = "glycotrial_error_unknown_method")
bad("prop_ci", "conf_level 1", prop_ci(3, 10, conf_level = 1))
bad("prop_ci", "conf_level 0", prop_ci(3, 10, conf_level = 0))
bad("prop_ci", "conf_level 95 (percent, wrong unit)", prop_ci(3, 10, conf_level = 95))
bad("prop_ci", "conf_level NA", prop_ci(3, 10, conf_level = NA_real_))
bad("prop_ci", "conf_level string", prop_ci(3, 10, conf_level = "0.95"))
bad("prop_ci", "huge n beyond exact doubles (clopper-pearson)",
    prop_ci(1, 1e300, method = "clopper-pearson"))
bad("prop_ci", "huge n beyond exact doubles (jeffreys)", prop_ci(2, 1e300, method = "jeffreys"))
bad("prop_ci", "huge n beyond exact doubles (mid-p)", prop_ci(2, 1e300, method = "mid-p"))
bad("prop_ci", "largest exact count works", prop_ci(1, 2^53, method = "wilson"), class = "ok",
    check = function(r) all(is.finite(c(r$lower, r$upper))) && r$lower <= r$upper)
bad("prop_ci", "x = n = 1 at every method (Wald (1, 1) is flagged)",
    prop_ci(1, 1, method = prop_ci_methods_all()),
    class = "glycotrial_warning_degenerate_interval")

# --- difference and ratio CIs, Farrington-Manning -------------------------------------
bad("diff_ci", "x1 > n1", diff_ci(5, 4, 1, 4))
bad("diff_ci", "x2 negative", diff_ci(1, 4, -1, 4))
bad("diff_ci", "n2 zero", diff_ci(1, 4, 0, 0))
bad("diff_ci", "x1 character", diff_ci("1", 4, 1, 4))
bad("diff_ci", "n1 factor", diff_ci(1, factor(4), 1, 4))
bad("diff_ci", "x2 NA", diff_ci(1, 4, NA, 4))
bad("diff_ci", "n1 Inf", diff_ci(1, Inf, 1, 4))
bad("diff_ci", "empty x1", diff_ci(numeric(), 4, 1, 4))
bad("diff_ci", "length mismatch", diff_ci(1:3, c(5, 5), 1, 4))
bad("diff_ci", "unknown method", diff_ci(1, 4, 1, 4, method = "bogus"),
    class = "glycotrial_error_unknown_method")
bad("diff_ci", "conf_level > 1", diff_ci(1, 4, 1, 4, conf_level = 1.5))
bad("diff_ci", "Hauck-Anderson with one subject: NA limits and a warning",
    diff_ci(1, 1, 1, 4, method = "ha"), class = "glycotrial_warning_undefined_interval")
bad("diff_ci", "exact with too many tables", diff_ci(1, 5000, 1, 5000, method = "exact"))
bad("diff_ci", "huge n", diff_ci(1, 1e300, 1, 1e300, method = "newcombe"))
bad("ratio_ci", "unknown measure", ratio_ci(1, 4, 1, 4, measure = "hr"))
bad("ratio_ci", "NA measure", ratio_ci(1, 4, 1, 4, measure = NA_character_))
bad("ratio_ci", "unknown method", ratio_ci(1, 4, 1, 4, method = "bogus"),
    class = "glycotrial_error_unknown_method")
bad("ratio_ci", "x1 > n1", ratio_ci(5, 4, 1, 4))
bad("ratio_ci", "n2 fraction", ratio_ci(1, 4, 1, 4.5))
bad("ratio_ci", "conf_level NaN", ratio_ci(1, 4, 1, 4, conf_level = NaN))
bad("ratio_ci", "x2 list", ratio_ci(1, 4, list(1), 4))
bad("ratio_ci", "huge n", ratio_ci(1, 1e300, 1, 1e300))
bad("ratio_ci", "0/n vs 0/n gives NA limits, not an error", ratio_ci(0, 4, 0, 4), class = "ok",
    check = function(r) nrow(r) == 1)
bad("farrington_manning_test", "margin 1", farrington_manning_test(3, 10, 2, 10, margin = 1))
bad("farrington_manning_test", "margin NA", farrington_manning_test(3, 10, 2, 10, margin = NA))
bad("farrington_manning_test", "margin string", farrington_manning_test(3, 10, 2, 10, margin = "0.1"))
bad("farrington_manning_test", "bad alternative",
    farrington_manning_test(3, 10, 2, 10, alternative = "bigger"))
bad("farrington_manning_test", "x1 > n1", farrington_manning_test(11, 10, 2, 10))
bad("farrington_manning_test", "empty n2", farrington_manning_test(3, 10, 2, integer()))
bad("farrington_manning_test", "huge n", farrington_manning_test(3, 1e300, 2, 1e300))

# --- simulated trial data ----------------------------------------------------------------
bad("simulate_trial", "n negative", simulate_trial(n = c(-1, 10)))
bad("simulate_trial", "n zero in an arm", simulate_trial(n = c(0, 10)))
bad("simulate_trial", "n fraction", simulate_trial(n = c(4.5, 10)))
bad("simulate_trial", "n character", simulate_trial(n = c("4", "10")))
bad("simulate_trial", "n NA", simulate_trial(n = c(NA, 10)))
bad("simulate_trial", "dropout above 1", simulate_trial(n = c(4, 4), dropout = c(2, 0)))
bad("simulate_trial", "missingness 1", simulate_trial(n = c(4, 4), missingness = 1))
bad("simulate_trial", "missingness NaN", simulate_trial(n = c(4, 4), missingness = NaN))
bad("simulate_trial", "visits negative", simulate_trial(n = c(4, 4), visits = c(-4, 0, 4)))
bad("simulate_trial", "visits character", simulate_trial(n = c(4, 4), visits = c("0", "4")))
bad("simulate_trial", "hba1c_change huge", simulate_trial(n = c(4, 4), hba1c_change = c(1e8, 0)))
bad("simulate_trial", "ae_rate negative", simulate_trial(n = c(4, 4), ae_rate = -1))
bad("simulate_trial", "seed fraction", simulate_trial(n = c(4, 4), seed = 1.5))
bad("simulate_trial", "seed string", simulate_trial(n = c(4, 4), seed = "42"))
bad("simulate_trial", "studyid NA", simulate_trial(n = c(4, 4), studyid = NA_character_))
bad("simulate_trial", "studyid numeric", simulate_trial(n = c(4, 4), studyid = 1))
bad("simulate_trial", "duplicated arm names", simulate_trial(n = c(4, 4), arms = c("A", "A")))
bad("simulate_trial", "arms factor/character mix-up",
    simulate_trial(n = c(4, 4), arms = factor(c("A", "B"))))

# --- indices, 2x2/stratified tests, responders (generated from a probe of each call's
# outcome, then reviewed: every outcome below is classed or documented) -----------------
bad("homa1_ir", "('5', 10)",
    homa1_ir("5", 10), class = "glycotrial_error_input")
bad("homa1_ir", "(5, '10')",
    homa1_ir(5, "10"), class = "glycotrial_error_input")
bad("homa1_ir", "(factor(5), 10)",
    homa1_ir(factor(5), 10), class = "glycotrial_error_input")
bad("homa1_ir", "(NA, 10)",
    homa1_ir(NA, 10), class = "ok", check = function(r) is.na(r))
bad("homa1_ir", "(NaN, 10)",
    homa1_ir(NaN, 10), class = "ok", check = function(r) is.na(r))
bad("homa1_ir", "(Inf, 10)",
    homa1_ir(Inf, 10), class = "glycotrial_warning_undefined_index")
bad("homa1_ir", "(-5, 10)",
    homa1_ir(-5, 10), class = "glycotrial_warning_impossible_value")
bad("homa1_ir", "(0, 10)",
    homa1_ir(0, 10), class = "ok", check = function(r) identical(unname(r), 0))
bad("homa1_ir", "(5, 10, glucose_unit = 'furlongs')",
    homa1_ir(5, 10, glucose_unit = "furlongs"), class = "glycotrial_error_input")
bad("homa1_ir", "(5, 10, glucose_unit = NA)",
    homa1_ir(5, 10, glucose_unit = NA), class = "glycotrial_error_input")
bad("homa1_ir", "(5, 10, glucose_unit = c('mmol/L', 'mg/dL'))",
    homa1_ir(5, 10, glucose_unit = c("mmol/L", "mg/dL")), class = "ok")
bad("homa1_ir", "(c(5, 6), c(10, 11, 12))",
    homa1_ir(c(5, 6), c(10, 11, 12)), class = "glycotrial_error_input")
bad("homa1_ir", "(numeric(), numeric())",
    homa1_ir(numeric(), numeric()), class = "ok", check = function(r) length(r) == 0)
bad("homa1_ir", "(1e+308, 1e+308) overflows: NA with a warning",
    homa1_ir(1e+308, 1e+308), class = "glycotrial_warning_overflow")
bad("homa1_ir", "overflow result is NA", suppressWarnings(homa1_ir(c(5, 1e+308), c(10, 1e+308))),
    class = "ok", check = function(r) !is.na(r[1]) && is.na(r[2]))
bad("homa1_ir", "(1e-160, 1e-160) underflows to a subnormal: NA with a warning",
    homa1_ir(1e-160, 1e-160), class = "glycotrial_warning_underflow")
bad("homa1_b", "(5, 1e308) overflows", homa1_b(5, 1e308), class = "glycotrial_warning_overflow")
# Over/underflow part-way through a formula with a finite (wrong) result:
# the IEEE flags of the compiled call are checked per row / curve.
bad("homa1_ir", "(1e-200, 1e-200) underflows to 0 part-way: NA with a warning",
    homa1_ir(1e-200, 1e-200), class = "glycotrial_warning_underflow")
bad("homa1_ir", "only the underflowed row is NA",
    suppressWarnings(homa1_ir(c(5, 1e-200, 6), c(10, 1e-200, 12))), class = "ok",
    check = function(r) identical(is.na(r), c(FALSE, TRUE, FALSE)))
bad("matsuda", "1e200 glucose and insulin overflow part-way (0 on its own): NA with a warning",
    matsuda(c(0, 60, 120), c(1e200, 1e200, 1e200), c(1e200, 1e200, 1e200)),
    class = "glycotrial_warning_overflow")
bad("matsuda", "1e-100 glucose and insulin underflow part-way (Inf on its own)",
    matsuda(c(0, 60, 120), c(1e-100, 1e-100, 1e-100), c(1e-100, 1e-100, 1e-100)),
    class = "glycotrial_warning_underflow")
bad("disposition_index", "1e200 insulin overflows part-way",
    disposition_index(c(0, 30, 120), c(5, 8, 6), c(1e200, 2e200, 1e200)),
    class = "glycotrial_warning_overflow")
bad("ohkura_index", "(1e200, 1e200) overflows part-way (20 / Inf = 0)",
    ohkura_index(1e200, 1e200), class = "glycotrial_warning_overflow")
bad("egfr_ckd_epi_2021", "creatinine 1e300 underflows a power term to 0",
    egfr_ckd_epi_2021(1e300, 50, 1), class = "glycotrial_warning_underflow")
bad("stumvoll", "subnormal insulin: harmless underflow gives no warning",
    stumvoll(c(0, 30, 120), c(5, 9, 7), c(1e-310, 1e-310, 1e-310)), class = "ok",
    check = function(r) isTRUE(all.equal(r, 1283 - 138.7 * 9)))
bad("gutt_isi", "1e200 values stay in range (m / (MPG log10 MSI) = 3.125e-200): no warning",
    gutt_isi(c(0, 120), c(1e200, 1e200), c(1e200, 1e200), 70), class = "ok",
    check = function(r) isTRUE(all.equal(r, 625 / (1e200 * 200))))
bad("ohkura_index", "glucose 1e307 mmol/L overflows in the conversion to mg/dL: overflow, not 'undefined'",
    ohkura_index(c(5, 1e307), c(2, 1)), class = "glycotrial_warning_overflow", arg = "2")
bad("matsuda", "glucose 1e307 mmol/L overflows in the conversion: overflow naming the curve",
    matsuda(rep(c(0, 60, 120), 2), c(5, 8, 6, 1e307, 8, 6), rep(c(10, 50, 30), 2),
            id = rep(c("p", "q"), each = 3), glucose_unit = "mmol/L"),
    class = "glycotrial_warning_overflow", arg = "q")
bad("cpeptide_glucose_auc_ratio", "two overflowing AUCs (Inf / Inf = NaN) are an overflow, not 'undefined'",
    cpeptide_glucose_auc_ratio(c(0, 60), c(1e308, 1e308), c(1e308, 1e308)),
    class = "glycotrial_warning_overflow")
bad("beta_cell_indices", "a subject overflowing part-way is NA, the other is computed",
    suppressWarnings(beta_cell_indices(
      data.frame(USUBJID = rep(c("a", "b"), each = 2), AVISIT = "Baseline",
                 PARAMCD = c("FPG", "FCPEP"), AVAL = c(5, 2, 1e200, 1e200),
                 AVALU = c("mmol/L", "ng/mL")), indices = "ohkura")), class = "ok",
    check = function(r) is.finite(r$ohkura[1]) && is.na(r$ohkura[2]))
bad("beta_cell_indices", "... with an overflow warning naming the subject-visit",
    beta_cell_indices(
      data.frame(USUBJID = rep(c("a", "b"), each = 2), AVISIT = "Baseline",
                 PARAMCD = c("FPG", "FCPEP"), AVAL = c(5, 2, 1e200, 1e200),
                 AVALU = c("mmol/L", "ng/mL")), indices = "ohkura"),
    class = "glycotrial_warning_overflow", arg = "b / Baseline")
bad("quicki", "(1e300, 1e300) stays finite (log scale)", quicki(1e300, 1e300), class = "ok",
    check = function(r) is.finite(r))
bad("auc_total", "curve of 1e308 values overflows", auc_total(c(0, 30, 60), c(1e308, 1e308, 1e308)),
    class = "glycotrial_warning_overflow")
bad("homa1_ir", "(5, 10, glucose_factor = -1)",
    homa1_ir(5, 10, glucose_factor = -1), class = "glycotrial_error_input")
bad("homa1_ir", "(5, 10, glucose_factor = NA)",
    homa1_ir(5, 10, glucose_factor = NA), class = "glycotrial_error_input")
bad("homa1_ir", "(list(5), 10)",
    homa1_ir(list(5), 10), class = "glycotrial_error_input")
# unit plausibility (issue 17.15; run_case() turns the check off for the other cases)
bad("homa1_ir", "(95, 10): glucose in mg/dL under the mmol/L default",
    homa1_ir(95, 10), class = "glycotrial_warning_implausible_unit")
bad("homa1_ir", "(5000, 10): implausible in every unit",
    homa1_ir(5000, 10), class = "glycotrial_warning_implausible_value")
bad("egfr_ckd_epi_2021", "(88, 50, 'M'): creatinine in umol/L as mg/dL",
    egfr_ckd_epi_2021(88, 50, "M"), class = "glycotrial_warning_implausible_unit")
bad("hba1c_convert", "(53): already mmol/mol",
    hba1c_convert(53), class = "glycotrial_warning_implausible_unit")
bad("unit_ranges", "unknown quantity", unit_ranges("weight"), arg = "quantity")
bad("unit_ranges", "quantity not a string", unit_ranges(1), arg = "quantity")
bad("unit_ranges", "one quantity", unit_ranges("glucose"), class = "ok",
    check = function(r) nrow(r) == 2 && all(r$quantity == "glucose"))
# index poles (issue 18.13)
bad("homa1_b", "(63.056 mg/dL): the 3.5 mmol/L pole after conversion",
    homa1_b(63.056, 10, glucose_unit = "mg/dL"), class = "glycotrial_warning_undefined_index")
# visit order (issue 17.13)
bad("order_visits", "data not a data frame", order_visits(1:3), arg = "data")
bad("order_visits", "visit column absent", order_visits(data.frame(a = 1)), arg = "AVISIT")
bad("order_visits", "order column not numeric",
    order_visits(data.frame(AVISIT = "W4", O = "x"), order_by = "O"),
    class = "glycotrial_error_visit_order", arg = "O")
bad("order_visits", "two AVISITN values for one label",
    order_visits(data.frame(AVISIT = c("W4", "W4"), AVISITN = c(4, 5))),
    class = "glycotrial_error_visit_order", arg = "W4")
bad("order_visits", "visit a list column", order_visits(data.frame(AVISIT = I(list(1, 2)))),
    arg = "AVISIT")
bad("order_visits", "visits already in order", order_visits(data.frame(AVISIT = c("W4", "W8"))),
    class = "ok", check = function(d) identical(levels(d$AVISIT), c("W4", "W8")))
bad("homa1_b", "(5, 10, insulin_unit = 'pmol/L', insulin_factor = 0)",
    homa1_b(5, 10, insulin_unit = "pmol/L", insulin_factor = 0), class = "glycotrial_error_input")
bad("quicki", "(90, 0)",
    quicki(90, 0), class = "glycotrial_warning_undefined_index")
bad("quicki", "(5, 10)",
    quicki(5, 10), class = "ok")
bad("cpi", "(5, -1)",
    cpi(5, -1), class = "glycotrial_warning_impossible_value")
bad("ohkura_index", "(NULL, 1)",
    ohkura_index(NULL, 1), class = "glycotrial_error_input")
bad("homa_b_cp", "(5, 1, population = 'alien')",
    homa_b_cp(5, 1, population = "alien"), class = "glycotrial_error_input")
bad("homa_ir_cp", "(5, 1, cpeptide_unit = 'mmol/L')",
    homa_ir_cp(5, 1, cpeptide_unit = "mmol/L"), class = "glycotrial_error_input")
bad("glucose_insulin_ratio", "(5, 0)",
    glucose_insulin_ratio(5, 0), class = "glycotrial_warning_undefined_index")
bad("eag", "(7, hba1c_unit = 'mmol/mol')",
    eag(7, hba1c_unit = "mmol/mol"), class = "ok")
bad("eag", "('7')",
    eag("7"), class = "glycotrial_error_input")
bad("eag", "(7, unit = 'g/L')",
    eag(7, unit = "g/L"), class = "glycotrial_error_input")
bad("eag", "(-7)",
    eag(-7), class = "glycotrial_warning_impossible_value")
bad("hba1c_convert", "(7, from = '%', to = '%')",
    hba1c_convert(7, from = "%", to = "%"), class = "ok")
bad("hba1c_convert", "(7, from = 'furlong')",
    hba1c_convert(7, from = "furlong"), class = "glycotrial_error_input")
bad("hba1c_convert", "(NA)",
    hba1c_convert(NA), class = "ok", check = function(r) is.na(r))
bad("egfr_ckd_epi_2021", "(1, 50, 'X')",
    egfr_ckd_epi_2021(1, 50, "X"), class = "glycotrial_error_input")
bad("egfr_ckd_epi_2021", "(1, -50, 'F')",
    egfr_ckd_epi_2021(1, -50, "F"), class = "glycotrial_warning_impossible_value")
bad("egfr_ckd_epi_2021", "(1, 50, factor('F'))",
    egfr_ckd_epi_2021(1, 50, factor("F")), class = "ok")
bad("egfr_ckd_epi_2021", "(1, 50, c('F', 'M'))",
    egfr_ckd_epi_2021(1, 50, c("F", "M")), class = "ok", check = function(r) length(r) == 2)
bad("egfr_ckd_epi_2021", "(88, 50, 'F', creatinine_unit = 'umol/L')",
    egfr_ckd_epi_2021(88, 50, "F", creatinine_unit = "umol/L"), class = "ok")
bad("egfr_ckd_epi_2021", "(1, 50, 'F', creatinine_unit = 'kg')",
    egfr_ckd_epi_2021(1, 50, "F", creatinine_unit = "kg"), class = "glycotrial_error_input")
bad("convert_units", "(5, 'glucose', 'mmol/L', 'mg/dL')",
    convert_units(5, "glucose", "mmol/L", "mg/dL"), class = "ok")
bad("convert_units", "(5, 'glucose', 'mmol/L', 'kg')",
    convert_units(5, "glucose", "mmol/L", "kg"), class = "glycotrial_error_input")
bad("convert_units", "(5, 'weight', 'mmol/L', 'mg/dL')",
    convert_units(5, "weight", "mmol/L", "mg/dL"), class = "glycotrial_error_input")
bad("convert_units", "('5', 'glucose', 'mmol/L', 'mg/dL')",
    convert_units("5", "glucose", "mmol/L", "mg/dL"), class = "glycotrial_error_input")
bad("auc_total", "(c(0, 30, 60), c(1, 2))",
    auc_total(c(0, 30, 60), c(1, 2)), class = "glycotrial_error_input")
bad("auc_total", "(c(0, 30, 30), c(1, 2, 3))",
    auc_total(c(0, 30, 30), c(1, 2, 3)), class = "glycotrial_error_input")
bad("auc_total", "(c(60, 30, 0), c(1, 2, 3))",
    auc_total(c(60, 30, 0), c(1, 2, 3)), class = "glycotrial_error_input")
bad("auc_total", "(c(0, NA, 60), c(1, 2, 3))",
    auc_total(c(0, NA, 60), c(1, 2, 3)), class = "glycotrial_error_input")
bad("auc_total", "(c(0, 30, 60), c(1, NA, 3))",
    auc_total(c(0, 30, 60), c(1, NA, 3)), class = "ok",
    check = function(r) isTRUE(all.equal(unname(r), 60 * (1 + 3) / 2)))
bad("auc_total", "(c(0, 30, 60), c(1, 2, 3), time_unit = 'parsec')",
    auc_total(c(0, 30, 60), c(1, 2, 3), time_unit = "parsec"), class = "glycotrial_error_input")
bad("auc_total", "(numeric(), numeric())",
    auc_total(numeric(), numeric()), class = "ok", check = function(r) length(r) == 0)
bad("auc_total", "(0, 1)",
    auc_total(0, 1), class = "glycotrial_warning_missing_timepoint")
bad("auc_total", "(c(0, 30, 60), c(1, 2, 3), id = c(1, 1))",
    auc_total(c(0, 30, 60), c(1, 2, 3), id = c(1, 1)), class = "glycotrial_error_input")
bad("auc_total", "(c(0, 30, 0, 30), c(1, 2, 3, 4), id = c(1, 2, 1, 2))",
    auc_total(c(0, 30, 0, 30), c(1, 2, 3, 4), id = c(1, 2, 1, 2)), class = "glycotrial_error_input")
bad("auc_total", "(c(0, 30, 60), c(1, 2, 3), id = factor(c('a', 'a', 'a')))",
    auc_total(c(0, 30, 60), c(1, 2, 3), id = factor(c("a", "a", "a"))), class = "ok")
bad("auc_incremental", "(c(0, 30, 60), c(1, 2, 3), method = 'banana')",
    auc_incremental(c(0, 30, 60), c(1, 2, 3), method = "banana"), class = "glycotrial_error_input")
bad("matsuda", "(c(0, 30, 60, 90, 120), c(5, 8, 9, 8, 6), c(10, 40, 60, 50, 30), me...",
    matsuda(c(0, 30, 60, 90, 120), c(5, 8, 9, 8, 6), c(10, 40, 60, 50, 30), method = "x"), class = "glycotrial_error_input")
bad("matsuda", "(c(0, 30, 60, 90, 120), c(5, 8, 9, 8, 6), c(10, 40))",
    matsuda(c(0, 30, 60, 90, 120), c(5, 8, 9, 8, 6), c(10, 40)), class = "glycotrial_error_input")
bad("matsuda", "(c(30, 60, 90, 120), c(8, 9, 8, 6), c(40, 60, 50, 30))",
    matsuda(c(30, 60, 90, 120), c(8, 9, 8, 6), c(40, 60, 50, 30)), class = "glycotrial_warning_missing_timepoint")
bad("matsuda", "(c(30, 60, 90, 120), c(8, 9, 8, 6), c(40, 60, 50, 30), strict = TRUE)",
    matsuda(c(30, 60, 90, 120), c(8, 9, 8, 6), c(40, 60, 50, 30), strict = TRUE), class = "glycotrial_error_input")
bad("matsuda", "(c(0, 30, 60, 90, 120), c(5, 8, 9, 8, 6), c(10, 40, 60, 50, 30), st...",
    matsuda(c(0, 30, 60, 90, 120), c(5, 8, 9, 8, 6), c(10, 40, 60, 50, 30), strict = NA), class = "glycotrial_error_input")
bad("stumvoll", "(c(0, 30, 120), c(5, 8, 6), c(10, 40, 30), index = 'third')",
    stumvoll(c(0, 30, 120), c(5, 8, 6), c(10, 40, 30), index = "third"), class = "glycotrial_error_input")
bad("ogis", "(c(0, 90, 120), c(5, 8, 6), c(10, 40, 30), height = -170, weight = 70)",
    ogis(c(0, 90, 120), c(5, 8, 6), c(10, 40, 30), height = -170, weight = 70), class = "glycotrial_warning_impossible_value")
bad("ogis", "(c(0, 90, 120), c(5, 8, 6), c(10, 40, 30), height = 170, weight = 7...",
    ogis(c(0, 90, 120), c(5, 8, 6), c(10, 40, 30), height = 170, weight = 70, version = "60"), class = "glycotrial_error_input")
bad("gutt_isi", "(c(0, 120), c(5, 6), c(10, 30), weight = '70')",
    gutt_isi(c(0, 120), c(5, 6), c(10, 30), weight = "70"), class = "glycotrial_error_input")
bad("insulinogenic_index", "(c(0, 30), c(5, 8))",
    insulinogenic_index(c(0, 30), c(5, 8)), class = "glycotrial_error_input")
bad("disposition_index", "(c(0, 30, 60, 90, 120), c(5, 8, 9, 8, 6), c(10, 40, 60, 50, 30), cp...",
    disposition_index(c(0, 30, 60, 90, 120), c(5, 8, 9, 8, 6), c(10, 40, 60, 50, 30), cpeptide = c(1, 2)), class = "glycotrial_error_input")
bad("cpeptide_glucose_auc_ratio", "(c(0, 30, 60), c(5, 8, 9), c(1, 2, 3), glucose_unit = 'xx')",
    cpeptide_glucose_auc_ratio(c(0, 30, 60), c(5, 8, 9), c(1, 2, 3), glucose_unit = "xx"), class = "glycotrial_error_input")
bad("evaluate_index", "('no_such_index', list(1))",
    evaluate_index("no_such_index", list(1)), class = "glycotrial_error_input")
bad("evaluate_index", "('homa1_ir', list(1))",
    evaluate_index("homa1_ir", list(1)), class = "glycotrial_error_input")
bad("evaluate_index", "('homa1_ir', list(glucose = 5, insulin = 10, extra = 1))",
    evaluate_index("homa1_ir", list(glucose = 5, insulin = 10, extra = 1)), class = "ok")
bad("evaluate_index", "('homa1_ir', list(glucose = '5', insulin = 10))",
    evaluate_index("homa1_ir", list(glucose = "5", insulin = 10)), class = "glycotrial_error_input")
bad("evaluate_index", "('homa1_ir', 5)",
    evaluate_index("homa1_ir", 5), class = "glycotrial_error_input")
bad("evaluate_index", "(NA, list())",
    evaluate_index(NA, list()), class = "glycotrial_error_input")
bad("index_info", "('nope')",
    index_info("nope"), class = "glycotrial_error_input")
bad("index_info", "(3)",
    index_info(3), class = "glycotrial_error_input")
bad("register_index", "('bad key', function(x) x, inputs = c(x = '1'))",
    register_index("bad key", function(x) x, inputs = c(x = "1")), class = "glycotrial_error_input")
bad("register_index", "('okkey', 3, inputs = c(x = '1'))",
    register_index("okkey", 3, inputs = c(x = "1")), class = "glycotrial_error_input")
bad("register_index", "('okkey2', function(x) x, inputs = 3)",
    register_index("okkey2", function(x) x, inputs = 3), class = "glycotrial_error_input")
bad("register_index", "('okkey3', function(x) x, inputs = c(x = '1'), shape = 'blob')",
    register_index("okkey3", function(x) x, inputs = c(x = "1"), shape = "blob"), class = "glycotrial_error_input")
bad("beta_cell_indices", "(NULL)",
    beta_cell_indices(NULL), class = "glycotrial_error_input")
bad("beta_cell_indices", "(data.frame())",
    beta_cell_indices(data.frame()), class = "glycotrial_error_input")
bad("beta_cell_indices", "(data.frame(x = 1))",
    beta_cell_indices(data.frame(x = 1)), class = "glycotrial_error_input")
bad("beta_cell_indices", "(glycotrial::adlb[0, ])",
    beta_cell_indices(glycotrial::adlb[0, ]), class = "ok")
bad("beta_cell_indices", "(glycotrial::adlb, indices = 'nope')",
    beta_cell_indices(glycotrial::adlb, indices = "nope"), class = "glycotrial_error_input")
bad("beta_cell_indices", "(glycotrial::adlb, by = 'NOPE')",
    beta_cell_indices(glycotrial::adlb, by = "NOPE"), class = "glycotrial_error_input")
bad("index_change", "(data.frame(x = 1))",
    index_change(data.frame(x = 1)), class = "glycotrial_error_input")
bad("index_change", "(NULL)",
    index_change(NULL), class = "glycotrial_error_input")
ir_data <- function() {
  d <- expand.grid(USUBJID = sprintf("S%02d", 1:12), AVISIT = c("Baseline", "Week 12"),
                   stringsAsFactors = FALSE)
  d$ARM <- ifelse(as.integer(substr(d$USUBJID, 2, 3)) %% 2 == 0, "Drug", "Placebo")
  d$PARAMCD <- "homa_ir_cp"
  d$AVAL <- exp(seq(0.1, 1.2, length.out = nrow(d)))
  d
}
bad("index_ratio_mmrm", "x not a data frame", index_ratio_mmrm(list(1)), arg = "x")
bad("index_ratio_mmrm", "reference not an arm", index_ratio_mmrm(ir_data(), reference = "Nope"),
    arg = "reference")
bad("index_ratio_mmrm", "covariance not character", index_ratio_mmrm(ir_data(), covariance = 1),
    arg = "covariance")
bad("index_ratio_mmrm", "conf_level 95", index_ratio_mmrm(ir_data(), conf_level = 95),
    arg = "conf_level")
bad("index_ratio_mmrm", "one arm only",
    index_ratio_mmrm(ir_data()[ir_data()$ARM == "Drug", ]), arg = "x")
bad("fisher_exact_test", "(1, 0, 1, 5)",
    fisher_exact_test(1, 0, 1, 5), class = "glycotrial_error_input")
bad("fisher_exact_test", "(6, 5, 1, 5)",
    fisher_exact_test(6, 5, 1, 5), class = "glycotrial_error_input")
bad("fisher_exact_test", "(1, 5, 1, 5, alternative = 'up')",
    fisher_exact_test(1, 5, 1, 5, alternative = "up"), class = "glycotrial_error_input")
bad("pearson_chisq_test", "(matrix(c(1, 2, 3), 1))",
    pearson_chisq_test(matrix(c(1, 2, 3), 1)), class = "glycotrial_error_input")
bad("pearson_chisq_test", "(matrix(c(-1, 2, 3, 4), 2))",
    pearson_chisq_test(matrix(c(-1, 2, 3, 4), 2)), class = "glycotrial_error_input")
bad("pearson_chisq_test", "(matrix(c(0, 0, 0, 0), 2))",
    pearson_chisq_test(matrix(c(0, 0, 0, 0), 2)), class = "glycotrial_error_input")
bad("pearson_chisq_test", "('a')",
    pearson_chisq_test("a"), class = "glycotrial_error_input")
bad("pearson_chisq_test", "(matrix(c(1.5, 2, 3, 4), 2))",
    pearson_chisq_test(matrix(c(1.5, 2, 3, 4), 2)), class = "glycotrial_error_input")
bad("cmh_test", "(c(1, 2), c(5, 5), c(1, 2), c(5))",
    cmh_test(c(1, 2), c(5, 5), c(1, 2), c(5)), class = "glycotrial_error_input")
bad("cmh_test", "(c(1, 2), c(5, 5), c(1, 2), c(5, 5), correct = NA)",
    cmh_test(c(1, 2), c(5, 5), c(1, 2), c(5, 5), correct = NA), class = "glycotrial_error_input")
bad("cmh_test", "(table = 'x')",
    cmh_test(table = "x"), class = "glycotrial_error_input")
bad("cmh_test", "(numeric(), numeric(), numeric(), numeric())",
    cmh_test(numeric(), numeric(), numeric(), numeric()), class = "glycotrial_error_input")
bad("cmh_test", "(c(0, 0), c(5, 5), c(0, 0), c(5, 5))",
    cmh_test(c(0, 0), c(5, 5), c(0, 0), c(5, 5)), class = "glycotrial_error_input")
bad("mh_estimate", "(c(1, 2), c(5, 5), c(1, 2), c(5, 5), measure = 'hr')",
    mh_estimate(c(1, 2), c(5, 5), c(1, 2), c(5, 5), measure = "hr"), class = "glycotrial_error_input")
bad("mh_estimate", "(c(0, 0), c(5, 5), c(0, 0), c(5, 5))",
    mh_estimate(c(0, 0), c(5, 5), c(0, 0), c(5, 5)), class = "ok")
bad("breslow_day_test", "(1, 5, 1, 5)",
    breslow_day_test(1, 5, 1, 5), class = "glycotrial_error_input")
bad("breslow_day_test", "(c(1, NA), c(5, 5), c(1, 2), c(5, 5))",
    breslow_day_test(c(1, NA), c(5, 5), c(1, 2), c(5, 5)), class = "glycotrial_error_input")
bad("stratified_diff_ci", "(c(1, 2), c(5, 5), c(1, 2), c(5, 5), method = 'nope')",
    stratified_diff_ci(c(1, 2), c(5, 5), c(1, 2), c(5, 5), method = "nope"), class = "glycotrial_error_input")
bad("stratified_diff_ci", "(c(1, 2), c(5, 5), c(1, 2), c(5, 5), conf_level = 2)",
    stratified_diff_ci(c(1, 2), c(5, 5), c(1, 2), c(5, 5), conf_level = 2), class = "glycotrial_error_input")
bad("stratified_diff_ci", "(c(5, 5), c(5, 5), c(5, 5), c(5, 5))",
    stratified_diff_ci(c(5, 5), c(5, 5), c(5, 5), c(5, 5)), class = "ok")
bad("stratified_diff_ci", "(c(0, 0), c(5, 5), c(0, 0), c(5, 5))",
    stratified_diff_ci(c(0, 0), c(5, 5), c(0, 0), c(5, 5)), class = "ok")
bad("covariate_adjusted_rd", "(data.frame(RESP = c(1, 0), ARM = c('A', 'B')), 'RESP')",
    covariate_adjusted_rd(data.frame(RESP = c(1, 0), ARM = c("A", "B")), "RESP"), class = "glycotrial_error_input")
bad("covariate_adjusted_rd", "(data.frame(RESP = c('y', 'n', 'y', 'n'), ARM = c('A', 'B', 'A', 'B...",
    covariate_adjusted_rd(data.frame(RESP = c("y", "n", "y", "n"), ARM = c("A", "B", "A", "B")), "RESP"), class = "glycotrial_error_input")
bad("covariate_adjusted_rd", "(data.frame(RESP = c(1, 0, 1, 0), ARM = c('A', 'A', 'A', 'A')), 'RE...",
    covariate_adjusted_rd(data.frame(RESP = c(1, 0, 1, 0), ARM = c("A", "A", "A", "A")), "RESP"), class = "glycotrial_error_input")
bad("covariate_adjusted_rd", "(data.frame(RESP = c(1, 0, 1, 0, 1, 1), ARM = c('A', 'B', 'A', 'B',...",
    covariate_adjusted_rd(data.frame(RESP = c(1, 0, 1, 0, 1, 1), ARM = c("A", "B", "A", "B", "A", "B")), "RESP", variance = "x"), class = "glycotrial_error_input")
bad("covariate_adjusted_rd", "(list(), 'RESP')",
    covariate_adjusted_rd(list(), "RESP"), class = "glycotrial_error_input")
bad("threshold_rule", "('HBA1C', '~', 7)",
    threshold_rule("HBA1C", "~", 7), class = "glycotrial_error_input")
bad("threshold_rule", "('HBA1C', '<', '7')",
    threshold_rule("HBA1C", "<", "7"), class = "glycotrial_error_input")
bad("threshold_rule", "(NA, '<', 7)",
    threshold_rule(NA, "<", 7), class = "glycotrial_error_input")
bad("change_rule", "('HBA1C', '<', 7, type = 'weird')",
    change_rule("HBA1C", "<", 7, type = "weird"), class = "glycotrial_error_input")
bad("hba1c_below", "(-1)",
    hba1c_below(-1), class = "glycotrial_error_input")
bad("hba1c_below", "('7')",
    hba1c_below("7"), class = "glycotrial_error_input")
bad("insulin_reduction", "(1.5)",
    insulin_reduction(1.5), class = "glycotrial_error_input")
bad("insulin_reduction", "(NA)",
    insulin_reduction(NA), class = "glycotrial_error_input")
bad("composite", "()",
    composite(), class = "glycotrial_error_input")
bad("composite", "(1, 2)",
    composite(1, 2), class = "glycotrial_error_input")
bad("any_of", "('a')",
    any_of("a"), class = "glycotrial_error_input")
bad("derive_responders", "(glycotrial::adlb, glycotrial::adsl, visit = 'Week 999')",
    derive_responders(glycotrial::adlb, glycotrial::adsl, visit = "Week 999"), class = "glycotrial_error_input")
bad("derive_responders", "(glycotrial::adlb[0, ], glycotrial::adsl)",
    derive_responders(glycotrial::adlb[0, ], glycotrial::adsl), class = "glycotrial_error_input")
bad("derive_responders", "(NULL, glycotrial::adsl)",
    derive_responders(NULL, glycotrial::adsl), class = "glycotrial_error_input")
bad("derive_responders", "(glycotrial::adlb, glycotrial::adsl, subject = 'NOPE')",
    derive_responders(glycotrial::adlb, glycotrial::adsl, subject = "NOPE"), class = "glycotrial_error_input")
bad("responder_analysis", "(data.frame(x = 1))",
    responder_analysis(data.frame(x = 1)), class = "glycotrial_error_input")
bad("responder_analysis", "(NULL)",
    responder_analysis(NULL), class = "glycotrial_error_input")

# --- models: MMRM, LMM, joint model ----------------------------------------------------
adsl <- glycotrial::adsl
adlb <- glycotrial::adlb
adae <- glycotrial::adae
adex <- glycotrial::adex
# Fits and data sets built once, on first use by a case.
bad_fixtures <- local({
  cache <- list()
  function(what) {
    if (is.null(cache[[what]])) {
      cache[[what]] <<- switch(what,
        mmrm_data = sim_mmrm_data(n = 24, k = 3, seed = 7),
        mmrm = mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), bad_fixtures("mmrm_data")),
        lmm_data = lmm_sim_trial(n = 20, visits = c(0, 12, 24), seed = 3),
        lmm = fit_lmm(AVAL ~ ARM * WEEK + (1 | USUBJID), bad_fixtures("lmm_data")),
        safety = safety_toy(),
        adlb_lab = adlb[adlb$PARAMCD %in% c("ALT", "AST", "BILI", "ALP", "CREAT"), ],
        graded = grade_lab(bad_fixtures("adlb_lab")))
    }
    cache[[what]]
  }
})
md <- function() bad_fixtures("mmrm_data")
ld <- function() bad_fixtures("lmm_data")
st <- function() bad_fixtures("safety")
us_f <- CHG ~ ARM * AVISIT + us(AVISIT | USUBJID)

bad("mmrm_fit", "formula a string", mmrm_fit("CHG ~ ARM", md()), arg = "formula")
bad("mmrm_fit", "no covariance term", mmrm_fit(CHG ~ ARM * AVISIT, md()), arg = "formula")
bad("mmrm_fit", "two covariance terms",
    mmrm_fit(CHG ~ ARM + us(AVISIT | USUBJID) + ar1(AVISIT | USUBJID), md()), arg = "formula")
bad("mmrm_fit", "unknown covariance structure", mmrm_fit(CHG ~ ARM + zzz(AVISIT | USUBJID), md()),
    arg = "formula")
bad("mmrm_fit", "data a matrix", mmrm_fit(us_f, as.matrix(md())), arg = "data")
bad("mmrm_fit", "data NULL", mmrm_fit(us_f, NULL), arg = "data")
bad("mmrm_fit", "empty data", mmrm_fit(us_f, md()[0, ]), arg = "CHG")
bad("mmrm_fit", "response column missing", mmrm_fit(NOPE ~ ARM + us(AVISIT | USUBJID), md()), arg = "NOPE")
bad("mmrm_fit", "visit column missing", mmrm_fit(CHG ~ ARM + us(VIS | USUBJID), md()), arg = "VIS")
bad("mmrm_fit", "character response", mmrm_fit(us_f, transform(md(), CHG = as.character(CHG))), arg = "CHG")
bad("mmrm_fit", "all responses NA", mmrm_fit(us_f, transform(md(), CHG = NA_real_)), arg = "CHG")
bad("mmrm_fit", "Inf response", mmrm_fit(us_f, transform(md(), CHG = replace(CHG, 1, Inf))), arg = "CHG")
bad("mmrm_fit", "NA visit: the row is dropped with a message",
    suppressMessages(mmrm_fit(us_f, transform(md(), AVISIT = replace(AVISIT, 2, NA)))), class = "ok",
    check = function(r) inherits(r, "glycotrial_mmrm"))
bad("mmrm_fit", "Inf covariate", mmrm_fit(CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID), transform(md(), BASE = replace(BASE, which(!is.na(CHG))[2], -Inf))), arg = "BASE")
bad("mmrm_fit", "duplicated subject-visit rows", mmrm_fit(us_f, rbind(md(), md()[1, ])), arg = "AVISIT")
bad("mmrm_fit", "reml NA", mmrm_fit(us_f, md(), reml = NA), arg = "reml")
bad("mmrm_fit", "unknown df method", mmrm_fit(us_f, md(), df = "nope"), arg = "df")
bad("mmrm_fit", "weights negative", mmrm_fit(us_f, md(), weights = rep(-1, nrow(md()))), arg = "weights")
bad("mmrm_fit", "weights wrong length", mmrm_fit(us_f, md(), weights = c(1, 2)), arg = "weights")
bad("mmrm_fit", "control not from mmrm_fit_control()", mmrm_fit(us_f, md(), control = list(1)), arg = "control")
bad("mmrm_fit", "response of magnitude 1e300 overflows the deviance: a numerical error",
    mmrm_fit(us_f, transform(md(), CHG = CHG * 1e300)), class = "glycotrial_error_numerical")
bad("mmrm_optimise", "engine not an engine", mmrm_optimise(list(1)), arg = "engine")
bad("mmrm_optimise", "control not from mmrm_fit_control()", mmrm_optimise(mmrm_fit(us_f, md()), control = list(1)), arg = "control")
bad("mmrm_optimise", "start character", mmrm_optimise(mmrm_fit(us_f, md()), start = "a"), arg = "start")
bad("mmrm_optimise", "start of the wrong length", mmrm_optimise(mmrm_fit(us_f, md()), start = 0), arg = "start")
bad("mmrm_fit_control", "unknown optimizer", mmrm_fit_control(optimizers = "simplex"), arg = "optimizers")
bad("mmrm_fit_control", "max_iter negative", mmrm_fit_control(max_iter = -1), arg = "max_iter")
bad("mmrm_fit_control", "max_iter fraction", mmrm_fit_control(max_iter = 2.5), arg = "max_iter")
bad("mmrm_fit_control", "rel_tol string", mmrm_fit_control(rel_tol = "1e-8"), arg = "rel_tol")
bad("mmrm_fit_control", "grad_tol NA", mmrm_fit_control(grad_tol = NA_real_), arg = "grad_tol")
bad("mmrm_fit_control", "accept_singular NA", mmrm_fit_control(accept_singular = NA), arg = "accept_singular")
bad("mmrm_fit_control", "start character", mmrm_fit_control(start = "a"), arg = "start")
bad("mmrm_fit_control", "start NaN", mmrm_fit_control(start = c(1, NaN)), arg = "start")
# the stages of mmrm_fit() (R/mmrm_formula.R, mmrm_design.R, mmrm_engine.R, mmrm_result.R)
bad("mmrm_formula", "formula a string", mmrm_formula("CHG ~ ARM"), arg = "formula")
bad("mmrm_formula", "no covariance term", mmrm_formula(CHG ~ ARM), arg = "formula")
bad("mmrm_formula", "one-sided", mmrm_formula(~ ARM + us(AVISIT | USUBJID)), arg = "formula")
bad("mmrm_design", "data a matrix", mmrm_design(us_f, as.matrix(md())), arg = "data")
bad("mmrm_design", "weights column missing", mmrm_design(us_f, md(), weights = "NOPE"), arg = "NOPE")
bad("mmrm_design", "control a list", mmrm_design(us_f, md(), control = list()), arg = "control")
bad("mmrm_engine", "design a data frame", mmrm_engine(md()), arg = "design")
bad("mmrm_engine", "reml NA", mmrm_engine(mmrm_design(us_f, md()), reml = NA), arg = "reml")
bad("mmrm_result", "optimum a list", mmrm_result(list(theta = 1), mmrm_engine(mmrm_design(us_f, md()))),
    arg = "optimum")
bad("mmrm_result", "engine a list", mmrm_result(list(), list()), arg = "engine")
bad("register_covariance", "key with a space", register_covariance("a b", n_theta = function(k) 1L,
    sigma = function(theta, k, coords) diag(k)), arg = "key")
bad("register_covariance", "n_theta not a function", register_covariance("bi_cov1", n_theta = 3,
    sigma = function(theta, k, coords) diag(k)), arg = "n_theta")
bad("register_covariance", "sigma not a function", register_covariance("bi_cov2", n_theta = function(k) 1L,
    sigma = "diag"), arg = "sigma")
bad("register_covariance", "spatial NA", register_covariance("bi_cov3", n_theta = function(k) 1L,
    sigma = function(theta, k, coords) diag(k), spatial = NA), arg = "spatial")
bad("register_covariance", "built-in key without overwrite", register_covariance("us", n_theta = function(k) 1L,
    sigma = function(theta, k, coords) diag(k)))
bad("register_covariance", "sigma taking two arguments", register_covariance("bi_cov5",
    n_theta = function(k) 1L, sigma = function(theta, k) diag(k)), arg = "sigma")
bad("register_covariance", "sigma returns a non-matrix at fit time",
    {
      register_covariance("bi_cov4", n_theta = function(k) 1L, sigma = function(theta, k, coords) "x")
      on.exit(unregister_plugin("covariance", "bi_cov4"))
      mmrm_fit(CHG ~ ARM + bi_cov4(AVISIT | USUBJID), md())
    }, arg = "sigma")
bad("register_covariance", "n_theta returns a string at fit time",
    {
      register_covariance("bi_cov6", n_theta = function(k) "one", sigma = function(theta, k, coords) diag(length(coords)))
      on.exit(unregister_plugin("covariance", "bi_cov6"))
      mmrm_fit(CHG ~ ARM + bi_cov6(AVISIT | USUBJID), md())
    }, arg = "n_theta")
bad("register_covariance", "gradient matrices of the wrong size at fit time",
    {
      register_covariance("bi_cov7", n_theta = function(k) 1L, sigma = function(theta, k, coords) {
        m <- length(coords)
        structure(exp(theta[1]) * diag(m), gradient = list(matrix(1, 1, 1)))
      })
      on.exit(unregister_plugin("covariance", "bi_cov7"))
      mmrm_fit(CHG ~ ARM + bi_cov7(AVISIT | USUBJID), md())
    }, arg = "sigma")
bad("model_selection", "formula with a covariance term", model_selection(us_f, md()), arg = "formula")
bad("model_selection", "unknown structure", model_selection(CHG ~ ARM * AVISIT, md(), structures = "zz"),
    arg = "zz")
bad("model_selection", "an unknown structure among others is a failed row",
    model_selection(CHG ~ ARM * AVISIT, md(), structures = c("cs", "zz")), class = "ok",
    check = function(r) identical(r$converged[r$structure == "zz"], FALSE))
bad("model_selection", "data a list", model_selection(CHG ~ ARM * AVISIT, as.list(md())), arg = "data")
bad("model_selection", "visit column missing", model_selection(CHG ~ ARM, md(), visit = "VIS"), arg = "VIS")
bad("model_selection", "subject NA", model_selection(CHG ~ ARM * AVISIT, md(), subject = NA_character_),
    arg = "subject")
bad("model_selection", "empty structures", model_selection(CHG ~ ARM * AVISIT, md(), structures = character()),
    arg = "structures")
bad("least_squares_means", "object not a fit", least_squares_means(lm(CHG ~ ARM, md())), arg = "object")
bad("least_squares_means", "specs not a term", least_squares_means(bad_fixtures("mmrm"), specs = "NOPE"), arg = "specs")
bad("least_squares_means", "by not a factor term", least_squares_means(bad_fixtures("mmrm"), by = "BASE"), arg = "by")
bad("least_squares_means", "ref not a level", least_squares_means(bad_fixtures("mmrm"), ref = "Nope"), arg = "ref")
bad("least_squares_means", "level 95", least_squares_means(bad_fixtures("mmrm"), level = 95), arg = "level")
bad("least_squares_means", "at with an unknown variable", least_squares_means(bad_fixtures("mmrm"), at = list(NOPE = 1)), arg = "at")
bad("least_squares_means", "at a number", least_squares_means(bad_fixtures("mmrm"), at = 3), arg = "at")
# deprecated aliases (17.16): the warning is muffled, the new function's error stands
bad("fit_mmrm", "deprecated alias, formula a string", suppressWarnings(fit_mmrm("CHG ~ ARM", md())), arg = "formula")
bad("mmrm_control", "deprecated alias, max_iter 0", suppressWarnings(mmrm_control(max_iter = 0)))
bad("lsmeans", "deprecated alias, object not a fit", suppressWarnings(lsmeans(lm(CHG ~ ARM, md()))), arg = "object")
bad("fit_lmm", "formula without random effects", fit_lmm(AVAL ~ ARM, ld()), arg = "formula")
bad("fit_lmm", "data a matrix", fit_lmm(AVAL ~ ARM + (1 | USUBJID), as.matrix(ld())), arg = "data")
bad("fit_lmm", "empty data", fit_lmm(AVAL ~ ARM + (1 | USUBJID), ld()[0, ]), arg = "data")
bad("fit_lmm", "missing column", fit_lmm(NOPE ~ ARM + (1 | USUBJID), ld()), arg = "NOPE")
bad("fit_lmm", "factor response", fit_lmm(ARM ~ WEEK + (1 | USUBJID), ld()), arg = "ARM")
bad("fit_lmm", "reml string", fit_lmm(AVAL ~ ARM + (1 | USUBJID), ld(), reml = "yes"), arg = "reml")
bad("fit_lmm", "control a list", fit_lmm(AVAL ~ ARM + (1 | USUBJID), ld(), control = list()), arg = "control")
bad("fit_lmm", "Inf response", fit_lmm(AVAL ~ ARM + (1 | USUBJID), transform(ld(), AVAL = replace(AVAL, 1, Inf))),
    arg = "data")
# several grouping factors (sparse core, R/lmm_sparse.R)
ld2 <- function() {
  d <- ld()
  d$SITE <- rep(c("s1", "s2", "s3"), length.out = nrow(d))
  d
}
bad("fit_lmm", "crossed: grouping factor with one level",
    fit_lmm(AVAL ~ ARM + (1 | USUBJID) + (1 | ONE), transform(ld2(), ONE = "a")), arg = "ONE")
bad("fit_lmm", "crossed: missing grouping IDs",
    fit_lmm(AVAL ~ ARM + (1 | USUBJID) + (1 | SITE), transform(ld2(), SITE = replace(SITE, 2, NA))),
    arg = "SITE")
bad("fit_lmm", "crossed: non-numeric slope",
    fit_lmm(AVAL ~ ARM + (1 | USUBJID) + (1 + SLOPE | SITE), transform(ld2(), SLOPE = "x")),
    arg = "SLOPE")
bad("fit_lmm", "nested: malformed residual structure with several grouping factors",
    fit_lmm(AVAL ~ ARM + (1 | SITE/USUBJID) + ar1(AVISIT), ld2()),
    arg = "residual covariance term")
bad("fit_lmm", "crossed: grouping by an expression",
    fit_lmm(AVAL ~ ARM + (1 | USUBJID) + (1 | toupper(SITE)), ld2()), arg = "grouping")
bad("fit_lmm", "crossed: more random effects than observations",
    fit_lmm(AVAL ~ ARM + (1 | USUBJID) + (1 | ROW), transform(ld2(), ROW = seq_along(AVAL))),
    arg = "observations")
bad("fit_lmm", "crossed: negative weights",
    fit_lmm(AVAL ~ ARM + (1 | USUBJID) + (1 | SITE), ld2(), weights = rep(-1, nrow(ld2()))),
    arg = "weights")
bad("fit_lmm", "weights negative", fit_lmm(AVAL ~ ARM + (1 | USUBJID), ld(), weights = rep(-1, nrow(ld()))), arg = "weights")
bad("fit_lmm", "weights zero", fit_lmm(AVAL ~ ARM + (1 | USUBJID), ld(), weights = rep(0, nrow(ld()))), arg = "weights")
bad("fit_lmm", "weights NA", fit_lmm(AVAL ~ ARM + (1 | USUBJID), ld(), weights = c(NA, rep(1, nrow(ld()) - 1))), arg = "weights")
bad("fit_lmm", "weights character", fit_lmm(AVAL ~ ARM + (1 | USUBJID), ld(), weights = rep("a", nrow(ld()))), arg = "weights")
bad("fit_lmm", "weights wrong length", fit_lmm(AVAL ~ ARM + (1 | USUBJID), ld(), weights = c(1, 2)), arg = "weights")
bad("fit_lmm", "weights unknown column", fit_lmm(AVAL ~ ARM + (1 | USUBJID), ld(), weights = "NOPE"), arg = "weights")
bad("lmm_design", "weights Inf", lmm_design(lmm_parse_formula(AVAL ~ ARM + (1 | USUBJID)), ld(),
                                           weights = c(Inf, rep(1, nrow(ld()) - 1))), arg = "weights")
bad("lmm_control", "max_iter zero", lmm_control(max_iter = 0), arg = "max_iter")
bad("lmm_control", "grad_tol negative", lmm_control(grad_tol = -1), arg = "grad_tol")
bad("lmm_control", "singular_tol NA", lmm_control(singular_tol = NA), arg = "singular_tol")
bad("lmm_parse_formula", "one-sided formula", lmm_parse_formula(~ ARM + (1 | USUBJID)), arg = "formula")
bad("lmm_parse_formula", "a string", lmm_parse_formula("AVAL ~ ARM"), arg = "formula")
bad("lmm_parse_formula", "empty grouping", lmm_parse_formula(AVAL ~ ARM + (1 | 1)), arg = "grouping")
bad("lmm_design", "parsed not from lmm_parse_formula()", lmm_design(list(), ld()), arg = "parsed")
bad("lmm_design", "data without the columns", lmm_design(lmm_parse_formula(AVAL ~ ARM + (1 | USUBJID)),
    data.frame(x = 1)), arg = "data")
bad("lmm_contrast", "L with the wrong number of columns", lmm_contrast(bad_fixtures("lmm"), L = c(1, 2)), arg = "L")
bad("lmm_contrast", "L character", lmm_contrast(bad_fixtures("lmm"), L = "a"), arg = "L")
bad("lmm_contrast", "object not an lmm", lmm_contrast(lm(AVAL ~ ARM, ld()), L = 1), arg = "object")
bad("lmm_contrast", "unknown ddf", lmm_contrast(bad_fixtures("lmm"), L = c(0, 1, 0, 0), ddf = "KR"), arg = "ddf")
# fixef(), ranef(), VarCorr() (nlme) and tidy(), glance() (generics) are
# re-exported generics: for objects without a method the owner's dispatch error
# ("no applicable method") is the documented outcome.
bad("fixef", "non-model: the nlme generic's dispatch error", fixef(1:3), class = "error")
bad("fixef", "LMM fit", fixef(bad_fixtures("lmm")), class = "ok",
    check = function(r) is.numeric(r) && length(r) == 4)
bad("ranef", "non-model: the nlme generic's dispatch error", ranef("a"), class = "error")
bad("ranef", "LMM fit", ranef(bad_fixtures("lmm")), class = "ok",
    check = function(r) nrow(r) == 20)
bad("VarCorr", "non-model: the nlme generic's dispatch error", VarCorr(list()), class = "error")
bad("VarCorr", "MMRM fit", VarCorr(bad_fixtures("mmrm")), class = "ok",
    check = function(r) all(dim(r) == 3))
bad("tidy", "LMM with an unknown ddf", tidy(bad_fixtures("lmm"), ddf = "KR"), arg = "ddf")
bad("tidy", "LMM with conf.level NA", tidy(bad_fixtures("lmm"), conf.int = TRUE, conf.level = NA),
    arg = "conf.level")
bad("tidy", "conf.int a string", tidy(bad_fixtures("mmrm"), conf.int = "yes"), arg = "conf.int")
bad("tidy", "a glycotrial MMRM is tidied", tidy(bad_fixtures("mmrm")), class = "ok",
    check = function(r) is.data.frame(r) && nrow(r) > 0)
bad("tidy", "unsupported conf_level", tidy(bad_fixtures("mmrm"), conf.int = TRUE, conf.level = 2),
    arg = "conf.level")
bad("augment", "newdata a number", augment(bad_fixtures("mmrm"), newdata = 3), arg = "newdata")
bad("augment", "se_fit NA", augment(bad_fixtures("mmrm"), se_fit = NA), arg = "se_fit")
bad("augment", "an MMRM is augmented", augment(bad_fixtures("mmrm")), class = "ok",
    check = function(r) is.data.frame(r) && nrow(r) > 0)
bad("glance", "a glycotrial MMRM is glanced", glance(bad_fixtures("mmrm")), class = "ok",
    check = function(r) is.data.frame(r) && nrow(r) == 1)
bad("fit_joint", "data a list", fit_joint(as.list(adlb)), arg = "data")
bad("fit_joint", "empty data", fit_joint(adlb[0, ]), arg = "data")
bad("fit_joint", "params of length 1", fit_joint(adlb, params = "HBA1C"), arg = "params")
bad("fit_joint", "param absent from the data", fit_joint(adlb, params = c("HBA1C", "NOPE")), arg = "NOPE")
bad("fit_joint", "subject column missing", fit_joint(adlb, subject = "SUBJ"), arg = "SUBJ")
bad("fit_joint", "unknown transform", fit_joint(adlb, transform = "sqrt"), arg = "transform")
bad("fit_joint", "target_visit absent", fit_joint(adlb, target_visit = 999), arg = "target_visit")
bad("fit_joint", "conf_level 95", fit_joint(adlb, conf_level = 95), arg = "conf_level")
bad("fit_joint", "dose_reduction above 1", fit_joint(adlb, dose_reduction = 2), arg = "dose_reduction")
bad("joint_bootstrap", "fit a list", joint_bootstrap(list()), arg = "fit")
bad("joint_bootstrap", "fit_lmm() fit, not a joint fit", joint_bootstrap(bad_fixtures("lmm"), n_boot = 10, seed = 1), arg = "fit")
bad("power_trial", "n negative", power_trial(n = c(-5, 10), effect = -0.5, nsim = 2), arg = "n")
bad("power_trial", "nsim zero", power_trial(n = c(10, 10), effect = -0.5, nsim = 0), arg = "nsim")
bad("power_trial", "effect NA", power_trial(n = c(10, 10), effect = NA, nsim = 2), arg = "effect")
bad("power_trial", "alpha 5", power_trial(n = c(10, 10), effect = -0.5, nsim = 2, alpha = 5), arg = "alpha")
bad("power_trial", "unknown endpoint", power_trial(n = c(10, 10), effect = -0.5, nsim = 2, endpoint = "x"),
    arg = "endpoint")
bad("mmrm_data_chunks", "x a number", mmrm_data_chunks(3), arg = "x")
bad("mmrm_data_chunks", "empty list", mmrm_data_chunks(list()), arg = "x")
bad("mmrm_data_chunks", "levels unnamed", mmrm_data_chunks(list(md()), levels = list("a")), arg = "levels")
bad("mmrm_data_chunks", "chunks with different columns",
    mmrm_fit(us_f, mmrm_data_chunks(list(md()[1:30, ], md()[31:72, -1]))), arg = "USUBJID")
bad("mmrm_data_csv", "file does not exist", mmrm_data_csv(file.path(tempdir(), "no-such-file.csv")), arg = "files")
bad("mmrm_data_csv", "files numeric", mmrm_data_csv(3), arg = "files")
bad("mmrm_data_csv", "chunk_rows zero", {
      f <- tempfile(fileext = ".csv")
      on.exit(unlink(f))
      utils::write.csv(md(), f, row.names = FALSE)
      mmrm_data_csv(f, chunk_rows = 0)
    }, arg = "chunk_rows")
bad("mmrm_data_parquet", "file does not exist",
    mmrm_data_parquet(file.path(tempdir(), "no-such-file.parquet")), arg = "files")
bad("mmrm_data_parquet", "files numeric", mmrm_data_parquet(3), arg = "files")
bad("mmrm_data_parquet", "levels unnamed", {
      f <- tempfile(fileext = ".parquet")
      on.exit(unlink(f))
      file.create(f)
      mmrm_data_parquet(f, levels = list("a"))
    }, arg = "levels")
bad("mmrm_data_dbi", "con not a connection", mmrm_data_dbi("db", "t"), arg = "con")
bad("mmrm_data_dbi", "table NA", {
      con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
      on.exit(DBI::dbDisconnect(con))
      mmrm_data_dbi(con, NA_character_)
    }, arg = "table")
bad("mmrm_data_dbi", "table absent", {
      con <- DBI::dbConnect(RSQLite::SQLite(), ":memory:")
      on.exit(DBI::dbDisconnect(con))
      mmrm_data_dbi(con, "no_such_table")
    }, arg = "table")
bad("mmrm_moments", "formula a string", mmrm_moments("CHG ~ ARM", md()), arg = "formula")
bad("mmrm_moments", "chunk a number", mmrm_moments(us_f, 3), class = "glycotrial_error_chunk")
bad("mmrm_moments", "levels unnamed", mmrm_moments(us_f, md(), levels = list("a")), arg = "levels")
bad("mmrm_moments", "pilot a number", mmrm_moments(us_f, md(), pilot = 1), arg = "pilot")
bad("merge_moments", "nothing to merge", merge_moments())
bad("merge_moments", "not a moments object", merge_moments(list(3)),
    class = "glycotrial_error_moments_version")

# --- multiple imputation / output ---------------------------------------------------------
mi_d <- mi_example_data(n = 12, seed = 2)
bad("mi_example_data", "n too small", mi_example_data(n = 2), arg = "n")
bad("mi_example_data", "dropout above 1", mi_example_data(dropout = 2), arg = "dropout")
bad("mi_example_vars", "no arguments: the standard names", mi_example_vars(),
    class = "ok", check = function(r) identical(r$subjid, "USUBJID"))
bad("mi_condmean", "covariance not a string", mi_condmean(covariance = 1), arg = "covariance")
bad("mi_reference_based", "data not a data frame", mi_reference_based(1, mi_example_vars()), arg = "data")
bad("mi_reference_based", "ICE visit not a visit",
    mi_reference_based(mi_d, mi_example_vars(),
                       data.frame(USUBJID = mi_d$USUBJID[1], AVISIT = "WEEK99", strategy = "JR"),
                       reference = c(TRT = "PBO")),
    class = "glycotrial_error_mi_visit", arg = "WEEK99")
bad("mi_bmlmi", "B below 2", mi_bmlmi(B = 1), arg = "B")
bad("mi_bmlmi", "D not a number", mi_bmlmi(D = "2"), arg = "D")
bad("mi_approxbayes", "n_samples below 2", mi_approxbayes(n_samples = 1), arg = "n_samples")
bad("mi_approxbayes", "covariance not a string", mi_approxbayes(covariance = 1), arg = "covariance")
bad("mi_reference_based", "negative seed",
    mi_reference_based(mi_d, mi_example_vars(), method = mi_approxbayes(5), seed = -1), arg = "seed")
bad("register_mi_strategy", "fun not a function", register_mi_strategy("BAD_FUN", 3),
    class = "glycotrial_error")
bad("register_mi_strategy", "needs_reference NA",
    register_mi_strategy("BAD_FLAG", function(a, b, c) a, needs_reference = NA), arg = "needs_reference")
bad("mi_tipping_point", "x not an MI result", mi_tipping_point(1, deltas = 0), arg = "x")
bad("mi_imputed_data", "x not an MI result", mi_imputed_data(list()), arg = "x")
bad("mi_tipping_delta", "x not a tipping grid", mi_tipping_delta(data.frame(delta = 0)), arg = "x")
bad("mi_retrieved_dropout", "no retrieved outcome to estimate the off-treatment effect",
    mi_retrieved_dropout(mi_d, mi_example_vars(), attr(mi_d, "data_ice")),
    class = "glycotrial_error_mi_retrieved", arg = "retrieved")
bad("mi_composite", "one imputed data set only",
    mi_composite(list(adlb), adsl, treatment = "UC-MSC", control = "Placebo"),
    class = "glycotrial_error_mi_composite", arg = "imputed")
bad("report_estimands", "ctx not a report context", report_estimands(list()), arg = "ctx")
bad("mi_composite_impute", "PARAMCD not in adlb", mi_composite_impute(adlb, adsl, paramcd = "NOPE"),
    class = "glycotrial_error_mi_composite", arg = "NOPE")
# draw-based methods and strategy plugins (mibayes's exports, merged into estimand)
bad("mi_bmlmi", "one bootstrap sample", mi_bmlmi(B = 1), arg = "B")
bad("mi_approxbayes", "one imputation", mi_approxbayes(n_samples = 1), arg = "n_samples")
bad("register_mi_strategy", "strategy not a function", register_mi_strategy("bad_input_strategy", 1),
    arg = "function")
# intercurrent events from ADaM (R/mi_ice.R, R/mi_ice_check.R)
ice_sched <- data.frame(AVISIT = c("Week 4", "Week 8"), day = c(29, 57))
bad("mi_ice_schedule", "no such PARAMCD", mi_ice_schedule(adlb, "NOPE"),
    class = "glycotrial_error_mi_ice_schedule", arg = "NOPE")
bad("mi_ice_visit", "day as text", mi_ice_visit("5", ice_sched), arg = "day")
bad("mi_ice_from_discontinuation", "no reason column",
    mi_ice_from_discontinuation(adsl[, setdiff(names(adsl), "DCSREAS")], ice_sched),
    class = "glycotrial_error_mi_ice_column", arg = "DCSREAS")
bad("mi_ice_from_rescue", "no start day or date",
    mi_ice_from_rescue(data.frame(USUBJID = "A", RESCUEFL = "Y"), ice_sched),
    class = "glycotrial_error_mi_ice_day", arg = "ASTDY")
bad("mi_ice_combine", "not a data frame", mi_ice_combine(1), arg = "...")
bad("mi_ice_treatment_status", "ICE visit not a visit",
    mi_ice_treatment_status(mi_d, data.frame(USUBJID = "S001", AVISIT = "WEEK99")),
    class = "glycotrial_error_mi_visit", arg = "WEEK99")
bad("mi_ice_check", "subject not in the data",
    mi_ice_check(mi_d, mi_example_vars(), data.frame(USUBJID = "NOPE", AVISIT = "WEEK8", strategy = "JR"),
                 reference = c(TRT = "PBO")),
    class = "glycotrial_error_mi_subject", arg = "NOPE")
bad("mi_ice_set_missing", "visit not a factor",
    mi_ice_set_missing(transform(mi_d, AVISIT = as.character(AVISIT)), mi_example_vars(), NULL),
    arg = "AVISIT")
bad("as_ard", "a number", as_ard(1), class = "glycotrial_error")
bad("report_flextable", "a number", report_flextable(1), class = "glycotrial_error")

# --- safety -------------------------------------------------------------------------------
bad("ae_vars", "subject NA", ae_vars(subject = NA_character_), arg = "subject")
bad("ae_vars", "arm numeric", ae_vars(arm = 1), arg = "arm")
bad("teae_window", "unknown method", teae_window(method = "x"), arg = "method")
bad("teae_window", "lag negative", teae_window(lag = -1), arg = "lag")
bad("teae_window", "lag NA", teae_window(lag = NA), arg = "lag")
bad("lab_vars", "post_day string", lab_vars(post_day = "1"), arg = "post_day")
bad("lab_vars", "aval of length 2", lab_vars(aval = c("AVAL", "X")), arg = "aval")
bad("aesi_terms", "unknown key", aesi_terms("nope"))
bad("aesi_terms", "numeric key", aesi_terms(1), arg = "key")
bad("register_aesi", "terms numeric", register_aesi("bi_aesi", terms = 1), arg = "terms")
bad("register_aesi", "key with a space", register_aesi("a b", terms = "Nausea"), arg = "key")
bad("register_aesi", "no terms and no socs", register_aesi("bi_aesi2"), arg = "term")
bad("register_lab_grading", "rules not a data frame", register_lab_grading("bi_grade", rules = 3), arg = "rules")
bad("register_lab_grading", "rules lacking columns", register_lab_grading("bi_grade2", rules = data.frame(x = 1)),
    arg = "rules")
bad("grade_lab", "adlb a list", grade_lab(as.list(adlb)), arg = "adlb")
bad("grade_lab", "unknown scheme", grade_lab(adlb, scheme = "nope"))
bad("grade_lab", "AVAL column missing", grade_lab(adlb, aval = "NOPE"), arg = "NOPE")
bad("grade_lab", "character AVAL", grade_lab(transform(adlb, AVAL = as.character(AVAL))), arg = "AVAL")
bad("grade_lab", "missing_range unknown", grade_lab(adlb, missing_range = "x"), arg = "missing_range")
bad("grade_lab", "empty data", grade_lab(adlb[0, ]), class = "ok")
bad("grade_lab", "Inf ALT is graded (grade 4), not dropped",
    grade_lab(transform(bad_fixtures("adlb_lab"), AVAL = replace(AVAL, PARAMCD == "ALT", Inf))), class = "ok",
    check = function(r) all(r$ATOXGRH[r$PARAMCD == "ALT"] == 4))
bad("grade_lab", "NaN ALT is not graded", grade_lab(transform(bad_fixtures("adlb_lab"),
    AVAL = replace(AVAL, PARAMCD == "ALT", NaN))), class = "ok",
    check = function(r) all(is.na(r$ATOXGRH[r$PARAMCD == "ALT"])))
bad("grade_lab", "parameter without a reference range warns",
    grade_lab(transform(adlb[adlb$PARAMCD == "GLUC", ], ANRLO = NA_real_)),
    class = "glycotrial_warning_missing_range")
bad("lab_worst_grade", "adsl NULL", lab_worst_grade(bad_fixtures("graded"), NULL), arg = "adsl")
bad("lab_worst_grade", "adlb not graded", lab_worst_grade(adlb, adsl), arg = "adlb")
bad("lab_worst_grade", "unknown direction", lab_worst_grade(bad_fixtures("graded"), adsl, direction = "up"),
    arg = "direction")
bad("lab_shift", "adsl without ARM", lab_shift(bad_fixtures("graded"), adsl[, -5]), arg = "adsl")
bad("lab_shift", "unknown direction", lab_shift(bad_fixtures("graded"), adsl, direction = "x"), arg = "direction")
bad("lab_trajectory", "paramcd absent", lab_trajectory(adlb, adsl, paramcd = "NOPE"), arg = "paramcd")
bad("lab_trajectory", "paramcd missing", lab_trajectory(adlb, adsl), arg = "paramcd")
bad("lab_trajectory", "unknown value", lab_trajectory(adlb, adsl, "ALT", value = "x"), arg = "value")
bad("hys_law", "thresholds negative", hys_law(adlb, adsl, at_threshold = -1), arg = "at_threshold")
bad("hys_law", "paramcd unnamed", hys_law(adlb, adsl, paramcd = c("ALT", "AST")), arg = "paramcd")
bad("hys_law", "adlb NULL", hys_law(NULL, adsl), arg = "adlb")
bad("egfr_decline", "thresholds character", egfr_decline(adlb, adsl, thresholds = "30"), arg = "thresholds")
bad("egfr_decline", "paramcd absent", egfr_decline(adlb, adsl, paramcd = "NOPE"), arg = "NOPE")
bad("egfr_decline", "conf_level 0", egfr_decline(adlb, adsl, conf_level = 0), arg = "conf_level")
bad("ae_overview", "adae a matrix", ae_overview(as.matrix(st()$adae), st()$adsl), arg = "adae")
bad("ae_overview", "subject column missing", ae_overview(st()$adae, st()$adsl, vars = ae_vars(subject = "SUBJ")),
    arg = "SUBJ")
bad("ae_overview", "ref_arm not an arm", ae_overview(st()$adae, st()$adsl, ref_arm = "Z"), arg = "ref_arm")
bad("ae_overview", "subject not in adsl", ae_overview(rbind(st()$adae, transform(st()$adae[1, ], USUBJID = "S99")),
    st()$adsl, unmatched = "error"), class = "glycotrial_error_unmatched_subjects", arg = "adae")
bad("ae_overview", "teae not a window", ae_overview(st()$adae, st()$adsl, teae = "flag"), arg = "teae")
bad("ae_overview", "empty adae", ae_overview(st()$adae[0, ], st()$adsl), class = "ok")
bad("ae_by_term", "unknown by", ae_by_term(st()$adae, st()$adsl, by = "x"), arg = "by")
bad("ae_by_term", "min_pct 200", ae_by_term(st()$adae, st()$adsl, min_pct = 200), arg = "min_pct")
bad("ae_by_term", "unknown rd_method", ae_by_term(st()$adae, st()$adsl, rd_method = "x"), arg = "rd_method")
bad("ae_by_term", "adsl empty", ae_by_term(st()$adae, st()$adsl[0, ]), arg = "adsl")
bad("ae_special_interest", "unknown aesi", ae_special_interest(adae, adsl, aesi = "nope"), arg = "aesi")
bad("ae_special_interest", "per zero", ae_special_interest(adae, adsl, per = 0), arg = "per")
bad("ae_special_interest", "exposure a string", ae_special_interest(adae, adsl, aesi = "hepatic", exposure = "x"), arg = "adsl")
bad("ae_special_interest", "no aesi named (built-in groups only when asked)", ae_special_interest(adae, adsl), arg = "aesi")
bad("ae_time_to_first", "times negative", ae_time_to_first(adae, adsl, times = -1), arg = "times")
bad("ae_time_to_first", "unknown aesi", ae_time_to_first(adae, adsl, aesi = "nope"), arg = "aesi")
bad("ae_time_to_first", "terms numeric", ae_time_to_first(adae, adsl, terms = 3), arg = "terms")
bad("infusion_reactions", "window reversed", infusion_reactions(adae, adsl, adex, window = c(2, 0)), arg = "window")
bad("infusion_reactions", "adex NULL", infusion_reactions(adae, adsl, NULL), arg = "adex")
bad("infusion_reactions", "ex_day column missing", infusion_reactions(adae, adsl, adex, ex_day = "NOPE"),
    arg = "NOPE")
bad("infusion_fever", "advs NULL", infusion_fever(NULL, adsl, adex), arg = "advs")
bad("infusion_fever", "window reversed", infusion_fever(adlb, adsl, adex, window = c(2, 0)), arg = "window")
bad("infusion_fever", "unknown unit", infusion_fever(adlb, adsl, adex, unit = "weeks"), arg = "unit")
bad("infusion_fever", "time column missing", infusion_fever(adlb, adsl, adex, vs_time = "NOPE"), arg = "NOPE")
fever_days <- function() {
  list(adsl = data.frame(USUBJID = "D1", ARM = "A", SAFFL = "Y"),
       adex = data.frame(USUBJID = "D1", EXINFNO = 1, ASTDY = 1, ASTTM = "08:00"),
       advs = data.frame(USUBJID = "D1", PARAMCD = "TEMP", AVAL = c(40.5, 40.6), ADY = 2:3,
                         ATM = c("08:00", "09:00"), ADTM = as.POSIXct("2024-01-02", tz = "UTC")))
}
fd <- function(advs = fever_days()$advs, ...) {
  d <- fever_days()
  infusion_fever(advs, d$adsl, d$adex, unit = "days", window = c(0, 5), vs_time = "ADY",
                 ex_time = "ASTDY", ...)
}
bad("infusion_fever", "vs_clock column missing", fd(vs_clock = "NOPE"), arg = "NOPE")
bad("infusion_fever", "ex_clock column missing", fd(ex_clock = "NOPE"), arg = "NOPE")
bad("infusion_fever", "vs_clock not a string", fd(vs_clock = 3), arg = "vs_clock")
bad("infusion_fever", "vs_clock with date-times", infusion_fever(fever_days()$advs, fever_days()$adsl,
    transform(fever_days()$adex, ASTDTM = as.POSIXct("2024-01-01 08:00", tz = "UTC")), vs_clock = "ATM"),
    arg = "ATM")
bad("infusion_fever", "vs_clock missing value", fd(transform(fever_days()$advs, ATM = c("08:00", NA)),
    vs_clock = "ATM"), arg = "ATM")
bad("infusion_fever", "vs_clock 25:00", fd(transform(fever_days()$advs, ATM = c("08:00", "25:00")),
    vs_clock = "ATM"), arg = "ATM")
bad("infusion_fever", "vs_clock minutes 75", fd(transform(fever_days()$advs, ATM = c("08:75", "09:00")),
    vs_clock = "ATM"), arg = "ATM")
bad("infusion_fever", "vs_clock numeric", fd(transform(fever_days()$advs, ATM = c(8, 9)),
    vs_clock = "ATM"), arg = "ATM")
bad("infusion_fever", "vs_clock as difftime works", fd(transform(fever_days()$advs,
    ATM = as.difftime(c(8, 9), units = "hours")), vs_clock = "ATM", ex_clock = "ASTTM"), class = "ok",
    check = function(r) isTRUE(r$data$subjects$fever_hours == 25) && r$data$subjects$grade == 4)
bad("eair", "events negative", eair(-1, 10), arg = "events")
bad("eair", "time_at_risk zero", eair(1, 0), arg = "time_at_risk")
bad("eair", "time NA", eair(1, NA), arg = "time_at_risk")
bad("eair", "per string", eair(1, 10, per = "100"), arg = "per")
bad("eair", "huge events (beyond the exact quantiles) is refused", eair(1e300, 1), arg = "events")
bad("eair_diff", "time2 Inf", eair_diff(1, 10, 1, Inf), arg = "time2")
bad("eair_diff", "unknown method", eair_diff(1, 10, 1, 10, method = "x"), arg = "method")
bad("eair_diff", "events1 fraction", eair_diff(1.5, 10, 1, 10), arg = "events1")

# --- tables, plots, report ---------------------------------------------------------------
bad("baseline_table", "adsl a list", baseline_table(as.list(adsl)), arg = "adsl")
bad("baseline_table", "variable missing is skipped with a warning", baseline_table(adsl, vars = "NOPE"),
    class = "glycotrial_warning_missing_column")
bad("baseline_table", "digits negative", baseline_table(adsl, digits = -1), arg = "digits")
bad("baseline_table", "total NA", baseline_table(adsl, total = NA), arg = "total")
bad("baseline_table", "empty adsl gives an empty table", baseline_table(adsl[0, ]), class = "ok")
bad("disposition_table", "adsl NULL", disposition_table(NULL), arg = "adsl")
bad("disposition_table", "status column missing", disposition_table(adsl, status = "NOPE"), arg = "NOPE")
bad("disposition_table", "flags unnamed", disposition_table(adsl, flags = "SAFFL"), arg = "flags")
bad("check_trial_data", "adsl NULL", check_trial_data(NULL, adlb, adae, adex), arg = "adsl")
bad("check_trial_data", "unknown arms", check_trial_data(adsl, adlb, adae, adex, arms = c("X", "Y")), arg = "arms")
bad("check_trial_data", "adlb without PARAMCD", check_trial_data(adsl, adlb[, -6], adae, adex), arg = "adlb")
bad("responder_table", "x a data frame", responder_table(data.frame(x = 1)), arg = "x")
bad("responder_table", "digits string", responder_table(responder_analysis(derive_responders(adlb, adsl)), digits = "1"),
    arg = "digits")
bad("report_table", "x a number", report_table(3), arg = "x")
bad("report_table", "unknown format", report_table(data.frame(a = 1), format = "pdf"), arg = "format")
bad("report_table", "digits NA", report_table(data.frame(a = 1), digits = NA), arg = "digits")
bad("render_trial_report", "adsl a list", render_trial_report(adsl = list()), arg = "adsl")
bad("render_trial_report", "unknown section", render_trial_report(params = list(sections = "nope")), arg = "nope")
bad("report_context", "data not a string", report_context(list(data = 3)), arg = "params$data")
bad("report_context", "arm column absent", report_context(list(arm_var = "NOPE")), arg = "NOPE")
bad("report_context", "control not an arm", report_context(list(control = "Sham")), arg = "Sham")
bad("report_context", "AESI group unknown", report_context(list(aesi = "nope")), arg = "nope")
bad("report_sections", "ctx a number", report_sections(3), arg = "ctx")
bad("format_pvalue", "p a string", format_pvalue("0.1"), arg = "p")
bad("format_pvalue", "alpha above 1", format_pvalue(0.1, alpha = 2), arg = "alpha")
bad("format_pvalue", "digits negative", format_pvalue(0.1, digits = -1), arg = "digits")
bad("glycaemic_composite", "reduction above 1", glycaemic_composite(reduction = 2), arg = "reduction")
bad("glycaemic_composite", "marker NA", glycaemic_composite(marker = NA_character_), arg = "marker")
bad("glycaemic_composite", "dose_unit a number", glycaemic_composite(dose_unit = 3), arg = "dose_unit")
bad("render_trial_report", "unknown format", render_trial_report(output_format = "pdf"), arg = "output_format")
bad("render_trial_report", "params not a list", render_trial_report(params = 3), arg = "params")
bad("render_trial_report", "output_file NA", render_trial_report(output_file = NA_character_), arg = "output_file")
bad("plot_trajectories", "data NULL", plot_trajectories(NULL), arg = "data")
bad("plot_trajectories", "paramcd absent", plot_trajectories(adlb, paramcd = "NOPE"), arg = "NOPE")
bad("plot_trajectories", "value column missing", plot_trajectories(adlb, value = "NOPE"), arg = "NOPE")
bad("plot_trajectories", "spaghetti NA", plot_trajectories(adlb, spaghetti = NA), arg = "spaghetti")
bad("plot_ogtt_curves", "data a list", plot_ogtt_curves(list()), arg = "data")
bad("plot_ogtt_curves", "time column missing", plot_ogtt_curves(adlb, time = "NOPE"), arg = "NOPE")
bad("plot_ogtt_curves", "visits absent", plot_ogtt_curves(adlb, visits = "Week 999"), arg = "visits")
bad("glycotrial_palette", "n negative", glycotrial_palette(-1), arg = "n")
bad("glycotrial_palette", "n string", glycotrial_palette("3"), arg = "n")
bad("glycotrial_palette", "n beyond the palette", glycotrial_palette(1000), arg = "n")
bad("theme_glycotrial", "base_size string", theme_glycotrial(base_size = "11"), arg = "base_size")
bad("theme_glycotrial", "base_size negative", theme_glycotrial(base_size = -1), arg = "base_size")
bad("scale_colour_glycotrial", "unknown argument: ggplot2's own error (arguments pass through)",
    scale_colour_glycotrial(bogus = 1), class = "error")
bad("scale_colour_glycotrial", "no arguments", scale_colour_glycotrial(), class = "ok")
bad("scale_fill_glycotrial", "no arguments", scale_fill_glycotrial(), class = "ok")

# --- the driver --------------------------------------------------------------------------

prop_ci_methods_all <- function() glycotrial:::prop_ci_methods

run_case <- function(cs) {
  env <- new.env(parent = environment())
  # The extreme values used here are also physiologically implausible; that
  # warning (test-plausibility.R) is judged only where a case asks for it.
  if (!startsWith(cs$class, "glycotrial_warning_implausible")) {
    op <- options(glycotrial.check_plausibility = FALSE)
    on.exit(options(op))
  }
  # The first error or warning ends the call and is what the case is judged on.
  tryCatch(list(value = eval(cs$expr, env), cond = NULL),
           error = function(e) list(value = NULL, cond = e),
           warning = function(w) list(value = NULL, cond = w))
}

setup_kind <- function() {
  register_plugin_kind(plugin_kind, validate = function(impl, meta) {
    if (!is.function(impl)) stop("impl must be a function")
  })
}

test_that("the bad-input matrix is large enough", {
  expect_gte(length(bad_cases), 100)
})

for (fun in unique(vapply(bad_cases, `[[`, "", "fun"))) {
  test_that(paste0(fun, "() meets malformed input with a classed condition"), {
    setup_kind()
    for (cs in Filter(function(x) x$fun == fun, bad_cases)) {
      label <- paste0(fun, ": ", cs$what)
      res <- run_case(cs)
      if (identical(cs$class, "ok")) {
        expect(is.null(res$cond),
               sprintf("%s: expected success, got %s: %s", label,
                       paste(class(res$cond), collapse = "/"),
                       if (!is.null(res$cond)) conditionMessage(res$cond) else ""))
        if (is.null(res$cond) && !is.null(cs$check)) {
          expect(isTRUE(cs$check(res$value)), sprintf("%s: result check failed", label))
        }
      } else {
        got <- if (is.null(res$cond)) "no condition" else
          paste0(paste(class(res$cond), collapse = "/"), ": ", conditionMessage(res$cond))
        expect(inherits(res$cond, cs$class),
               sprintf("%s: expected class %s, got %s", label, cs$class, got))
        if (startsWith(cs$class, "glycotrial_error")) {
          # Every error names something and is a glycotrial error.
          expect(inherits(res$cond, "glycotrial_error"), sprintf("%s: not a glycotrial_error", label))
        }
        if (!is.null(cs$arg) && !is.null(res$cond)) {
          expect(grepl(cs$arg, conditionMessage(res$cond), fixed = TRUE),
                 sprintf("%s: the message does not name %s: %s", label, cs$arg, got))
        }
      }
    }
  })
}

test_that("every exported function appears in the bad-input matrix", {
  exports <- sort(getNamespaceExports("glycotrial"))
  exports <- exports[!grepl("^print\\.|^format\\.|^\\.__", exports)]
  covered <- unique(vapply(bad_cases, `[[`, "", "fun"))
  missing <- setdiff(exports, covered)
  # A new export must come with its bad-input cases (add them above).
  expect(length(missing) == 0,
         paste("exports without bad-input cases:", paste(missing, collapse = ", ")))
})
