# Benchmarks of the stats core against reference R packages; prints
# time(reference) / time(glycotrial) (> 1 means glycotrial is faster).
suppressPackageStartupMessages(library(glycotrial))
timeit <- function(expr, reps = 3) {
  e <- substitute(expr)
  env <- parent.frame()
  min(vapply(seq_len(reps), function(i) system.time(eval(e, env))[["elapsed"]], numeric(1)))
}
ratio <- function(label, t_ref, t_ours) {
  cat(sprintf("%-55s ref %8.3fs  glycotrial %8.4fs  ratio %7.1f\n", label, t_ref, t_ours,
              t_ref / max(t_ours, 1e-4)))
}
set.seed(1)
n1 <- sample(20:200, 2000, TRUE); n2 <- sample(20:200, 2000, TRUE)
x1 <- rbinom(2000, n1, 0.3); x2 <- rbinom(2000, n2, 0.2)

if (requireNamespace("ratesci", quietly = TRUE)) {
  t_ref <- timeit(ratesci::scoreci(x1, n1, x2, n2, contrast = "RD", skew = FALSE, warn = FALSE), 1)
  t_our <- timeit(diff_ci(x1, n1, x2, n2, "mn"))
  ratio("MN risk-difference CI, 2000 tables (ratesci::scoreci)", t_ref, t_our)
  t_ref <- timeit(ratesci::moverci(x1, n1, x2, n2, type = "wilson"), 1)
  t_our <- timeit(diff_ci(x1, n1, x2, n2, "newcombe"))
  ratio("Newcombe CI, 2000 tables (ratesci::moverci)", t_ref, t_our)
}
if (requireNamespace("PropCIs", quietly = TRUE)) {
  t_ref <- timeit(for (i in 1:2000) PropCIs::midPci(x1[i], n1[i], 0.95), 1)
  t_our <- timeit(prop_ci(x1, n1, "mid-p"))
  ratio("mid-p CI, 2000 proportions (PropCIs::midPci loop)", t_ref, t_our)
}
t_ref <- timeit(for (i in 1:2000) binom.test(x1[i], n1[i])$conf.int, 1)
t_our <- timeit(prop_ci(x1, n1, "clopper-pearson"))
ratio("Clopper-Pearson, 2000 proportions (stats::binom.test loop)", t_ref, t_our)
if (requireNamespace("exact2x2", quietly = TRUE)) {
  t_ref <- timeit(exact2x2::uncondExact2x2(2, 44, 9, 45, parmtype = "difference",
                                           method = "score", conf.int = TRUE), 1)
  t_our <- timeit(diff_ci(9, 45, 2, 44, "exact"), 1)
  ratio("Exact unconditional CI 9/45 vs 2/44 (exact2x2)", t_ref, t_our)
}
k <- 50
a <- array(rpois(4 * k, 20), c(2, 2, k))
s1 <- a[1, 1, ]; s2 <- a[2, 1, ]; m1 <- a[1, 1, ] + a[1, 2, ]; m2 <- a[2, 1, ] + a[2, 2, ]
t_ref <- timeit(for (i in 1:200) mantelhaen.test(a, correct = FALSE), 1)
t_our <- timeit(for (i in 1:200) { cmh_test(s1, m1, s2, m2); mh_estimate(s1, m1, s2, m2) }, 1)
ratio("CMH + MH OR, 50 strata x 200 (stats::mantelhaen.test)", t_ref, t_our)
