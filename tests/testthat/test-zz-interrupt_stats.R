# Ctrl-C reaches the exact unconditional interval: the core asks
# the glue's interrupt hook every few thousand tables. A subprocess starts a
# computation that needs well over a minute of CPU (10 tables with n = 999,
# about 10 s each), receives SIGINT a second after it has started, and must
# end with R's interrupt condition long before the computation could have.

test_that("diff_ci(method = 'exact') with several large tables stops on SIGINT", {
  skip_on_cran()
  skip_on_os("windows")
  skip_if_not_installed("callr")
  flag <- tempfile()
  p <- callr::r_bg(function(flag) {
    library(glycotrial)
    file.create(flag)
    diff_ci(rep(500, 10), rep(999, 10), rep(450, 10), rep(999, 10), method = "exact")
  }, args = list(flag = flag), libpath = .libPaths())
  on.exit(if (p$is_alive()) p$kill(), add = TRUE)
  for (i in 1:600) {
    if (file.exists(flag) || !p$is_alive()) break
    Sys.sleep(0.1)
  }
  expect_true(file.exists(flag))
  Sys.sleep(1)
  expect_true(p$is_alive())
  p$interrupt()
  # Generous bound: 60 s, against > 100 s of CPU the computation needs.
  p$wait(60000)
  expect_false(p$is_alive())
  res <- tryCatch(p$get_result(), error = function(e) e)
  expect_s3_class(res, "error")
  expect_true(inherits(res$parent, "interrupt"))
})
