# joint_bootstrap(): reproducible from the seed; its SDs agree with the
# delta-method SEs of fit_joint() (both estimate the sampling SD of the
# standardised probability: within 40 % at 60 replicates); the core's
# composite probability at the estimates is the fit's (checked against
# mvtnorm::pmvnorm in test-fit_joint.R).

test_that("parametric bootstrap is reproducible and agrees with the delta method", {
  d <- adlb[adlb$USUBJID %in% unique(adlb$USUBJID)[1:50], ]
  fit <- fit_joint(d)
  b1 <- joint_bootstrap(fit, n_boot = 60, seed = 11)
  b2 <- joint_bootstrap(fit, n_boot = 60, seed = 11)
  expect_identical(attr(b1, "draws"), attr(b2, "draws"))
  b3 <- joint_bootstrap(fit, n_boot = 5, seed = 12)
  expect_false(identical(attr(b1, "draws")[1:5, ], attr(b3, "draws")))
  set.seed(3)
  b4 <- joint_bootstrap(fit, n_boot = 5)
  set.seed(3)
  b5 <- joint_bootstrap(fit, n_boot = 5)
  expect_identical(attr(b4, "draws"), attr(b5, "draws"))
  comp <- fit$joint$composite
  expect_equal(b1$probability, comp$probability)
  expect_equal(b1$std.error, comp$std.error, tolerance = 0.4)
  expect_true(all(b1$conf.low < b1$probability & b1$probability < b1$conf.high))
  expect_true(all(b1$n_boot == 60))
  expect_equal(dim(attr(b1, "draws")), c(60L, 2L))
  dif <- attr(b1, "difference")
  expect_equal(dif$estimate, diff(comp$probability))
  expect_equal(dif$std.error, attr(comp, "difference")$std.error, tolerance = 0.4)
})

test_that("joint_bootstrap() rejects bad input with classed errors", {
  d <- adlb[adlb$USUBJID %in% unique(adlb$USUBJID)[1:30], ]
  fit <- fit_joint(d)
  expect_error(joint_bootstrap(list()), class = "glycotrial_error_input")
  expect_error(joint_bootstrap(fit, n_boot = 1), class = "glycotrial_error_input")
  expect_error(joint_bootstrap(fit, n_boot = 10, seed = -1), class = "glycotrial_error_input")
  expect_error(joint_bootstrap(fit, n_boot = 10, seed = 1, conf_level = 2),
               class = "glycotrial_error_input")
})
