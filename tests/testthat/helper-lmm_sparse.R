# Crossed subjects x items with a random slope in x per subject: the data of
# the Kenward-Roger and profile-interval tests of fits with several grouping
# factors (test-lmm_sparse_kr.R, test-lmm_sparse_profile.R).
lmm_sparse_kr_sim <- function() {
  set.seed(5)
  d <- expand.grid(rep = 1:2, subj = sprintf("s%02d", 1:12), item = sprintf("i%02d", 1:6))
  d$trt <- factor(c("A", "B", "C")[as.integer(d$item) %% 3 + 1])
  d$x <- stats::rnorm(nrow(d))
  d$y <- 1 + 0.5 * (d$trt == "A") + 0.3 * d$x + stats::rnorm(12)[as.integer(d$subj)] +
    stats::rnorm(12, 0, 0.5)[as.integer(d$subj)] * d$x +
    stats::rnorm(6, 0, 0.5)[as.integer(d$item)] + stats::rnorm(nrow(d))
  d
}
