#' Simulated trial for the multiple-imputation examples
#'
#' Two arms (`PBO`, `TRT`), four visits, an unstructured covariance and
#' monotone dropout after which outcomes are missing; the subjects who drop out
#' are listed in the attribute `data_ice` with strategy `JR`.
#'
#' @param n Number of subjects.
#' @param dropout Probability of dropping out (at a random visit after the first).
#' @param n_visits Number of visits.
#' @param seed Random seed (the caller's RNG state is restored).
#' @return A data frame (one row per subject and visit: `USUBJID`, `ARM`,
#'   `AVISIT`, `BASE`, `CHG`) with attribute `data_ice`.
#' @examples
#' d <- mi_example_data(20)
#' head(d)
#' attr(d, "data_ice")
#' @export
mi_example_data <- function(n = 100, dropout = 0.25, n_visits = 4, seed = 1) {
  check_count(n, lower = 4, len = 1)
  check_count(n_visits, lower = 2, len = 1)
  check_number(dropout, lower = 0, upper = 1)
  if (exists(".Random.seed", globalenv())) {
    old <- get(".Random.seed", globalenv())
    on.exit(assign(".Random.seed", old, globalenv()))
  } else {
    on.exit(rm(".Random.seed", envir = globalenv()))
  }
  set.seed(seed)
  k <- n_visits
  visits <- paste0("WEEK", seq_len(k) * 4)
  arm <- rep(c("PBO", "TRT"), length.out = n)
  base <- stats::rnorm(n, 8, 1)
  sd <- seq(0.6, 1, length.out = k)
  R <- 0.5^abs(outer(seq_len(k), seq_len(k), "-"))
  S <- R * outer(sd, sd)
  L <- chol(S)
  mu_t <- -0.3 * seq_len(k) / k
  eff <- -0.6 * seq_len(k) / k
  y <- t(vapply(seq_len(n), function(i) {
    mu_t + (arm[i] == "TRT") * eff - 0.2 * (base[i] - 8) + drop(stats::rnorm(k) %*% L)
  }, numeric(k)))
  drop_at <- ifelse(stats::runif(n) < dropout, sample.int(k - 1L, n, replace = TRUE) + 1L, k + 1L)
  for (i in seq_len(n)) if (drop_at[i] <= k) y[i, drop_at[i]:k] <- NA
  id <- sprintf("S%03d", seq_len(n))
  d <- data.frame(USUBJID = rep(id, each = k), ARM = factor(rep(arm, each = k), c("PBO", "TRT")),
                  AVISIT = factor(rep(visits, n), visits), BASE = rep(base, each = k),
                  CHG = as.vector(t(y)), stringsAsFactors = FALSE)
  dropped <- drop_at <= k
  attr(d, "data_ice") <- data.frame(USUBJID = id[dropped], AVISIT = visits[drop_at[dropped]],
                                    strategy = rep("JR", sum(dropped)), stringsAsFactors = FALSE)
  d
}

#' Variables of [mi_example_data()]
#'
#' @return The `vars` list for [mi_reference_based()] on [mi_example_data()].
#' @examples
#' mi_example_vars()
#' @export
mi_example_vars <- function() {
  list(subjid = "USUBJID", visit = "AVISIT", group = "ARM", outcome = "CHG",
       covariates = c("BASE*AVISIT", "ARM*AVISIT"), strategy = "strategy")
}
