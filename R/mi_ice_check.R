# Rules an intercurrent-event table must satisfy against the data (rbmi's
# rules), shared by mi_problem() and the exported mi_ice_check(), and
# mi_ice_set_missing() for rbmi's treatment of post-ICE data.

# Strategies whose plugin needs a reference arm (JR, CR, CIR and user
# strategies registered so): named in `reference` (the subject's arm or the
# arm is itself a reference) or per subject in data_ice$reference.
mi_strategy_needs_reference <- function(strategy) {
  vapply(strategy, function(s) isTRUE(get_plugin("mi_strategy", s)$meta$needs_reference), logical(1),
         USE.NAMES = FALSE)
}

mi_ice_need_reference <- function(strategy, needs, has_ref, subjects, arm_of, arms,
                                  call = rlang_caller()) {
  no_ref <- needs & !has_ref
  if (!any(no_ref)) return(invisible())
  i <- which(no_ref)[1]
  glycotrial_abort(c("Subject {.val {subjects[i]}} (arm {.val {arm_of[i]}}) has strategy {.val {strategy[i]}}, which needs a reference arm, and none was given for that arm.",
                     "i" = "Name the arm in {.arg reference}, e.g. {.code reference = c({arm_of[i]} = \"{arms[1]}\")}, or add a {.code reference} column to {.arg data_ice}."),
                   class = c("glycotrial_error_mi_reference", "glycotrial_error_input"), call = call)
}

# Observed outcomes at or after an event handled by a non-MAR strategy.
mi_ice_post_error <- function(subjects, call = rlang_caller()) {
  if (!length(subjects)) return(invisible())
  s1 <- unique(as.character(subjects))
  glycotrial_abort(c("Subject{?s} {.val {s1}} ha{?s/ve} outcomes observed at or after an intercurrent event with a non-MAR strategy.",
                     "i" = "rbmi's rule: such values are not used to fit the imputation model. Use {.code post_ice = \"exclude\"} in {.fn mi_reference_based} for that (they stay in the analysis), set them to {.code NA} with {.fn mi_ice_set_missing} to impute them, or give those subjects the strategy {.val MAR}."),
                   class = c("glycotrial_error_mi_post_ice", "glycotrial_error_input"), call = call)
}

# Per row of `data`: is it at or after the subject's event under a non-MAR
# strategy? (`ice` from mi_check_ice().)
mi_ice_post_rows <- function(data, vars, ice) {
  j <- match(as.character(data[[vars$subjid]]), ice$subject)
  !is.na(j) & ice$strategy[j] != "MAR" & as.integer(data[[vars$visit]]) >= ice$visit_index[j]
}

mi_ice_prepare <- function(data, vars, data_ice, call) {
  check_data_frame(data, call = call)
  vars <- mi_check_vars(vars, data)
  if (!is.factor(data[[vars$visit]])) {
    glycotrial_abort("{.code data${vars$visit}} must be a factor whose levels are the visits in time order; found {.cls {class(data[[vars$visit]])}}.",
                     call = call)
  }
  ice <- mi_check_ice(data_ice, vars, unique(as.character(data[[vars$subjid]])),
                      levels(data[[vars$visit]]))
  list(vars = vars, ice = ice)
}

#' Check an intercurrent-event table against the data
#'
#' Applies the rules [mi_reference_based()] applies (rbmi's rules for
#' `data_ice`) without fitting anything: every event's visit is a visit level,
#' every subject is in the data, one event per subject, a known strategy,
#' a reference arm for `JR`, `CR` and `CIR`, and no observed outcome at or
#' after an event handled by a non-MAR strategy. Each violation is a classed
#' error naming the subject and what to do.
#'
#' @inheritParams mi_reference_based
#' @return `data_ice`, invisibly.
#' @section Errors:
#' `glycotrial_error_mi_visit` (visit not a level), `glycotrial_error_mi_subject`
#' (subject not in the data), `glycotrial_error_mi_reference` (no reference arm),
#' `glycotrial_error_mi_post_ice` (observed values after a non-MAR event); all
#' also `glycotrial_error_input`.
#' @examples
#' d <- mi_example_data(n = 20, seed = 1)
#' mi_ice_check(d, mi_example_vars(), attr(d, "data_ice"), reference = c(TRT = "PBO"))
#' @export
mi_ice_check <- function(data, vars, data_ice, reference = NULL) {
  call <- sys.call()
  pr <- mi_ice_prepare(data, vars, data_ice, call)
  vars <- pr$vars; ice <- pr$ice
  grp <- as.character(data[[vars$group]])
  arms <- levels(factor(data[[vars$group]]))
  mi_check_reference(reference, arms)
  arm_of <- grp[match(ice$subject, as.character(data[[vars$subjid]]))]
  has_ref <- arm_of %in% c(names(reference), unname(reference))
  if (!is.null(ice$reference)) has_ref <- has_ref | !is.na(ice$reference)
  mi_ice_need_reference(ice$strategy, mi_strategy_needs_reference(ice$strategy), has_ref,
                        ice$subject, arm_of, arms, call = call)
  post <- mi_ice_post_rows(data, vars, ice) & !is.na(data[[vars$outcome]])
  mi_ice_post_error(data[[vars$subjid]][post], call = call)
  invisible(data_ice)
}

#' Set outcomes observed after a non-MAR intercurrent event to missing
#'
#' rbmi's rule for data after an event handled by `JR`, `CR`, `CIR` or
#' `LMCF`: they do not inform the imputation. This sets them to `NA` so they
#' are imputed under the strategy (the alternative, keeping them in the
#' analysis, is `post_ice = "exclude"` in [mi_reference_based()]).
#'
#' @inheritParams mi_reference_based
#' @return `data` with those outcomes `NA`; a message of class
#'   `glycotrial_message_mi_post_ice` names the subjects affected.
#' @examples
#' d <- mi_example_data(n = 20, seed = 1)
#' ice <- attr(d, "data_ice")
#' ice$AVISIT[1] <- "WEEK4"
#' d2 <- mi_ice_set_missing(d, mi_example_vars(), ice)
#' @export
mi_ice_set_missing <- function(data, vars, data_ice) {
  pr <- mi_ice_prepare(data, vars, data_ice, sys.call())
  out <- pr$vars$outcome
  post <- mi_ice_post_rows(data, pr$vars, pr$ice) & !is.na(data[[out]])
  if (any(post)) {
    s <- unique(as.character(data[[pr$vars$subjid]][post]))
    glycotrial_inform("{sum(post)} outcome{?s} observed after a non-MAR intercurrent event set to missing (subject{?s} {.val {s}}).",
                      class = "glycotrial_message_mi_post_ice")
    data[[out]][post] <- NA
  }
  data
}
