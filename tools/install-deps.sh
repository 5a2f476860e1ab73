#!/usr/bin/env bash
# Installs everything glycotrial needs to build, test and render its report.
# Idempotent and fast when all is present: it first asks R what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RSCRIPT=${RSCRIPT:-Rscript}

strip() { grep -v '^[[:space:]]*#' "$1" | sed '/^[[:space:]]*$/d'; }

# R package name of a Debian r-cran-* package, matched case-insensitively in R.
missing_debian=$(strip "$here/deps-debian.txt" | "$RSCRIPT" -e '
  con <- file("stdin"); deb <- readLines(con); close(con)
  have <- tolower(rownames(installed.packages()))
  miss <- vapply(deb, function(d) {
    if (!startsWith(d, "r-cran-")) {
      # a program on the PATH, or an installed Debian package (postgresql, libpq-dev)
      return(!nzchar(Sys.which(d)) &&
             !identical(suppressWarnings(system2("dpkg-query", c("-W", shQuote("-f=${Status}"), d),
                                                 stdout = TRUE, stderr = FALSE)), "install ok installed"))
    }
    !(sub("^r-cran-", "", d) %in% have)
  }, logical(1))
  cat(deb[miss], sep = "\n")')

if [ -n "$missing_debian" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "install-deps: Debian packages: $(echo $missing_debian | tr '\n' ' ')"
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
      apt-get update -qq
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing_debian >/dev/null
  else
    echo "install-deps: not root or no apt-get; installing from CRAN instead" >&2
  fi
fi

# Anything still missing (CRAN-only packages, or Debian ones on a non-Debian machine).
strip "$here/deps-cran.txt" > /tmp/glycotrial-cran-deps.txt
strip "$here/deps-debian.txt" | grep '^r-cran-' | sed 's/^r-cran-//' >> /tmp/glycotrial-cran-deps.txt
"$RSCRIPT" -e '
  want <- readLines("/tmp/glycotrial-cran-deps.txt")
  have <- rownames(installed.packages())
  miss <- want[!tolower(want) %in% tolower(have)]
  if (length(miss)) {
    # Debian names are lower case; map to the CRAN spelling.
    # The configured repositories (getOption("repos")); none is named here.
    avail <- rownames(available.packages())
    miss <- avail[match(tolower(miss), tolower(avail), nomatch = 0)]
    message("install-deps: CRAN packages: ", paste(miss, collapse = " "))
    install.packages(miss, Ncpus = 2, quiet = TRUE)
    still <- miss[!miss %in% rownames(installed.packages())]
    if (length(still)) stop("install-deps: could not install: ", paste(still, collapse = " "))
  }'
echo "install-deps: all dependencies present"
