// testthat's Catch runner; the tests themselves are src/test-*.cpp.
#define TESTTHAT_TEST_RUNNER
#include <testthat.h>
