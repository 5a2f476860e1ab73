# Runs the Catch unit tests of the C++ core (src/test-*.cpp).
skip_if_not_installed("xml2")
run_cpp_tests("glycotrial")
