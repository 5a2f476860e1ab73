# Deterministic smoke runs of the fuzz harnesses' input spaces (tools/fuzz/
# fuzz_mmrm_pass.cpp, fuzz_lab_grading.cpp) through the glue, so that every
# `make test` exercises the same entry points with malformed input: a fixed
# seed, a few hundred small cases, and the harnesses' invariants. The real
# fuzzing (coverage-guided, sanitizers) is `make fuzz`.

# The outcome of one call: its value, or the condition it signalled.
smoke_call <- function(expr) {
  tryCatch(list(value = expr, cond = NULL), error = function(e) list(value = NULL, cond = e))
}

smoke_classed <- function(res, label) {
  if (!is.null(res$cond)) {
    expect(inherits(res$cond, "glycotrial_error"),
           sprintf("%s: unclassed error %s: %s", label, paste(class(res$cond), collapse = "/"),
                   conditionMessage(res$cond)))
  }
  is.null(res$cond)
}

smoke_double <- function(n) {
  v <- stats::rnorm(n, sd = 10)
  k <- sample(0:9, n, replace = TRUE)
  v[k == 0] <- NaN
  v[k == 1] <- NA_real_
  v[k == 2] <- sample(c(Inf, -Inf), sum(k == 2), replace = TRUE)
  v[k == 3] <- v[k == 3] * 1e150
  v[k == 4] <- 0
  v
}

test_that("the MMRM data pass meets random raw columns with classed errors or valid moments", {
  set.seed(20261125)
  n_ok <- 0
  for (it in seq_len(300)) {
    # Two cases in three keep the structure valid and vary only the values.
    sane <- it %% 3 != 0
    n <- sample(0:30, 1)
    nv <- sample(0:3, 1)
    kind <- sample(0:1, nv, replace = TRUE)
    vars <- lapply(kind, function(k) {
      if (k == 0) smoke_double(n) else
        sample(if (sane) c(-1L, 0:3) else c(-2L, -1L, NA_integer_, 0:4), n, replace = TRUE)
    })
    ncol <- sample(0:3, 1)
    design <- lapply(seq_len(ncol), function(j) {
      lapply(seq_len(sample(0:2, 1)), function(c) {
        if (sane) {
          if (!nv) return(NULL)
          v <- sample(nv, 1)
          return(list(var = v - 1L, map = if (kind[v] == 0) NULL else as.numeric(sample(0:1, 4, TRUE))))
        }
        list(var = sample(-1:nv, 1), map = if (runif(1) < 0.5) NULL else as.numeric(sample(0:1, sample(1:4, 1), TRUE)))
      })
    })
    design <- lapply(design, function(col) Filter(Negate(is.null), col))
    y <- smoke_double(n)
    w <- if (runif(1) < 0.3) runif(n, 0.1, 4) else NULL
    n_visits <- if (sane) 4L else sample(-1:8, 1)
    n_groups <- if (sane) 2L else sample(0:3, 1)
    visit <- if (sane) as.integer(seq_len(n) %% 3) else sample(c(-2L, -1L, 0:8), n, replace = TRUE)
    subject <- if (sane || runif(1) < 0.7) as.integer(seq_len(n) %/% 3) else sample(c(NA_integer_, 0:5), n, TRUE)
    group <- if (sane) as.integer((seq_len(n) %/% 3) %% 2) else if (runif(1) < 0.3) sample(-1:3, n, replace = TRUE)
    ord <- if (!sane && runif(1) < 0.3) sample(-1:n, n, replace = TRUE)
    label <- sprintf("data pass case %d", it)
    res <- smoke_call(glycotrial:::cpp_scale_moments(
      vars, design, y, w, visit, subject, group, ord, n_visits, n_groups, sample(1:2, 1)))
    if (!smoke_classed(res, label)) next
    n_ok <- n_ok + 1
    p <- length(design) + 1
    for (pat in res$value$patterns) {
      m <- length(pat$visits)
      expect(all(dim(pat$M) == m * p), sprintf("%s: moment matrix of the wrong size", label))
      if (all(is.finite(pat$M))) {
        expect(max(abs(pat$M - t(pat$M))) <= 1e-12 * (1 + max(abs(pat$M))),
               sprintf("%s: moment matrix not symmetric", label))
      }
    }
    expect(res$value$n_obs <= n, sprintf("%s: more observations than rows", label))
  }
  # The generator must reach the accumulation itself, not only the checks.
  expect_gt(n_ok, 10)
})

test_that("lab grading meets random rules and records with classed errors or valid grades", {
  set.seed(11)
  refs <- c("ULN", "LLN", "BASE", "ABS", "uln", "XYZ")
  ops <- c(">", ">=", "<", "<=", "=")
  conds <- c("any", "normal", "abnormal", "odd")
  n_ok <- 0
  for (it in seq_len(300)) {
    sane <- it %% 3 != 0
    k <- sample(0:8, 1)
    n_params <- if (sane) 3L else sample(-1:5, 1)
    rules <- if (sane) {
      data.frame(param = sample(1:3, k, TRUE), direction = sample(c(-1L, 1L), k, TRUE),
                 grade = sample(1:5, k, TRUE), ref = sample(refs[1:4], k, TRUE),
                 op = sample(ops[1:4], k, TRUE), factor = runif(k, 0.5, 5),
                 baseline = sample(conds[1:3], k, TRUE), required = sample(c(TRUE, FALSE), k, TRUE),
                 stringsAsFactors = FALSE)
    } else {
      data.frame(param = sample(c(-1L, NA_integer_, 0:6), k, TRUE),
                 direction = sample(-2:2, k, TRUE), grade = sample(-1:7, k, TRUE),
                 ref = sample(refs, k, TRUE), op = sample(ops, k, TRUE),
                 factor = smoke_double(k), baseline = sample(conds, k, TRUE),
                 required = sample(c(TRUE, FALSE, NA), k, TRUE), stringsAsFactors = FALSE)
    }
    n <- sample(0:30, 1)
    n2 <- if (sane || runif(1) < 0.8) n else sample(0:30, 1)
    param <- sample(if (sane) c(NA_integer_, 1:3) else c(NA_integer_, 0:6), n, TRUE)
    label <- sprintf("lab grading case %d", it)
    res <- smoke_call(glycotrial:::cpp_safety_grade_labs(
      rules, n_params, param, smoke_double(n), smoke_double(n2), smoke_double(n2), smoke_double(n2)))
    if (!smoke_classed(res, label)) next
    n_ok <- n_ok + 1
    g <- c(res$value$high, res$value$low)
    expect(length(res$value$high) == n && length(res$value$low) == n,
           sprintf("%s: one grade per record and direction", label))
    expect(all(is.na(g) | g %in% 0:5), sprintf("%s: grade outside 0..5", label))
  }
  expect_gt(n_ok, 10)
  # The user-facing path: grade_lab() on records with extreme and missing values.
  set.seed(12)
  lab <- glycotrial::adlb[glycotrial::adlb$PARAMCD %in% c("ALT", "AST", "BILI", "CREAT"), ]
  lab <- lab[sample(nrow(lab), 200), ]
  lab$AVAL <- smoke_double(nrow(lab))
  lab$ANRHI[sample(nrow(lab), 20)] <- NA
  res <- smoke_call(suppressWarnings(grade_lab(lab)))
  expect_true(smoke_classed(res, "grade_lab() on extreme values"))
  expect_true(all(is.na(res$value$ATOXGRH) | res$value$ATOXGRH %in% 0:5))
})

# --- index formulas at extreme magnitudes: never a silent wrong answer ----------------
# Random inputs from 1e-320 to 1e308 through the row indices (native units,
# so no R-side conversion); reference computed in log space, where nothing
# over- or underflows. Every non-NA result must match the reference to 1e-12
# relative, and every result whose true value lies outside the normal double
# range must be NA (with the overflow/underflow warning). See
# src/core/indices/fp_check.hpp.
test_that("row indices at extreme magnitudes are right or NA, never silently wrong", {
  set.seed(20261125)
  n <- 3000
  mag <- function() 10^stats::runif(n, -320, 308)
  g <- mag()
  x <- mag()
  # log_mid: logs of the formula's intermediates (G * I for HOMA1-IR, CP * G
  # for Ohkura), which may leave the range although the result would not.
  cases <- list(
    homa1_ir = list(value = function() homa1_ir(g, x), log_ref = log(g) + log(x) - log(22.5),
                    log_mid = log(g) + log(x)),
    ohkura = list(value = function() ohkura_index(g, x, glucose_unit = "mg/dL", cpeptide_unit = "ng/mL"),
                  log_ref = log(20) - log(x) - log(g), log_mid = log(g) + log(x)),
    ratio = list(value = function() glucose_insulin_ratio(g, x, glucose_unit = "mg/dL"),
                 log_ref = log(g) - log(x), log_mid = log(g) - log(x))
  )
  lo <- log(.Machine$double.xmin) - 1e-9
  hi <- log(.Machine$double.xmax) + 1e-9
  for (nm in names(cases)) {
    cs <- cases[[nm]]
    v <- suppressWarnings(cs$value())
    ok <- !is.na(v)
    err <- abs(log(v[ok]) - cs$log_ref[ok])
    expect(all(err < 1e-12), sprintf("%s: %d non-NA results off the log-space reference (max %g)",
                                     nm, sum(err >= 1e-12), max(c(0, err))))
    outside <- cs$log_ref < lo | cs$log_ref > hi
    expect(all(is.na(v[outside])), sprintf("%s: %d results outside the double range not NA",
                                           nm, sum(!is.na(v[outside]))))
    # The flag check must not be over-eager: results (and intermediates) well
    # inside the range survive.
    inside <- cs$log_ref > lo + 1 & cs$log_ref < hi - 1 & cs$log_mid > lo + 1 &
      cs$log_mid < hi - 1 & g > .Machine$double.xmin & x > .Machine$double.xmin
    expect(mean(!is.na(v[inside])) == 1, sprintf("%s: in-range results set to NA", nm))
  }
})
