# Benchmark of the indices: glycotrial (unit conversion, checks, compiled
# plugins) against the same formulas written as vectorised base R, on
# 1,000,000 subject-visits. Prints seconds and the ratio glycotrial / base R
# (> 1: glycotrial slower). Times are CPU seconds (user + system), which are
# robust to other processes on a shared machine. Run: Rscript bench/indices.R
suppressPackageStartupMessages(library(glycotrial))
set.seed(1)
n <- 1e6
timeit <- function(expr, reps = 3) {
  e <- substitute(expr)
  env <- parent.frame()
  min(vapply(seq_len(reps), function(i) {
    st <- system.time(eval(e, env))
    st[["user.self"]] + st[["sys.self"]]
  }, numeric(1)))
}
row <- function(label, t_gt, t_base, same) {
  cat(sprintf("%-42s glycotrial %6.3f s   base R %6.3f s   ratio %5.2f   identical to 1e-12: %s\n",
              label, t_gt, t_base, t_gt / t_base, same))
}

# --- Fasting indices, 1e6 subjects, insulin in pmol/L -------------------------
fpg <- rlnorm(n, log(7.5), 0.25)            # mmol/L
fins <- rlnorm(n, log(60), 0.5)             # pmol/L
fcp <- rlnorm(n, log(1.8), 0.4)             # ng/mL
t_gt <- timeit(a <- homa1_ir(fpg, fins, insulin_unit = "pmol/L"))
t_b <- timeit(b <- fpg * (fins / 6) / 22.5)
row("HOMA1-IR (1e6)", t_gt, t_b, isTRUE(all.equal(a, b, tolerance = 1e-12)))
t_gt <- timeit(a <- suppressWarnings(homa1_b(fpg, fins, insulin_unit = "pmol/L")))
t_b <- timeit(b <- ifelse(fpg > 3.5, 20 * (fins / 6) / (fpg - 3.5), NA_real_))
row("HOMA1-%B (1e6)", t_gt, t_b, isTRUE(all.equal(a, b, tolerance = 1e-12)))
t_gt <- timeit(a <- homa_ir_cp(fpg, fcp))
t_b <- timeit(b <- 1.5 + fpg * fcp * 331 / 2800)
row("HOMA-IR(CP) (1e6)", t_gt, t_b, isTRUE(all.equal(a, b, tolerance = 1e-12)))

# --- OGTT: 1e6 curves of 5 points (5e6 rows, long format) ----------------------
tp <- c(0, 30, 60, 120, 180)
G <- matrix(rlnorm(5 * n, log(10), 0.3), ncol = 5)   # mmol/L, wide (for base R)
I <- matrix(rlnorm(5 * n, log(25), 0.5), ncol = 5)   # uU/mL
id <- rep(seq_len(n), each = 5)
time <- rep(tp, n)
g_long <- as.vector(t(G))
i_long <- as.vector(t(I))
t_gt <- timeit(a <- matsuda(time, g_long, i_long, id = id), reps = 1)
base_matsuda <- function(G, I) {
  w <- diff(tp)
  trap <- function(M) ((M[, -5] + M[, -1]) %*% w) / 2 / (tp[5] - tp[1])
  Gm <- G * 18.016
  10000 / sqrt(Gm[, 1] * I[, 1] * trap(Gm) * trap(I))
}
t_b <- timeit(b <- as.vector(base_matsuda(G, I)), reps = 1)
row("Matsuda, trapezoid (1e6 curves)", t_gt, t_b,
    isTRUE(all.equal(unname(a), b, tolerance = 1e-12)))
t_gt <- timeit(a <- auc_total(time, g_long, id = id), reps = 1)
t_b <- timeit(b <- as.vector(((G[, -5] + G[, -1]) %*% diff(tp)) / 2), reps = 1)
row("Glucose AUC (1e6 curves)", t_gt, t_b, isTRUE(all.equal(unname(a), b, tolerance = 1e-12)))

# --- beta_cell_indices() on ADaM long data: 1e6 subject-visits, fasting --------
adlb <- data.frame(USUBJID = rep(sprintf("S%07d", seq_len(n / 2)), each = 4),
                   AVISIT = rep(rep(c("Baseline", "Week 48"), each = 2), n / 2),
                   PARAMCD = rep(c("FPG", "FINS"), n),
                   AVAL = as.vector(rbind(fpg, fins)),
                   AVALU = rep(c("mmol/L", "pmol/L"), n), stringsAsFactors = FALSE)
t_gt <- timeit(a <- suppressWarnings(beta_cell_indices(adlb, c("homa1_ir", "homa1_b"))), reps = 1)
t_b <- timeit({
  w <- reshape(adlb[c("USUBJID", "AVISIT", "PARAMCD", "AVAL")], idvar = c("USUBJID", "AVISIT"),
               timevar = "PARAMCD", direction = "wide")
  b <- w$AVAL.FPG * (w$AVAL.FINS / 6) / 22.5
}, reps = 1)
row("beta_cell_indices, 2 fasting (1e6 s-v)", t_gt, t_b, NA)
