#' @include plugins_registry.R
NULL

# Built-in plugins of the safety area (lab grading schemes, AESI groups) and
# methods for optional packages' generics. The S3 interop methods are queued
# from inside the built-in hook because some of them are defined in files
# collated after this one; .onLoad runs register_builtin_plugins() before
# register_s3_interop().

add_builtin_plugins("safety", function() {
  # Lab grading schemes (R/safety_lab_grading.R).
  register_plugin_kind("lab_grading", validate_lab_grading,
                       description = "Laboratory toxicity grading schemes (rules on AVAL vs ULN/LLN/BASE/absolute)")
  register_lab_grading(
    "ctcae_v5", ctcae_v5_rules(), units = ctcae_v5_units(),
    description = "NCI CTCAE v5.0 laboratory grades: ALT, AST, ALP, bilirubin, creatinine, eGFR (CKD), hypoglycaemia, neutrophils, platelets, haemoglobin, potassium, sodium, fever",
    reference = "NCI CTCAE v5.0 (2017); conventions of admiral ncictcaev5 metadata")

  # Adverse events of special interest (R/safety_aesi.R).
  register_plugin_kind("aesi", validate_aesi,
                       description = "Adverse events of special interest: groups of MedDRA PTs/SOCs")
  ref <- "glycotrial trial-specific list (MedDRA preferred terms); edit with register_aesi()"
  register_aesi("infusion_reactions",
                terms = c("Pyrexia", "Pruritus", "Nausea", "Vomiting", "Anaphylactic reaction",
                          "Anaphylactic shock", "Phlebitis", "Infusion site phlebitis",
                          "Infusion related reaction", "Chills", "Urticaria", "Flushing"),
                description = "Infusion reactions (window after each infusion)", reference = ref)
  register_aesi("infections", socs = "Infections and infestations",
                description = "Infections (MedDRA SOC)", reference = ref)
  register_aesi("neoplasms",
                socs = "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
                description = "Tumour formation (MedDRA SOC)", reference = ref)
  register_aesi("hepatic",
                terms = c("Hepatic function abnormal", "Alanine aminotransferase increased",
                          "Aspartate aminotransferase increased", "Transaminases increased",
                          "Blood bilirubin increased", "Hyperbilirubinaemia", "Jaundice",
                          "Liver function test increased", "Liver function test abnormal",
                          "Hepatic enzyme increased", "Drug-induced liver injury",
                          "Hepatotoxicity", "Hepatitis", "Hepatic failure",
                          "Gamma-glutamyltransferase increased",
                          "Blood alkaline phosphatase increased"),
                socs = "Hepatobiliary disorders",
                description = "Impaired liver function", reference = ref)
  register_aesi("renal",
                terms = c("Blood creatinine increased", "Glomerular filtration rate decreased",
                          "Acute kidney injury", "Renal impairment", "Renal failure",
                          "Chronic kidney disease", "Proteinuria", "Renal function test abnormal"),
                description = "Impaired kidney function", reference = ref)
  register_aesi("hypoglycaemia",
                terms = c("Hypoglycaemia", "Blood glucose decreased", "Hypoglycaemic seizure",
                          "Hypoglycaemic unconsciousness", "Hypoglycaemia unawareness"),
                description = "Hypoglycaemia", reference = ref)

  # Methods for generics of optional packages.
  add_s3_interop("flextable", "as_flextable", "glycotrial_safety",
                 as_flextable_glycotrial_safety)
  for (m in safety_autoplot_methods()) add_s3_interop("ggplot2", "autoplot", m$class, m$fun)
})
