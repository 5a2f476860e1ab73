# The "index" plugin kind: built-in indices (compiled, registered from C++ at
# load and described here with their R-level metadata), indices from other
# packages (compiled, through inst/include/glycotrial/) and user indices
# written in R (register_index()). beta_cell_indices() and the single-index
# functions evaluate all of them through evaluate_index().

#' Register an index written in R
#'
#' Adds an index to the registry so that [beta_cell_indices()],
#' [evaluate_index()] and [glycotrial_plugins()] treat it exactly like a
#' built-in one: its inputs are found in ADaM data by quantity name, converted
#' to the units the function declares, checked for impossible values, and the
#' result carries the declared output unit. Compiled indices are registered
#' from C/C++ through `glycotrial_register_index()` in
#' `inst/include/glycotrial/glycotrial.h` (the built-ins use that same entry
#' point).
#'
#' Input names are quantities: `glucose`, `insulin`, `cpeptide` (fasting
#' values for `shape = "row"`, curves for `shape = "curve"`), `hba1c`,
#' `creatinine`, `age`, `sex` (1 = female), `weight`, `height`, `bmi`. Other
#' names are allowed with unit `"1"`; [beta_cell_indices()] then looks for a
#' column of that name.
#'
#' @param key Name of the index (letters, digits, `_`, `.`).
#' @param fun For `shape = "row"`, a vectorised function of the inputs (by
#'   name) returning one value per row. For `shape = "curve"`, a function of
#'   `time` (minutes) and the inputs for ONE curve, returning one number.
#' @param inputs Named character vector: quantity = unit the function expects.
#' @param output_unit Unit of the result (`"1"` if unitless).
#' @param shape `"row"` (one value per input row) or `"curve"` (one value per
#'   OGTT / meal curve).
#' @param times For curve indices, time points (min) the index needs; curves
#'   lacking one give `NA` with a warning.
#' @param description,reference,formula Metadata shown by
#'   [glycotrial_plugins()] and [index_info()].
#' @param overwrite Replace an existing index with the same key?
#' @param override_builtin Replace an index built into glycotrial (such as
#'   `"homa1_ir"`)? Needs `overwrite = TRUE` too; emits a message of class
#'   `glycotrial_message_builtin_override`.
#' @return The registry entry, invisibly.
#' @examples
#' register_index("tyg_like", function(glucose, insulin) log(glucose * insulin),
#'                inputs = c(glucose = "mg/dL", insulin = "uU/mL"),
#'                description = "log(G x I), a demonstration")
#' evaluate_index("tyg_like", list(glucose = 5.5, insulin = 10),
#'                units = c(glucose = "mmol/L"))
#' unregister_plugin("index", "tyg_like")
#' @inheritSection evaluate_index Overflow and underflow
#' @export
register_index <- function(key, fun, inputs, output_unit = "1", shape = c("row", "curve"),
                           times = numeric(), description = "", reference = NA_character_,
                           formula = NA_character_, overwrite = FALSE,
                           override_builtin = FALSE) {
  check_plugin_key(key)
  if (!is.function(fun)) {
    glycotrial_abort("{.arg fun} must be a function, not {describe_value(fun)}.")
  }
  shape <- check_choice(shape[1], c("row", "curve"), arg = "shape")
  if (!is.character(inputs) || !length(inputs) || is.null(names(inputs)) ||
      any(!nzchar(names(inputs))) || anyDuplicated(names(inputs))) {
    glycotrial_abort("{.arg inputs} must be a named character vector of units with unique names, e.g. {.code c(glucose = \"mmol/L\")}; found {describe_value(inputs)}.")
  }
  reserved <- intersect(names(inputs), c("curve_id", "time"))
  if (length(reserved)) {
    glycotrial_abort("{.arg inputs} must not contain {.val {reserved}}: curve indices receive {.arg time} automatically.")
  }
  factors <- default_unit_factors()
  units <- inputs
  for (q in names(inputs)) {
    if (q %in% names(unit_catalogue(factors))) {
      units[[q]] <- match_unit(inputs[[q]], q, factors, arg = paste0("inputs[\"", q, "\"]"))
    }
  }
  check_string(output_unit)
  check_number(times, lower = 0, len = NULL, arg = "times")
  args <- names(formals(fun))
  need <- c(if (shape == "curve") "time", names(inputs))
  if (!"..." %in% args && length(setdiff(need, args))) {
    glycotrial_abort("{.arg fun} must accept argument{?s} {.arg {setdiff(need, args)}}.")
  }
  meta <- list(inputs = units, output_unit = output_unit, shape = shape,
               times = as.numeric(times), formula = as.character(formula), family = "user")
  register_plugin("index", key, fun, description = description,
                  units = index_units_label(units, output_unit),
                  reference = reference, meta = meta, overwrite = overwrite,
                  override_builtin = override_builtin)
}

index_units_label <- function(inputs, output_unit) {
  factors <- default_unit_factors()
  cat <- unit_catalogue(factors)
  parts <- vapply(names(inputs), function(q) {
    also <- setdiff(names(cat[[q]]), inputs[[q]])
    also <- setdiff(also, c("1", "female=1"))
    if (q == "sex") return("sex [F/M or 1 = female]")
    paste0(q, " [", inputs[[q]], if (length(also)) paste0("; also ", paste(also, collapse = ", ")),
           "]")
  }, character(1))
  paste0(paste(parts, collapse = ", "), " -> ", output_unit)
}

#' Describe a registered index
#'
#' @param key Index key, e.g. `"homa1_ir"`.
#' @return A list with `key`, `shape` (`"row"` or `"curve"`), `inputs` (named
#'   native units), `accepted` (list of accepted units per input),
#'   `output_unit`, `times` (time points a curve index needs), `formula`,
#'   `description`, `reference`, `package` and `implementation`.
#' @examples
#' index_info("homa1_ir")
#' index_info("matsuda")$times
#' @export
index_info <- function(key) {
  check_string(key)
  e <- get_plugin("index", key)
  compiled <- inherits(e$impl, "glycotrial_compiled_plugin")
  meta <- e$meta
  if (compiled) {
    info <- cpp_compiled_index_info(key)
    all_in <- info$inputs
    shape <- if (length(all_in) >= 2 && names(all_in)[1] == "curve_id") "curve" else "row"
    inputs <- if (shape == "curve") all_in[-(1:2)] else all_in
    output_unit <- info$output_unit
  } else {
    shape <- meta$shape %||% "row"
    inputs <- meta$inputs
    output_unit <- meta$output_unit %||% "1"
  }
  cat <- unit_catalogue(default_unit_factors())
  accepted <- lapply(names(inputs), function(q) {
    if (q %in% names(cat)) names(cat[[q]]) else inputs[[q]]
  })
  names(accepted) <- names(inputs)
  list(key = key, shape = shape, inputs = inputs, accepted = accepted,
       output_unit = output_unit, times = meta$times %||% numeric(),
       formula = meta$formula %||% e$description, description = e$description,
       reference = e$reference, package = e$package,
       implementation = if (compiled) "C++" else "R", impl = e$impl)
}

# The "index" plugin kind and the R-level metadata of the built-in indices.
# Its top-level calls use the registry, hence the @include (Collate order).

#' @include plugins_registry.R
NULL

validate_index_plugin <- function(impl, meta) {
  if (!is.function(impl) && !inherits(impl, "glycotrial_compiled_plugin")) {
    stop("an index implementation must be an R function or a compiled plugin handle")
  }
  if (is.function(impl)) {
    inputs <- meta$inputs
    if (!is.character(inputs) || !length(inputs) || is.null(names(inputs)) ||
        any(!nzchar(names(inputs)))) {
      stop("an R index needs `inputs`: a named character vector of units")
    }
  }
  invisible(TRUE)
}

register_plugin_kind(
  "index", validate = validate_index_plugin,
  description = "Beta-cell function, insulin-sensitivity and glycaemia indices"
)


# R-level metadata of the built-in indices. The implementations are compiled
# plugins (src/core/indices/builtin.cpp) registered at load through the C
# entry point glycotrial_register_index_v1(); here each is registered again
# from R with its family, the time points it needs and its accepted units,
# so that glycotrial_plugins("index") shows them.

builtin_index_meta <- function() {
  m <- function(family, times = numeric()) list(family = family, times = times)
  list(
    homa1_ir = m("fasting"), homa1_b = m("fasting"), quicki = m("fasting"),
    glucose_insulin_ratio = m("fasting"), homa_ir_cp = m("fasting_cpeptide"),
    homa_b_cp = m("fasting_cpeptide"), homa_b_cp_normal = m("fasting_cpeptide"),
    cpi = m("fasting_cpeptide"), ohkura = m("fasting_cpeptide"),
    hba1c_ifcc = m("glycaemia"), hba1c_ngsp = m("glycaemia"), eag = m("glycaemia"),
    egfr_ckd_epi_2021 = m("kidney"),
    matsuda = m("ogtt", 0), matsuda_arithmetic = m("ogtt", 0),
    igi = m("ogtt", c(0, 30)), igi_cp = m("ogtt_cpeptide", c(0, 30)),
    di_oral = m("ogtt", c(0, 30)), di_oral_cp = m("ogtt_cpeptide", c(0, 30)),
    stumvoll_first_phase = m("ogtt", c(0, 30)), stumvoll_second_phase = m("ogtt", c(0, 30)),
    stumvoll_isi = m("ogtt", c(0, 120)), gutt = m("ogtt", c(0, 120)),
    ogis = m("ogtt", c(0, 90, 120)), ogis_180 = m("ogtt", c(0, 120, 180)),
    auc_total = m("auc_generic"), auc_incremental = m("auc_generic"),
    auc_net = m("auc_generic"),
    glucose_auc = m("auc"), glucose_iauc = m("auc"), glucose_auc_net = m("auc"),
    insulin_auc = m("auc"), insulin_iauc = m("auc"), insulin_auc_net = m("auc"),
    cpeptide_auc = m("auc_cpeptide"), cpeptide_iauc = m("auc_cpeptide"),
    cpeptide_auc_net = m("auc_cpeptide"), cpeptide_glucose_auc_ratio = m("auc_cpeptide")
  )
}

register_builtin_indices <- function() {
  core <- cpp_compiled_plugins()
  core <- core[core$kind == "index" & core$package == "glycotrial", , drop = FALSE]
  meta_all <- builtin_index_meta()
  for (key in cpp_indices_builtin_keys()) {
    row <- core[core$key == key, , drop = FALSE]
    if (!nrow(row)) next
    info <- cpp_compiled_index_info(key)
    all_in <- info$inputs
    shape <- if (names(all_in)[1] == "curve_id") "curve" else "row"
    inputs <- if (shape == "curve") all_in[-(1:2)] else all_in
    extra <- meta_all[[key]] %||% list(family = "other", times = numeric())
    meta <- list(inputs = inputs, output_unit = info$output_unit, shape = shape,
                 times = extra$times, formula = row$description, family = extra$family)
    register_plugin("index", key, compiled_plugin("index", key),
                    description = row$description,
                    units = index_units_label(inputs, info$output_unit),
                    reference = row$reference, package = "glycotrial", meta = meta,
                    overwrite = TRUE)
  }
  invisible(NULL)
}

add_builtin_plugins("indices", register_builtin_indices)
