# p-values as reports print them: "<0.001" rather than "0.000".

#' Format p-values for reports
#'
#' @param p Numeric p-values.
#' @param digits Decimals (3).
#' @param alpha Optional significance level: p-values below it get `"*"`.
#' @return A character vector: `"<0.001"` (for 3 digits) below the smallest
#'   printable value, `"-"` for `NA`.
#' @examples
#' format_pvalue(c(0.2, 0.0123, 1e-6, NA), alpha = 0.05)
#' @export
format_pvalue <- function(p, digits = 3, alpha = NULL) {
  if (!is.numeric(p)) glycotrial_abort("{.arg p} must be numeric, not {describe_value(p)}.")
  check_count(digits, len = 1L)
  if (!is.null(alpha)) check_number(alpha, lower = 0, upper = 1, open = TRUE)
  floor_p <- 10^-digits
  out <- ifelse(is.na(p), "-", ifelse(p < floor_p, paste0("<", formatC(floor_p, format = "f", digits = digits)),
                                      formatC(p, format = "f", digits = digits)))
  if (!is.null(alpha)) out <- ifelse(!is.na(p) & p < alpha, paste0(out, "*"), out)
  out
}
