# `make demo`: the main job on the shipped example trial. Renders the trial
# report to demo/trial-report.html and prints its path.
suppressPackageStartupMessages(library(glycotrial))
dir.create("demo", showWarnings = FALSE)
out <- normalizePath(file.path("demo", "trial-report.html"), mustWork = FALSE)
path <- glycotrial::render_trial_report(output_file = out)
cat(path, "\n", sep = "")
