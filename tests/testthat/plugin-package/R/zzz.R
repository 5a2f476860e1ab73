.onLoad <- function(libname, pkgname) {
  .Call(glycoplugin_register)
}
.onUnload <- function(libpath) {
  glycotrial::unregister_plugin("index", "plugin_glucose_ratio")
  glycotrial::unregister_plugin("covariance", "plugin_cs")
}
