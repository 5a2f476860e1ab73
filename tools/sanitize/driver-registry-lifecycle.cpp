// Sanitizer driver for the plugin registry's lifecycle (no entry may outlive
// the code it points to, built-ins are protected):
// register, overwrite, override a built-in, unregister, unload and reload the
// owning shared library, with the owner hooks the glue installs simulated by
// registry_lifecycle_model.hpp. A call into an "unloaded" library aborts, as
// does a listed entry of one or a built-in replaced without the opt-in.
#include <random>
#include <vector>

#include "driver_util.hpp"
#include "registry_lifecycle_model.hpp"

namespace {
using sanitize_driver::call;
using sanitize_driver::Outcome;
namespace reg = glycotrial::plugins;
namespace lc = lifecycle;
}  // namespace

context("sanitize driver: plugin registry lifecycle") {
  test_that("an unloaded library's plugins are dropped, a built-in override is undone") {
    lc::begin();
    char err[256];
    // overwrite alone does not replace a built-in ...
    auto over = lc::index_plugin(0, 0);
    expect_true(glycotrial_register_index_v2(&over, "pkgA", "lcA", GLYCOTRIAL_REGISTER_OVERWRITE,
                                             err, sizeof(err)) != 0);
    expect_true(glycotrial_register_index_v1(&over, "pkgA", 1, err, sizeof(err)) != 0);
    expect_true(reg::take_notices().empty());
    // ... the explicit flag does, with a notice naming the package
    expect_true(glycotrial_register_index_v2(&over, "pkgA", "lcA",
                                             GLYCOTRIAL_REGISTER_OVERWRITE |
                                                 GLYCOTRIAL_REGISTER_OVERRIDE_BUILTIN,
                                             err, sizeof(err)) == 0);
    auto notes = reg::take_notices();
    expect_true((notes.size() == 1u && notes[0].package == "pkgA"));
    std::vector<double> out = reg::compute_index(*reg::find_index("lc_builtin"), {{1}, {2}});
    expect_true(out[0] == 3.0);  // 1 + 2 + library 0
    // unloading lcA brings the built-in back (no call into lcA)
    lc::loaded(0) = false;
    out = reg::compute_index(*reg::find_index("lc_builtin"), {{1}, {2}});
    expect_true(out[0] == 6.0);  // 1 + 2 + "library" 3 (the core)
    expect_true(reg::take_notices().size() == 1u);

    // a plain plugin of an unloaded library: classed error, then listed nowhere
    auto plain = lc::covariance_plugin(1, 1);
    expect_true(glycotrial_register_covariance_v1(&plain, "pkgB", 0, err, sizeof(err)) == 0);
    expect_true(reg::find_covariance("lc_one") != nullptr);
    lc::loaded(1) = false;
    expect_true(call([&] { reg::find_covariance("lc_one"); }) == Outcome::Classed);
    expect_true(call([&] { reg::find_covariance("lc_one"); }) == Outcome::Classed);
    expect_true(reg::unloaded_owner("covariance", "lc_one") == "lcB");
    expect_false(lc::listed("covariance", "lc_one", nullptr));
    // registering it again (library reloaded) clears the record
    lc::loaded(1) = true;
    expect_true(glycotrial_register_covariance_v2(&plain, "pkgB", "lcB", 0, err, sizeof(err)) == 0);
    expect_true(reg::unloaded_owner("covariance", "lc_one").empty());
    expect_true(glycotrial::mmrm::plugin_sigma(*reg::find_covariance("lc_one"), {0, 0}, 2, {0, 1}).size() ==
                4u);
    // prune_unloaded() drops without a lookup
    lc::loaded(1) = false;
    expect_true(reg::prune_unloaded() == 1);
    lc::end();
  }

  test_that("plugin-reported sizes and outputs are bounded and checked") {
    lc::begin();
    static int (*huge)(int) = [](int) { return 2000000000; };
    glycotrial_covariance_v1 h{GLYCOTRIAL_PLUGIN_ABI, "lc_two", "", "", 0, huge, lc::sigma<3>};
    reg::register_covariance(h, "pkg", true);
    expect_true(call([&] { reg::checked_n_theta(h, 5); }) == Outcome::Classed);
    expect_true(call([&] { reg::checked_n_theta(h, 20000); }) == Outcome::Classed);  // > 1e4 visits
    const double asym[4] = {1.0, 0.5, 0.4, 1.0};
    expect_true(call([&] { reg::check_covariance_matrix("x", asym, 2); }) == Outcome::Classed);
    const double sym[4] = {1.0, 0.5, 0.5, 1.0};
    expect_true(call([&] { reg::check_covariance_matrix("x", sym, 2); }) == Outcome::Returned);
    lc::end();
  }

  test_that("random lifecycles never call into an unloaded library") {
    std::mt19937 rng(20261205);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int run = 0; run < 40; ++run) {
      std::vector<uint8_t> ops(600);
      for (auto& b : ops) b = static_cast<uint8_t>(byte(rng));
      lc::run(ops.data(), ops.size());
    }
    expect_true(true);
  }
}
