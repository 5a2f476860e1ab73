library(testthat)
library(glycotrial)

test_check("glycotrial")
