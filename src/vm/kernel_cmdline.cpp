#include "bcvk/vm/kernel_cmdline.hpp"

#include <algorithm>
#include <array>

#include "bcvk/guest_init/boot_args.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/ignition_config.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

using guest_init::is_kernel_space;

// The kernel splits its command line on white space unless it is inside double quotes.
std::string quote_karg(const std::string& arg) {
  if (std::none_of(arg.begin(), arg.end(), is_kernel_space) || arg.find('"') != std::string::npos) {
    return arg;
  }
  const auto eq = arg.find('=');
  if (eq == std::string::npos) {
    return "\"" + arg + "\"";
  }
  return arg.substr(0, eq + 1) + "\"" + arg.substr(eq + 1) + "\"";
}

std::vector<std::string> split_kernel_cmdline(const std::string& cmdline) {
  return guest_init::split_kernel_words(cmdline); // the guest init splits it the same way
}

void check_kernel_argument(const std::string& source, const std::string& arg) {
  check_plain_text(source, "kernel argument", arg);
  if (split_kernel_cmdline(quote_karg(arg)).size() != 1) {
    throw UsageError(source + ": invalid kernel argument '" + printable(arg) + "': give one non-empty argument");
  }
  if (std::count(arg.begin(), arg.end(), '"') % 2 != 0) {
    throw UsageError(source + ": kernel argument '" + printable(arg) +
                     "' has an unbalanced double quote: quote a value as KEY=\"VALUE\"");
  }
}

std::vector<std::string> guest_kargs(const RunConfig& config, const ImageBootFacts& image) {
  const auto has_key = [](const std::string& arg, const auto& keys) {
    const std::string_view key = std::string_view(arg).substr(0, arg.find('='));
    return std::find(keys.begin(), keys.end(), key) != keys.end();
  };
  const auto any_sets = [&has_key](const std::vector<std::string>& args, const auto& keys) {
    return std::any_of(args.begin(), args.end(), [&](const std::string& arg) { return has_key(arg, keys); });
  };
  static constexpr std::array<std::string_view, 2> k_selinux_keys{"selinux", "enforcing"};
  static constexpr std::array<std::string_view, 4> k_cloud_init_keys{"cloud-init", "ds", "ci.ds", "ci.datasource"};
  // A virtiofs root carries no SELinux labels: an enforcing guest denies its own services. selinux=0
  // turns SELinux off where the kernel honours it (Fedora, CentOS, RHEL); where the kernel was built
  // without that switch (Debian) it is ignored, and enforcing=0 makes SELinux permissive instead
  // (libselinux reads the first enforcing= it finds, so the image's own is left out). Only the user's
  // own selinux=/enforcing= arguments replace this.
  const bool selinux_off = image.selinux && !any_sets(config.kargs, k_selinux_keys);
  // A --cloud-init seed is what the user wants cloud-init to read, whatever datasource the image
  // names for itself (cloud-init=disabled, a cloud's); only the user's own --karg replaces it.
  const bool seeded = !config.cloud_init.empty();
  std::vector<std::string> args;
  for (const auto& arg : image.kargs) {
    if (!(selinux_off && has_key(arg, k_selinux_keys)) && !(seeded && has_key(arg, k_cloud_init_keys))) {
      args.push_back(arg);
    }
  }
  if (selinux_off) {
    args.emplace_back("selinux=0");
    args.emplace_back("enforcing=0");
  }
  // cloud-init would wait for a cloud's metadata service: off, or the image's own NoCloud seed,
  // unless the user or the image chose a datasource.
  if (image.cloud_init && !any_sets(config.kargs, k_cloud_init_keys) &&
      (seeded || !any_sets(image.kargs, k_cloud_init_keys))) {
    args.emplace_back(seeded || image.cloud_init_seed ? "ds=nocloud" : "cloud-init=disabled");
  }
  if (!config.ignition.empty()) {
    for (const auto& arg : ignition_kargs()) {
      const std::array<std::string_view, 1> key{std::string_view(arg).substr(0, arg.find('='))};
      if (!any_sets(config.kargs, key)) {
        args.push_back(arg);
      }
    }
  }
  args.insert(args.end(), config.kargs.begin(), config.kargs.end());
  return args;
}

std::string kernel_cmdline(const std::vector<std::string>& extra, bool display, std::string_view console) {
  std::string cmdline = k_root_kargs;
  if (display) {
    // The kernel also writes to the display; the serial console stays the last one named, so it
    // remains /dev/console (what bcvk logs and --console shows).
    cmdline += " console=tty0";
  }
  cmdline.append(" console=").append(console);
  for (const auto& arg : extra) {
    cmdline.append(" ").append(quote_karg(arg)); // not " " + s: GCC 12 -Wrestrict false positive
  }
  return cmdline;
}

} // namespace bcvk
