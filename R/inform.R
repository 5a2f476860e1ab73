# Classed messages. Whatever glycotrial leaves out of an analysis (rows,
# subjects, cells) is said in a message a caller can catch or silence by class;
# nothing is dropped without a word.

# A classed message: c(class, "glycotrial_message", "message", "condition").
glycotrial_inform <- function(message, class = "glycotrial_message", ...,
                              .envir = parent.frame()) {
  cli::cli_inform(message, class = unique(c(class, "glycotrial_message")), ...,
                  .envir = .envir)
}

# Says how many `what` (rows, subjects) were left out and why, naming up to
# five of them. `ids` are the dropped identifiers (may be empty when only a
# count is known). Silent when nothing was dropped.
glycotrial_inform_dropped <- function(ids, what = "subjects", reason = "",
                                      class = "glycotrial_message_dropped_subjects",
                                      n = length(ids)) {
  if (n == 0L) return(invisible(0L))
  ids <- unique(as.character(ids))
  shown <- if (length(ids) > 0L) {
    more <- if (length(ids) > 5L) sprintf(" and %d more", length(ids) - 5L) else ""
    paste0(" (", paste(utils::head(ids, 5L), collapse = ", "), more, ")")
  } else ""
  if (n == 1L) what <- sub("s$", "", what)  # "1 subject", "1 row"
  text <- sprintf("Dropped %d %s%s%s.", n, what, shown,
                  if (nzchar(reason)) paste0(": ", reason) else "")
  glycotrial_inform(gsub("([{}])", "\\1\\1", text), class = class,
                    dropped = ids, n_dropped = n)
  invisible(n)
}
