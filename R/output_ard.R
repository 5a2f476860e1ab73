# Analysis results data (ARD) in the CDISC layout of the cards package:
# one row per statistic with group1/group1_level (the arm), further groups,
# variable/variable_level (what is summarised), context, stat_name,
# stat_label, stat, fmt_fun, warning and error; class "card".

#' Analysis results data of a glycotrial result
#'
#' Returns the numbers behind a glycotrial table as a long analysis-results
#' data frame (one row per statistic), with the columns of the CDISC ARD
#' conventions used by the `cards` package: `group1`, `group1_level` (the
#' arm), further `groupN`/`groupN_level` pairs, `variable`,
#' `variable_level`, `context`, `stat_name`, `stat_label`, `stat`,
#' `fmt_fun`, `warning`, `error`, plus `stat_fmt` (the text shown in the
#' table), in the standard column order of `cards::tidy_ard_column_order()`.
#' The level, statistic, formatted-statistic and function columns are list
#' columns as in `cards`, and the result has class `"card"`, so `cards` and
#' `gtsummary` functions take it (print, filter, `cards::apply_fmt_fun()`,
#' `cards::check_ard_structure()`).
#'
#' @param x A safety summary (`glycotrial_safety`), a responder analysis,
#'   least-squares means, or a data frame already holding `stat_name` and
#'   `stat` columns.
#' @param arm Name given to the arm grouping variable (`group1`).
#' @param ... Unused.
#' @return A data frame of class `c("card", "tbl_df", "tbl", "data.frame")`
#'   (tibble classes only when tibble is installed).
#' @examples
#' ard <- as_ard(ae_overview(adae, adsl))
#' head(as.data.frame(ard)[, c("group1_level", "variable_level", "stat_name", "stat_fmt")])
#' @export
as_ard <- function(x, ...) UseMethod("as_ard")

#' @rdname as_ard
#' @export
as_ard.default <- function(x, ...) {
  glycotrial_abort("{.fn as_ard} needs a glycotrial result or an ARD data frame, not {describe_value(x)}.")
}

#' @rdname as_ard
#' @export
as_ard.data.frame <- function(x, arm = "ARM", ...) {
  if (!all(c("stat_name", "stat") %in% names(x))) {
    glycotrial_abort(c("{.arg x} needs columns {.val stat_name} and {.val stat}.",
                       "i" = "Has: {.val {names(x)}}."))
  }
  ard_to_card(x, arm = arm, context = "glycotrial")
}

#' @rdname as_ard
#' @export
as_ard.glycotrial_safety <- function(x, arm = "ARM", ...) {
  ctx <- class(x)[1]
  ard <- x$ard
  # SOC/PT summaries in the layout of cards::ard_stack_hierarchical():
  # AEBODSYS a group of the AEDECOD rows; the row type is implied.
  if (all(c("soc", "pt") %in% names(ard))) {
    ard$level <- NULL
    names(ard)[names(ard) == "soc"] <- "AEBODSYS"
    names(ard)[names(ard) == "pt"] <- "AEDECOD"
    # The by-group (category) is the outer grouping; dropped when there is none.
    if ("category" %in% names(ard)) {
      ard <- if (all(ard$category %in% "Any")) ard[setdiff(names(ard), "category")] else
        ard[c("category", setdiff(names(ard), "category"))]
    }
  }
  ard_to_card(ard, arm = arm, context = sub("^glycotrial_", "", ctx))
}

#' @rdname as_ard
#' @export
as_ard.glycotrial_responder_analysis <- function(x, arm = "ARM", ...) {
  s <- x$settings
  a <- x$arms
  by_arm <- ard_long(data.frame(arm = a$arm, response = s$response, stringsAsFactors = FALSE,
                                a[, c("n", "responders", "proportion", "lower", "upper")]),
                     c("arm", "response"), c("n", "responders", "proportion", "lower", "upper"),
                     c("Subjects", "Responders", "Proportion", "Lower CI limit", "Upper CI limit"))
  d <- x$difference
  diffs <- ard_long(data.frame(comparison = paste(s$treatment, "-", s$control), method = d$method,
                               stringsAsFactors = FALSE, d[, c("estimate", "lower", "upper")]),
                    c("comparison", "method"), c("estimate", "lower", "upper"),
                    c("Risk difference", "Lower CI limit", "Upper CI limit"))
  t <- x$tests
  tests <- ard_long(data.frame(test = t$test, p_value = t$p_value, stringsAsFactors = FALSE),
                    "test", "p_value", "p-value")
  parts <- list(ard_to_card(by_arm, arm = arm, context = "responder_by_arm"),
                ard_to_card(diffs, arm = arm, context = "responder_difference"),
                ard_to_card(tests, arm = arm, context = "responder_test"))
  card_bind(parts)
}

#' @rdname as_ard
#' @export
as_ard.glycotrial_lsmeans <- function(x, arm = "ARM", ...) {
  stats <- c("estimate", "se", "df", "lower", "upper")
  labs <- c("LS mean", "Standard error", "Degrees of freedom", "Lower CI limit", "Upper CI limit")
  lm <- x$lsmeans
  names(lm)[names(lm) == x$specs[1]] <- "arm"
  one <- ard_long(lm, setdiff(names(lm), stats), intersect(stats, names(lm)),
                  labs[stats %in% names(lm)])
  d <- x$diffs
  dstats <- intersect(c(stats, "t_stat", "p_value"), names(d))
  dl <- c(labs, "t statistic", "p-value")[match(dstats, c(stats, "t_stat", "p_value"))]
  dl[dstats == "estimate"] <- "Difference in LS means"
  two <- ard_long(d, setdiff(names(d), dstats), dstats, dl)
  card_bind(list(ard_to_card(one, arm = arm, context = "lsmeans"),
                 ard_to_card(two, arm = arm, context = "lsmeans_difference")))
}

# Formatting function of a statistic: counts as integers, percentages with
# one decimal, p-values as "<0.001", the rest with two decimals.
ard_fmt_fun <- function(stat_name) {
  if (stat_name %in% c("n", "N", "events", "subjects", "responders", "df_int")) {
    return(function(x) fmt_count(x))
  }
  if (stat_name %in% c("pct", "p", "percent")) return(function(x) formatC(x, format = "f", digits = 1))
  if (stat_name %in% c("p_value", "p.value")) return(function(x) fmt_pvalue(x))
  function(x) formatC(x, format = "f", digits = 2)
}

# Long frame (descriptor columns + stat_name/stat_label/stat) -> card.
# The arm column becomes group1; per row, the last non-missing descriptor
# is the variable, the others further groups.
ard_to_card <- function(ard, arm = "ARM", context = "glycotrial") {
  ard <- as.data.frame(ard, stringsAsFactors = FALSE)
  n <- nrow(ard)
  desc <- setdiff(names(ard), c("arm", "stat_name", "stat_label", "stat", "stat_fmt"))
  has_arm <- "arm" %in% names(ard)
  vals <- lapply(desc, function(d) as.character(ard[[d]]))
  names(vals) <- desc
  groups <- vector("list", n)
  variable <- character(n)
  variable_level <- vector("list", n)
  for (i in seq_len(n)) {
    present <- desc[vapply(vals, function(v) !is.na(v[i]) && nzchar(v[i]), logical(1))]
    if (length(present)) {
      last <- present[length(present)]
      variable[i] <- last
      variable_level[i] <- list(vals[[last]][i])
      groups[[i]] <- present[-length(present)]
    } else {
      variable[i] <- "..overall.."
      variable_level[i] <- list(NULL)
      groups[[i]] <- character()
    }
  }
  ng <- max(c(0L, lengths(groups))) + 1L
  out <- list()
  for (k in seq_len(ng)) {
    gk <- character(n)
    lk <- vector("list", n)
    for (i in seq_len(n)) {
      if (k == 1) {
        gk[i] <- if (has_arm) arm else NA_character_
        lk[i] <- list(if (has_arm) as.character(ard$arm[i]) else NULL)
      } else {
        g <- groups[[i]]
        gk[i] <- if (length(g) >= k - 1) g[k - 1] else NA_character_
        lk[i] <- list(if (length(g) >= k - 1) vals[[g[k - 1]]][i] else NULL)
      }
    }
    if (k == 1 && !has_arm) next
    out[[paste0("group", k)]] <- gk
    out[[paste0("group", k, "_level")]] <- lk
  }
  # Renumber the groups when there is no arm.
  if (!has_arm && length(out)) {
    nm <- names(out)
    num <- as.integer(sub("^group([0-9]+).*$", "\\1", nm)) - 1L
    names(out) <- paste0("group", num, sub("^group[0-9]+", "", nm))
  }
  stat <- as.numeric(ard$stat)
  fmts <- lapply(ard$stat_name, ard_fmt_fun)
  out$variable <- variable
  out$variable_level <- variable_level
  out$context <- rep(context, n)
  out$stat_name <- as.character(ard$stat_name)
  out$stat_label <- if ("stat_label" %in% names(ard)) as.character(ard$stat_label) else out$stat_name
  out$stat <- as.list(stat)
  # stat_fmt: a list column of strings, as cards::apply_fmt_fun() makes it.
  out$stat_fmt <- as.list(if ("stat_fmt" %in% names(ard)) as.character(ard$stat_fmt) else
    vapply(seq_len(n), function(i) if (is.na(stat[i])) "" else fmts[[i]](stat[i]), character(1)))
  out$fmt_fun <- fmts
  out$warning <- vector("list", n)
  out$error <- vector("list", n)
  card_class(as_plain_df(out, n))
}

as_plain_df <- function(cols, n) {
  df <- structure(cols, names = names(cols), row.names = seq_len(n), class = "data.frame")
  df
}

card_class <- function(df) {
  cls <- if (requireNamespace("tibble", quietly = TRUE)) c("tbl_df", "tbl", "data.frame") else "data.frame"
  class(df) <- c("card", cls)
  df
}

# Row-binds cards whose group columns differ (missing groups filled).
card_bind <- function(parts) {
  parts <- lapply(parts, function(p) {
    class(p) <- "data.frame"
    p
  })
  all_names <- unique(unlist(lapply(parts, names)))
  grp <- sort(grep("^group[0-9]+$", all_names, value = TRUE))
  order_names <- c(as.vector(rbind(grp, paste0(grp, "_level"))),
                   setdiff(all_names, c(grp, paste0(grp, "_level"))))
  parts <- lapply(parts, function(p) {
    n <- nrow(p)
    for (nm in setdiff(order_names, names(p))) {
      p[[nm]] <- if (grepl("_level$", nm)) vector("list", n) else rep(NA_character_, n)
    }
    p[order_names]
  })
  out <- do.call(rbind, parts)
  rownames(out) <- NULL
  card_class(out)
}
