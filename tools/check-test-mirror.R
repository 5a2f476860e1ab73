# Tests mirror R/: every R file has tests/testthat/test-<file>.R; further
# suites of one R file are test-<file>_<topic>.R; suites that cut across files
# (bad input, fuzz smoke, determinism, numerical stress, validation against
# other packages, ...) are test-zz-<topic>.R. One separator style: names use
# underscores as R/ does (the only dash after "test-" is "zz-", or one that the
# mirrored R file itself has, as interop-emmeans.R).
#
# Run from the package root: Rscript tools/check-test-mirror.R
# It prints what breaks the rule and exits with status 1 if anything does;
# tests/testthat/test-zz-layout.R runs check_test_mirror() on the sources.

# R files with nothing to test on their own: generated glue, data
# documentation, the package page, load hooks and deprecated aliases.
test_mirror_exempt <- c("RcppExports.R", "data.R", "glycotrial-package.R", "zzz.R")

check_test_mirror <- function(root = ".") {
  all_r <- sub("\\.R$", "", list.files(file.path(root, "R"), pattern = "\\.R$"))
  r_files <- setdiff(all_r, sub("\\.R$", "", test_mirror_exempt))
  tests <- list.files(file.path(root, "tests", "testthat"), pattern = "^test-.*\\.R$")
  stems <- sub("^test-(.*)\\.R$", "\\1", tests)
  zz <- startsWith(stems, "zz-")
  # A test file belongs to the longest R file name it starts with; what
  # follows that name (the topic) must not use '-'.
  rest <- vapply(stems, function(s) {
    if (startsWith(s, "zz-")) return(substring(s, 4))
    hit <- all_r[s == all_r | startsWith(s, paste0(all_r, "_"))]
    if (!length(hit)) return(NA_character_)
    substring(s, max(nchar(hit)) + 1)
  }, "", USE.NAMES = FALSE)
  list(
    unmirrored = setdiff(r_files, stems),
    orphans = tests[is.na(rest)],
    separators = tests[!is.na(rest) & grepl("-", rest)]
  )
}

if (sys.nframe() == 0L) {
  res <- check_test_mirror(".")
  msg <- c(unmirrored = "R files without tests/testthat/test-<file>.R:",
           orphans = "test files named after no R file (rename, or test-zz-<topic>.R if cross-cutting):",
           separators = "test file names with '-' where R/ uses '_':")
  ok <- TRUE
  for (k in names(msg)) if (length(res[[k]])) {
    ok <- FALSE
    cat(msg[[k]], paste0("  ", res[[k]]), sep = "\n")
  }
  if (ok) cat("Every R file has its mirrored test file.\n")
  quit(status = if (ok) 0L else 1L)
}
