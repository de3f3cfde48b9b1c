#include "bcvk/vm/kernel_cmdline.hpp"

#include <algorithm>

namespace bcvk {
namespace {

bool is_kernel_space(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == ' ' || (u >= '\t' && u <= '\r') || u == 0xa0;
}

} // namespace

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
  std::vector<std::string> args;
  std::size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && is_kernel_space(cmdline[i])) {
      ++i;
    }
    if (i == cmdline.size()) {
      break;
    }
    bool in_quote = false;
    const std::size_t start = i;
    for (; i < cmdline.size() && (in_quote || !is_kernel_space(cmdline[i])); ++i) {
      in_quote = cmdline[i] == '"' ? !in_quote : in_quote;
    }
    args.push_back(cmdline.substr(start, i - start));
  }
  return args;
}

std::vector<std::string> guest_kargs(const RunConfig& config, const ImageBootFacts& image) {
  const auto user_sets = [&config](std::initializer_list<std::string_view> keys) {
    return std::any_of(config.kargs.begin(), config.kargs.end(), [&keys](const std::string& arg) {
      const std::string_view key = std::string_view(arg).substr(0, arg.find('='));
      return std::find(keys.begin(), keys.end(), key) != keys.end();
    });
  };
  std::vector<std::string> args = image.kargs;
  if (image.selinux && !user_sets({"selinux", "enforcing"})) {
    args.emplace_back("selinux=0");
  }
  if (image.cloud_init && !user_sets({"cloud-init", "ds", "ci.ds", "ci.datasource"})) {
    args.emplace_back(image.cloud_init_seed ? "ds=nocloud" : "cloud-init=disabled");
  }
  args.insert(args.end(), config.kargs.begin(), config.kargs.end());
  return args;
}

std::string kernel_cmdline(const std::vector<std::string>& extra) {
  std::string cmdline = k_base_kargs;
  for (const auto& arg : extra) {
    cmdline += " " + quote_karg(arg);
  }
  return cmdline;
}

} // namespace bcvk
