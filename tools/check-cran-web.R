# `make check` runs R CMD check --as-cran, whose orphaned-dependency check reads
# CRAN's web/packages/packages.rds. Our machines reach CRAN's package sources
# but not that file, so we serve a local stand-in listing the installed
# packages and their maintainers (none orphaned); point R_CRAN_WEB at it.
args <- commandArgs(trailingOnly = TRUE)
out <- file.path(args[[1]], "web", "packages")
dir.create(out, recursive = TRUE, showWarnings = FALSE)
ip <- utils::installed.packages(fields = "Maintainer")
db <- data.frame(Package = ip[, "Package"], Maintainer = ip[, "Maintainer"],
                 stringsAsFactors = FALSE, row.names = NULL)
saveRDS(db[!duplicated(db$Package), ], file.path(out, "packages.rds"))
