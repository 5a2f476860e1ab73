# Rule builders for responder definitions: thresholds on a parameter's value,
# absolute or relative change from baseline, combined with AND / OR. A rule is
# data (class "glycotrial_rule"); derive_responders() evaluates it.

#' Responder rules: thresholds, change from baseline, AND / OR
#'
#' Build the definition of a responder from simple conditions on one
#' parameter (`PARAMCD`) at the analysis visit, and combine them.
#' \itemize{
#'   \item `threshold_rule()`: the value itself, e.g. HbA1c < 7.0 %.
#'   \item `change_rule()`: change from baseline, `type = "absolute"`
#'     (AVAL - BASE) or `"relative"` ((AVAL - BASE) / BASE, a fraction).
#'   \item `hba1c_below(7.0)` is `threshold_rule("HBA1C", "<", 7.0, unit = "%")`;
#'     `insulin_reduction(0.5)` is a relative change of the daily insulin dose
#'     (`INSDOSE`, U/day) of at most -0.5, i.e. reduced by at least 50 %.
#'   \item `composite(...)` (all conditions, AND) and `any_of(...)` (OR); rules
#'     can also be combined with `&` and `|`.
#' }
#' Missing components follow three-valued logic: a composite AND is `FALSE`
#' as soon as one component is `FALSE` (a known non-responder) and `NA` only
#' when no component is `FALSE` and some are missing; OR is the dual.
#'
#' Units: when a rule states `unit`, the data's unit column must match it
#' (case and spacing ignored) or, when `quantity` names a quantity known to
#' [convert_units()] (e.g. `"hba1c"`, `"glucose"`), values are converted;
#' otherwise derivation stops with a `glycotrial_error_units` error.
#'
#' @param paramcd Parameter code the condition applies to.
#' @param op Comparison: `"<"`, `"<="`, `">"`, `">="`.
#' @param value Threshold (in `unit`; a fraction for relative change).
#' @param unit Unit the threshold is expressed in (`NULL` = not checked).
#' @param quantity Optional quantity for unit conversion (see [convert_units()]).
#' @param type `"absolute"` or `"relative"` change from baseline.
#' @param name Column name of the component in the derived data.
#' @param label Human-readable description.
#' @param ... Rules to combine.
#' @param threshold HbA1c threshold (%).
#' @param fraction Minimum relative reduction of the insulin dose (0.5 = 50 %).
#' @return An object of class `glycotrial_rule`.
#' @examples
#' r <- composite(hba1c_below(7.0), insulin_reduction(0.5))
#' r
#' hba1c_below(7) | change_rule("HBA1C", "<=", -1, type = "absolute", unit = "%")
#' @name responder_rules
NULL

rule_ops <- c("<", "<=", ">", ">=")

leaf_rule <- function(kind, paramcd, op, value, unit, quantity, type, name, label, call) {
  check_string(paramcd, arg = "paramcd", call = call)
  op <- check_choice(op, rule_ops, arg = "op", call = call)
  check_number(value, arg = "value", call = call)
  if (!is.null(unit)) check_string(unit, arg = "unit", call = call)
  if (!is.null(quantity)) check_string(quantity, arg = "quantity", call = call)
  if (is.null(name)) {
    tag <- c("<" = "LT", "<=" = "LE", ">" = "GT", ">=" = "GE")[[op]]
    name <- paste0(paramcd, switch(kind, threshold = "", absolute = "_CHG", relative = "_PCHG"),
                   "_", tag, "_", format(value))
    name <- gsub("[^A-Za-z0-9_]", "", sub("-", "M", name, fixed = TRUE))
  }
  check_string(name, arg = "name", call = call)
  if (is.null(label)) {
    what <- switch(kind, threshold = paramcd, absolute = paste("change in", paramcd),
                   relative = paste("relative change in", paramcd))
    shown <- if (kind == "relative") paste0(format(100 * value), " %") else
      paste0(format(value), if (!is.null(unit)) paste0(" ", unit) else "")
    label <- paste(what, op, shown)
  }
  structure(list(kind = kind, paramcd = paramcd, op = op, value = value, unit = unit,
                 quantity = quantity, name = name, label = label),
            class = c("glycotrial_rule_leaf", "glycotrial_rule"))
}

#' @rdname responder_rules
#' @export
threshold_rule <- function(paramcd, op, value, unit = NULL, quantity = NULL, name = NULL,
                           label = NULL) {
  leaf_rule("threshold", paramcd, op, value, unit, quantity, NULL, name, label, sys.call())
}

#' @rdname responder_rules
#' @export
change_rule <- function(paramcd, op, value, type = c("absolute", "relative"), unit = NULL,
                        quantity = NULL, name = NULL, label = NULL) {
  type <- check_choice(type[1], c("absolute", "relative"), arg = "type", call = sys.call())
  leaf_rule(type, paramcd, op, value, unit, quantity, NULL, name, label, sys.call())
}

#' @rdname responder_rules
#' @export
hba1c_below <- function(threshold = 7.0, paramcd = "HBA1C") {
  check_number(threshold, lower = 0, upper = 100)
  threshold_rule(paramcd, "<", threshold, unit = "%", quantity = "hba1c", name = "HBA1C_RESP",
                 label = paste0("HbA1c < ", format(threshold), " %"))
}

#' @rdname responder_rules
#' @export
insulin_reduction <- function(fraction = 0.5, paramcd = "INSDOSE") {
  check_number(fraction, lower = 0, upper = 1, open = TRUE)
  change_rule(paramcd, "<=", -fraction, type = "relative", unit = "U/day", name = "INSDOSE_RESP",
              label = paste0("insulin dose reduced by >= ", format(100 * fraction), " %"))
}

combine_rules <- function(op, rules, name, label, call) {
  if (length(rules) < 1) glycotrial_abort("Give at least one rule to combine.", call = call)
  bad <- !vapply(rules, inherits, logical(1), "glycotrial_rule")
  if (any(bad)) {
    glycotrial_abort("Every argument must be a responder rule (see {.fn threshold_rule}); argument {which(bad)[1]} is {describe_value(rules[[which(bad)[1]]])}.",
                     call = call)
  }
  leaves <- rule_leaves(structure(list(op = op, rules = rules), class = "glycotrial_rule_node"))
  nm <- vapply(leaves, `[[`, character(1), "name")
  if (anyDuplicated(nm)) {
    glycotrial_abort("Component names must be unique; {.val {nm[duplicated(nm)]}} is used twice (set {.arg name}).",
                     call = call)
  }
  if (is.null(label)) {
    parts <- vapply(rules, function(r) {
      if (inherits(r, "glycotrial_rule_node")) paste0("(", r$label, ")") else r$label
    }, character(1))
    label <- paste(parts, collapse = if (op == "and") " AND " else " OR ")
  }
  structure(list(op = op, rules = rules, name = name, label = label),
            class = c("glycotrial_rule_node", "glycotrial_rule"))
}

#' @rdname responder_rules
#' @export
composite <- function(..., name = "RESPONDER", label = NULL) {
  combine_rules("and", list(...), name, label, sys.call())
}

#' @rdname responder_rules
#' @export
any_of <- function(..., name = "RESPONDER", label = NULL) {
  combine_rules("or", list(...), name, label, sys.call())
}

#' @export
Ops.glycotrial_rule <- function(e1, e2) {
  switch(.Generic,
         "&" = composite(e1, e2),
         "|" = any_of(e1, e2),
         glycotrial_abort("Rules combine only with {.code &} and {.code |}, not {.code {(.Generic)}}."))
}

rule_leaves <- function(rule) {
  if (inherits(rule, "glycotrial_rule_leaf")) return(list(rule))
  do.call(c, lapply(rule$rules, rule_leaves))
}

# Evaluates a rule on a list of component results (logical vectors named by
# leaf name) with three-valued logic.
eval_rule <- function(rule, comp) {
  if (inherits(rule, "glycotrial_rule_leaf")) return(comp[[rule$name]])
  vals <- lapply(rule$rules, eval_rule, comp = comp)
  Reduce(if (rule$op == "and") `&` else `|`, vals)
}

compare_op <- function(x, op, value) {
  switch(op, "<" = x < value, "<=" = x <= value, ">" = x > value, ">=" = x >= value)
}

#' @export
print.glycotrial_rule <- function(x, ...) {
  cat("<responder rule> ", x$label, "\n", sep = "")
  for (l in rule_leaves(x)) {
    cat("  - ", l$name, ": ", l$label, "\n", sep = "")
  }
  invisible(x)
}
