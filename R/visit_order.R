# Visit order. A factor's levels decide which visits are neighbours in an
# order-dependent covariance structure (ar1, ad, toep: lag 1 is "the next
# level"), the reference visit of the mean model and the order of tables and
# plots. ADaM visit labels sort as text ("Week 12" < "Week 4"), so the order
# is taken from a numeric order column (ADaM AVISITN) where there is one, and
# from the numbers inside the labels otherwise. One resolver for the fits
# (mmrm_fit(), fit_lmm(), fit_joint(), model_selection()) and the tables and
# plots (beta_cell_indices(), index_change(), plot_trajectories()).

# Structures whose likelihood depends on the order of the visit levels.
visit_order_dependent <- c("ar1", "ar1h", "ad", "adh", "toep", "toeph")

#' Order visit levels by visit number
#'
#' Returns `data` with the visit column a factor whose levels are in visit
#' order. The fitting functions ([mmrm_fit()], [fit_lmm()], [fit_joint()],
#' [model_selection()]) apply the same rule to the visit of their covariance
#' term, and [beta_cell_indices()], [index_change()] and
#' [plot_trajectories()] sort visits by it, so that models, tables and plots
#' agree.
#'
#' * **With an order column** (`order_by`; else
#'   `getOption("glycotrial.visit_order_column")`; else ADaM `AVISITN` when
#'   present): the levels are sorted by it. Each visit label must have one
#'   order value (a label with two different `AVISITN` values is a
#'   `glycotrial_error_visit_order`); labels without any order value come
#'   last. When this changes the levels, a message of class
#'   `glycotrial_message_visit_order` says so; with
#'   `options(glycotrial.visit_order = "error")` it is a
#'   `glycotrial_error_visit_order` instead (the data are left for you to fix).
#' * **Without one**: character visits are sorted in natural
#'   (numeric-aware) order ("Week 4" before "Week 12"); factor levels are
#'   kept unless they look text-sorted (numbers inside labels that share the
#'   rest of their text out of numeric order, as in `W12, W4, W8`), in which
#'   case they are sorted naturally with a message. In a fit with an
#'   order-dependent structure (`ar1`, `ar1h`, `ad`, `adh`, `toep`, `toeph`) text-sorted
#'   factor levels are not changed but warned about
#'   (`glycotrial_warning_visit_order`).
#' * Blank visits (`""`, `"."`, as ADaM produces them for unscheduled or
#'   missing visits) are set to `NA` (missing) with a message of class
#'   `glycotrial_message_blank_visit` (a `glycotrial_message_visit_order`).
#'
#' Numeric visit columns (continuous time) are returned unchanged.
#'
#' @param data Data frame.
#' @param visit Name of the visit column (factor or character).
#' @param order_by Name of a numeric column giving the visit order, or
#'   `NULL` (see above).
#' @return `data`, with `visit` a factor in visit order (unchanged if it was
#'   already in order).
#' @examples
#' d <- data.frame(AVISIT = c("Week 12", "Week 4", "Baseline"), AVISITN = c(12, 4, 0))
#' levels(order_visits(d)$AVISIT)
#' levels(order_visits(data.frame(AVISIT = c("W12", "W4", "W8")))$AVISIT)
#' @export
order_visits <- function(data, visit = "AVISIT", order_by = NULL) {
  check_string(visit)
  if (!is.null(order_by)) check_string(order_by)
  check_data_frame(data, cols = c(visit, order_by))
  x <- data[[visit]]
  if (!is.factor(x) && !is.character(x) && !is.numeric(x)) {
    glycotrial_abort("Column {.field {visit}} must be a factor, character or numeric, not {describe_value(x)}.")
  }
  visit_order_apply(data, visit, order_by, structure = NULL, user = TRUE, call = sys.call())
}

# The one line the fitting functions call near their top: finds the visit of
# the covariance (residual) term in `formula`, or AVISIT when it is a term of
# the mean model, and orders its levels. Anything that is not a data frame
# (data sources) is returned as is.
visit_order_for_fit <- function(formula, data, order_default = "AVISITN") {
  if (!is.data.frame(data) || !inherits(formula, "formula")) return(data)
  if (!is.character(order_default) || length(order_default) != 1 || is.na(order_default)) {
    order_default <- "AVISITN"
  }
  term <- find_structure_term(formula[[length(formula)]])
  if (!is.null(term)) {
    visit <- term$visit
    structure <- term$key
  } else if ("AVISIT" %in% all.vars(formula)) {
    visit <- "AVISIT"
    structure <- NULL
  } else {
    return(data)
  }
  if (!visit %in% names(data)) return(data)
  visit_order_apply(data, visit, NULL, structure = structure, user = FALSE,
                    order_default = order_default, call = sys.call(-1))
}

# First term key(visit | ...) with a name on both sides of the call, other than
# `(1 | g)` random effects.
find_structure_term <- function(e) {
  if (!is.call(e)) return(NULL)
  f <- e[[1]]
  if (is.name(f) && !as.character(f) %in% c("(", "|", "+", "*", ":", "/", "-", "~", "I") &&
      length(e) == 2 && is.call(e[[2]]) && identical(e[[2]][[1]], as.name("|")) &&
      is.name(e[[2]][[2]])) {
    return(list(key = as.character(f), visit = as.character(e[[2]][[2]])))
  }
  for (k in seq_along(e)[-1]) {
    r <- find_structure_term(e[[k]])
    if (!is.null(r)) return(r)
  }
  NULL
}

# Natural-order sort key: digit runs padded to a common width, so "Week 4"
# sorts before "Week 12" in a byte-wise ("radix") sort.
natural_key <- function(x) {
  x <- as.character(x)
  m <- gregexpr("[0-9]+", x)
  d <- regmatches(x, m)
  regmatches(x, m) <- lapply(d, function(v) formatC(sub("^0+(?=.)", "", v, perl = TRUE),
                                                       width = 30, flag = "0"))
  x
}
natural_order <- function(labels) labels[order(natural_key(labels), labels, method = "radix")]

# Do the levels look sorted as text? True when labels that share their text
# apart from the numbers ("Week #") carry numbers out of numeric order.
looks_text_sorted <- function(levels) {
  if (length(levels) < 2) return(FALSE)
  stem <- gsub("[0-9]+(\\.[0-9]+)?", "#", levels)
  num <- suppressWarnings(as.numeric(regmatches(levels, regexpr("[0-9]+(\\.[0-9]+)?", levels))))
  has <- grepl("[0-9]", levels)
  num_full <- rep(NA_real_, length(levels))
  num_full[has] <- num
  for (s in unique(stem[has])) {
    v <- num_full[stem == s]
    if (length(v) > 1 && is.unsorted(v)) return(TRUE)
  }
  FALSE
}

# The levels of `x` in visit order, from the order values `ord` (one per row;
# NULL: none; ties and labels without a value in natural order, the latter
# last). A label with several order values is sorted by its smallest and
# returned in `conflicts` (an error for fits, ignored by tables and plots).
visit_levels <- function(x, ord = NULL) {
  lab <- if (is.factor(x)) levels(x) else natural_order(unique(as.character(x[!is.na(x)])))
  if (is.null(ord)) return(list(levels = lab, conflicts = character()))
  cx <- as.character(x)
  ok <- !is.na(cx) & !is.na(ord)
  pairs <- unique(data.frame(l = cx[ok], o = as.numeric(ord[ok]), stringsAsFactors = FALSE))
  conflicts <- unique(pairs$l[duplicated(pairs$l)])
  first <- tapply(pairs$o, pairs$l, min)
  val <- unname(first[lab])
  nk <- natural_key(lab)
  o <- order(is.na(val), val, nk, method = "radix")
  list(levels = lab[o], conflicts = conflicts)
}

# Rank of each row's visit in visit order (for sorting tables and plots; no
# messages, never an error).
visit_rank <- function(data, visit, order_by = NULL) {
  x <- data[[visit]]
  if (is.null(x) || is.numeric(x)) return(x)
  oc <- visit_order_column(data, visit, order_by)
  lev <- visit_levels(x, if (!is.null(oc$name)) data[[oc$name]])$levels
  match(as.character(x), lev)
}

# Visit factor in visit order, quietly (for plots).
visit_factor <- function(data, visit, order_by = NULL) {
  x <- data[[visit]]
  if (is.null(x) || is.numeric(x)) return(x)
  oc <- visit_order_column(data, visit, order_by)
  factor(as.character(x), levels = visit_levels(x, if (!is.null(oc$name)) data[[oc$name]])$levels)
}

# Which order column applies: the argument, the option, else AVISITN (or
# `order_default`) when the data have a numeric one. `explicit` when the
# user named it (so a missing or non-numeric column is an error).
visit_order_column <- function(data, visit, order_by = NULL, order_default = "AVISITN") {
  explicit <- TRUE
  name <- order_by %||% getOption("glycotrial.visit_order_column")
  if (is.null(name)) {
    explicit <- FALSE
    name <- order_default
  }
  if (is.null(name) || identical(name, visit)) return(list(name = NULL, explicit = explicit))
  if (!name %in% names(data) || !is.numeric(data[[name]])) {
    if (!explicit) return(list(name = NULL, explicit = FALSE))
  }
  list(name = name, explicit = explicit)
}

visit_order_apply <- function(data, visit, order_by = NULL, structure = NULL, user = FALSE,
                              order_default = "AVISITN", call = sys.call(-1)) {
  x <- data[[visit]]
  if (!is.factor(x) && !is.character(x)) return(data)
  # ADaM blanks are missing visits, not a visit called "".
  blank <- if (is.factor(x)) {
    # (on the levels: a per-row trimws() is most of a large fit's set-up)
    bl <- trimws(levels(x)) %in% c("", ".")
    if (any(bl)) !is.na(x) & bl[as.integer(x)] else FALSE
  } else {
    !is.na(x) & trimws(as.character(x)) %in% c("", ".")
  }
  if (any(blank)) {
    glycotrial_inform(
      "{sum(blank)} row{?s} with a blank visit ({.val {unique(as.character(x[blank]))}}) in {.field {visit}} treated as missing.",
      class = c("glycotrial_message_blank_visit", "glycotrial_message_visit_order"),
      n_blank = sum(blank))
    if (is.factor(x)) {
      cx <- as.character(x)
      gone <- unique(cx[blank])
      cx[blank] <- NA_character_
      x <- factor(cx, levels = setdiff(levels(x), gone))
    } else {
      x[blank] <- NA_character_
    }
    data[[visit]] <- x
  }
  oc <- visit_order_column(data, visit, order_by, order_default)
  if (!is.null(oc$name)) {
    if (!oc$name %in% names(data)) {
      glycotrial_abort(
        c("Visit order column {.field {oc$name}} is not in {.arg data}.",
          "i" = "Name an existing numeric column in {.arg order_by} or option {.code glycotrial.visit_order_column}."),
        class = c("input", "glycotrial_error_visit_order"), call = call)
    }
    if (!is.numeric(data[[oc$name]])) {
      glycotrial_abort(
        "Visit order column {.field {oc$name}} must be numeric, not {describe_value(data[[oc$name]])}.",
        class = c("input", "glycotrial_error_visit_order"), call = call)
    }
  }
  res <- visit_levels(x, if (!is.null(oc$name)) data[[oc$name]])
  if (length(res$conflicts)) {
    glycotrial_abort(
      c("Visit {.val {format_labels(res$conflicts)}} in {.field {visit}} ha{?s/ve} more than one {.field {oc$name}} value, so the visit order is ambiguous.",
        "i" = "Give each visit label one {.field {oc$name}} value (or name another order column in {.arg order_by})."),
      class = c("input", "glycotrial_error_visit_order"), call = call)
  }
  # Character visits carry no order of their own: their natural order ("Week 4"
  # before "Week 12") is the baseline, so only a disagreeing order column is news.
  current <- if (is.factor(x)) levels(x) else natural_order(unique(x[!is.na(x)]))
  new <- res$levels
  how <- if (!is.null(oc$name)) paste0("by ", oc$name) else "by the numbers in the labels"
  if (is.null(oc$name) && is.factor(x) && looks_text_sorted(current)) {
    if (!user) {
      if (!is.null(structure) && structure %in% visit_order_dependent) {
        glycotrial_warn(
          c("The levels of {.field {visit}} look sorted as text ({.val {format_labels(current)}}), and the {.code {structure}} structure takes neighbouring levels as neighbouring visits.",
            "i" = "Give the levels in visit order, or add a numeric visit order column (ADaM {.field AVISITN}; see {.fun order_visits})."),
          class = "glycotrial_warning_visit_order")
      }
      return(data)
    }
    new <- natural_order(current)
  }
  if (identical(as.character(current), as.character(new))) {
    # Without an order column a fit leaves character visits alone (structures
    # then ask for a factor in explicit order); order_visits() converts.
    if (is.character(x) && (user || !is.null(oc$name))) data[[visit]] <- factor(x, levels = new)
    return(data)
  }
  if (identical(getOption("glycotrial.visit_order", "reorder"), "error")) {
    glycotrial_abort(
      c("The levels of {.field {visit}} ({.val {format_labels(current)}}) are not in visit order ({how}: {.val {format_labels(new)}}).",
        "i" = "Reorder them (e.g. with {.fun order_visits}), or set {.code options(glycotrial.visit_order = \"reorder\")} to let glycotrial do it."),
      class = c("input", "glycotrial_error_visit_order"), call = call)
  }
  glycotrial_inform(
    c("Visit levels of {.field {visit}} put in visit order ({how}): {.val {format_labels(new)}}.",
      "i" = "They were {.val {format_labels(current)}}; set {.code options(glycotrial.visit_order = \"error\")} to refuse instead."),
    class = "glycotrial_message_visit_order", visit = visit, levels = new, old_levels = current)
  data[[visit]] <- factor(as.character(x), levels = new)
  data
}
