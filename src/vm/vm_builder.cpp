#include "bcvk/vm/vm_builder.hpp"

#include <algorithm>

namespace bcvk {
namespace {

bool is_kernel_space(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == ' ' || (u >= '\t' && u <= '\r') || u == 0xa0;
}

std::string describe(const RunConfig& config, const HostFacts& facts) {
  std::string text = "Ephemeral VM of " + config.image + " created by bcvk at " + facts.created + ". ";
  text += config.rm ? "It is removed with all its state when it stops."
                    : "It is kept when it stops: 'bcvk ephemeral start " + facts.name +
                          "' boots it again, "
                          "'bcvk ephemeral rm " +
                          facts.name + "' removes it.";
  return text;
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

std::vector<std::string> guest_kargs(const RunConfig& config) {
  return config.kargs;
}

std::string kernel_cmdline(const std::vector<std::string>& extra) {
  std::string cmdline = k_base_kargs;
  for (const auto& arg : extra) {
    cmdline += " " + quote_karg(arg);
  }
  return cmdline;
}

VmSpec build_vm_spec(const RunConfig& config, const HostFacts& facts) {
  VmSpec spec;
  spec.name = facts.name;
  spec.title = "bcvk: " + config.image;
  spec.description = describe(config, facts);
  spec.virt_type = facts.virt_type;
  spec.memory_bytes = config.memory_bytes;
  spec.vcpus = config.vcpus;
  spec.kernel = facts.kernel;
  spec.initrd = facts.initrd;
  spec.cmdline = kernel_cmdline(guest_kargs(config));
  spec.root_dir = facts.root_dir;
  spec.shares = facts.shares;
  spec.disks = facts.disks;
  spec.credentials = facts.credentials;
  spec.console_log = facts.console_log;
  spec.channels = facts.channels;
  spec.network.choice = config.network;
  spec.network.backend = facts.backend;
  spec.network.ssh_port = facts.ssh_port;
  spec.metadata.image = config.image;
  spec.metadata.image_id = facts.image_id;
  spec.metadata.created = facts.created;
  spec.metadata.instance_dir = facts.instance_dir;
  spec.metadata.auto_remove = config.rm;
  spec.metadata.detached = config.detach;
  spec.metadata.labels = config.labels;
  spec.metadata.mounts = facts.shares;
  return spec;
}

} // namespace bcvk
