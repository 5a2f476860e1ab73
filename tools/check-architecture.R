# Checks that ARCHITECTURE.md names only things that exist (issue 16): every
# path (R/..., src/..., tools/..., tests/..., inst/..., bench/...; globs must
# match something, templates with <...> are skipped), every bare file name
# in backticks (found anywhere below R/, src/, tools/), every `name()` (an R
# function defined in R/ or a C++ function/method in src/) and every
# backticked C++ type name (CamelCase, defined in src/).
#
# check_architecture(root) returns the missing names (character(0): all
# there). Run by tests/testthat/test-zz-layout.R; from the shell:
#   Rscript tools/check-architecture.R [ROOT]

check_architecture <- function(root = ".") {
  doc <- file.path(root, "ARCHITECTURE.md")
  if (!file.exists(doc)) return("ARCHITECTURE.md")
  txt <- paste(readLines(doc, warn = FALSE), collapse = "\n")
  grab <- function(pattern, x = txt) unique(regmatches(x, gregexpr(pattern, x, perl = TRUE))[[1]])
  sources <- function(dirs, pattern) {
    unlist(lapply(file.path(root, dirs), list.files, pattern = pattern, recursive = TRUE, full.names = TRUE))
  }
  r_text <- unlist(lapply(sources("R", "\\.R$"), readLines, warn = FALSE))
  cpp_text <- unlist(lapply(sources(c("src", "inst/include"), "\\.(cpp|hpp|h)$"), readLines, warn = FALSE))
  missing <- character()
  # paths
  paths <- sub("[.,;:)]+$", "", grab("\\b(R|src|tools|tests|inst|bench)/[A-Za-z0-9_./*<>-]*"))
  for (p in paths[!grepl("<", paths)]) {
    full <- file.path(root, p)
    ok <- if (grepl("[*]", p)) length(Sys.glob(full)) > 0 else file.exists(sub("/$", "", full))
    if (!ok) missing <- c(missing, p)
  }
  # bare file names in backticks
  spans <- gsub("`", "", grab("`[^`\n]+`"))
  files <- spans[grepl("^[A-Za-z0-9_.-]+\\.(R|cpp|hpp|h)$", spans)]
  all_files <- basename(sources(c("R", "src", "tools", "inst"), "."))
  missing <- c(missing, setdiff(files, all_files))
  # functions: name() anywhere in the text
  fns <- sub("\\(\\)$", "", grab("\\b[A-Za-z_.][A-Za-z0-9_.]*\\(\\)"))
  for (f in fns) {
    esc <- gsub(".", "\\.", f, fixed = TRUE)
    r_def <- any(grepl(paste0("^\\s*`?", esc, "`?\\s*<-\\s*function"), r_text))
    cpp_def <- any(grepl(paste0("\\b", esc, "\\s*\\("), cpp_text))
    if (!r_def && !cpp_def) missing <- c(missing, paste0(f, "()"))
  }
  # C++ types in backticks
  types <- spans[grepl("^[A-Z][a-z]+[A-Z][A-Za-z]*$", spans)]
  for (t in types) {
    if (!any(grepl(paste0("\\b(class|struct)\\s+", t, "\\b"), cpp_text))) missing <- c(missing, t)
  }
  unique(missing)
}

if (sys.nframe() == 0L) {
  args <- commandArgs(trailingOnly = TRUE)
  miss <- check_architecture(if (length(args)) args[1] else ".")
  if (length(miss)) {
    cat("ARCHITECTURE.md names what does not exist:\n", paste0("  ", miss, "\n"), sep = "")
    quit(status = 1)
  }
  cat("ARCHITECTURE.md: every name exists\n")
}
