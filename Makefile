# The two commands of the README are `make demo` and `make test`; both install
# what they need first, so they work on a bare machine.
R       ?= R
RSCRIPT ?= Rscript
PKG     := glycotrial
VERSION := $(shell sed -n 's/^Version: *//p' DESCRIPTION)

.PHONY: all deps install demo test check document site screenshot report-pdf sanitize valgrind fuzz bench clean

all: test

deps:
	bash tools/install-deps.sh

# tools/install.sh sends the compiler's output to install.log (the screen gets
# one line) and clears a lock left by an interrupted install.
install: deps
	@R="$(R)" bash tools/install.sh

demo: install
	$(RSCRIPT) tools/demo.R

test: install
	$(RSCRIPT) tools/run-tests.R

# Regenerate RcppExports, NAMESPACE and man/ (developers only; the results are committed).
document:
	$(RSCRIPT) -e 'Rcpp::compileAttributes(); roxygen2::roxygenise()'

check: deps
	rm -rf check && mkdir -p check
	$(RSCRIPT) tools/check-cran-web.R check/cran-web
	cd check && $(R) CMD build .. && \
	  R_CRAN_WEB=file://$(CURDIR)/check/cran-web R_PROFILE_USER=$(CURDIR)/tools/check.Rprofile _R_CHECK_CRAN_INCOMING_REMOTE_=false \
	  _R_CHECK_FORCE_SUGGESTS_=false _R_CHECK_SYSTEM_CLOCK_=false \
	  $(R) CMD check --as-cran --no-manual $(PKG)_$(VERSION).tar.gz

site: install
	$(RSCRIPT) -e 'pkgdown::build_site(install = FALSE, new_process = FALSE)'

# PNG screenshot of the rendered report (demo/trial-report.png) so a person
# can look at it; installs Debian's chromium on first use (only here, not in deps).
CHROMIUM_FLAGS := --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars
screenshot: demo
	command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	chromium $(CHROMIUM_FLAGS) --window-size=1280,6000 \
	  --screenshot=$(CURDIR)/demo/trial-report.png file://$(CURDIR)/demo/trial-report.html
	@test -s demo/trial-report.png && echo $(CURDIR)/demo/trial-report.png

# The Word report (demo/trial-report.docx) converted to PDF and to PNG pages
# (demo/trial-report-page-N.png) so a person can look at the layout; installs
# Debian's LibreOffice Writer and poppler on first use (only here, not in deps).
REPORT_PARAMS ?= list(fast = TRUE)
report-pdf: install
	$(RSCRIPT) -e 'glycotrial::render_trial_report(output_file = "demo/trial-report.docx", output_format = "word", params = $(REPORT_PARAMS))'
	command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui poppler-utils >/dev/null; }
	cd demo && soffice --headless --convert-to pdf trial-report.docx >/dev/null
	rm -f demo/trial-report-page-*.png
	pdftoppm -png -r 80 demo/trial-report.pdf demo/trial-report-page
	@ls demo/trial-report.pdf demo/trial-report-page-*.png

bench: install
	for f in bench/*.R; do echo "== $$f"; $(RSCRIPT) $$f || exit 1; done

clean:
	rm -rf check demo docs src/*.o src/*.so src/core/*/*.o

# ---- reliability: sanitizers, valgrind, fuzzing (tools/sanitize, tools/fuzz) ----
# AddressSanitizer + UBSan build of the core and its C++ unit tests as a
# standalone executable (no R needed at run time), plus drivers that exercise
# representative core calls; fails on any report.
sanitize:
	$(MAKE) -f tools/sanitize/Makefile run RSCRIPT=$(RSCRIPT)

# A fast subset of the R tests under `R -d valgrind` (installs valgrind if
# missing); fails on any error or definite leak.
valgrind: install
	R=$(R) bash tools/sanitize/valgrind.sh

# libFuzzer harnesses, each for FUZZ_TIME seconds (installs clang/libFuzzer
# from Debian if missing); prints executions per harness, fails on a crash.
FUZZ_TIME ?= 30
fuzz:
	$(MAKE) -f tools/fuzz/Makefile run RSCRIPT=$(RSCRIPT) FUZZ_TIME=$(FUZZ_TIME)
