# The "index" plugin kind and the R-level metadata of the built-in indices.
# (This file sorts after registry.R, so its top-level calls find the registry.)
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
    extra <- meta_all[[key]] %or% list(family = "other", times = numeric())
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
