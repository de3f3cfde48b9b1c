#include "bcvk/host/image_facts.hpp"

#include <fnmatch.h>
#include <sys/utsname.h>

#include <spdlog/spdlog.h>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/sshd_config.hpp"

namespace bcvk {
namespace {

// Configuration files are small; a huge one is not a configuration file.
constexpr std::size_t k_max_config_file = 256 * 1024;

bool exists(const RootedTree& root, const std::string& path) {
  return root.kind_of(path, LinkPolicy::confined).has_value();
}

bool any_exists(const RootedTree& root, std::initializer_list<const char*> paths) {
  for (const char* path : paths) {
    if (exists(root, path)) {
      return true;
    }
  }
  return false;
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// The regular files in `dir` whose names match `pattern`, sorted by name, with their text.
std::vector<ConfigFile> matching_files(const RootedTree& root, const std::string& dir, const std::string& pattern) {
  std::vector<ConfigFile> files;
  for (const auto& entry : root.list(dir, LinkPolicy::confined)) {
    if (::fnmatch(pattern.c_str(), entry.name.c_str(), FNM_PERIOD) != 0) {
      continue;
    }
    const std::string path = (dir == "/" ? "" : dir) + "/" + entry.name;
    if (root.kind_of(path, LinkPolicy::confined) != TreeEntry::Kind::file) {
      continue;
    }
    if (auto text = root.read_file(path, LinkPolicy::confined, k_max_config_file)) {
      files.push_back({path, std::move(*text)});
    }
  }
  return files;
}

} // namespace

std::string bootc_architecture() {
  utsname u{};
  if (::uname(&u) != 0) {
    return "x86_64";
  }
  const std::string machine = u.machine;
  if (machine == "ppc64le" || machine == "ppc64") {
    return "powerpc64";
  }
  return machine;
}

ImageBootFacts read_image_boot_facts(const RootedTree& root, const std::string& image) {
  ImageBootFacts facts;
  const std::string arch = bootc_architecture();
  try {
    for (const auto& file : matching_files(root, k_kargs_dir, "*.toml")) {
      for (auto& arg : kargs_from_toml(file.path, file.text, arch)) {
        if (is_bcvk_owned_karg(arg)) {
          spdlog::warn("image {}: ignoring '{}' from {}: bcvk boots the image's root over virtiofs", image, arg,
                       file.path);
          continue;
        }
        facts.kargs.push_back(std::move(arg));
      }
    }
  } catch (const Error& e) {
    throw Error("image " + image + ": " + e.what() + " (bootc would refuse this image too: fix the file)");
  }
  facts.selinux = exists(root, "/etc/selinux/config");
  facts.cloud_init = any_exists(root, {"/usr/bin/cloud-init", "/usr/lib/systemd/system/cloud-init.service",
                                       "/lib/systemd/system/cloud-init.service"});
  for (const auto& entry : root.list("/var/lib/cloud/seed", LinkPolicy::confined)) {
    facts.cloud_init_seed = facts.cloud_init_seed || (facts.cloud_init && entry.name.rfind("nocloud", 0) == 0);
  }
  return facts;
}

void require_ssh_server(const RootedTree& root, const std::string& image) {
  const bool daemon = any_exists(root, {"/usr/sbin/sshd", "/usr/bin/sshd"});
  const bool unit = any_exists(root, {"/usr/lib/systemd/system/ssh.service", "/usr/lib/systemd/system/sshd.service",
                                      "/lib/systemd/system/ssh.service", "/lib/systemd/system/sshd.service",
                                      "/etc/systemd/system/ssh.service", "/etc/systemd/system/sshd.service",
                                      "/usr/lib/systemd/system/sshd.socket", "/usr/lib/systemd/system/ssh.socket"});
  if (!daemon || !unit) {
    throw Error("image " + image + " has no SSH server (" +
                (daemon ? "no ssh.service or sshd.service unit" : "no sshd") +
                "), so -K, run-ssh and ssh cannot reach it: install openssh-server in the image, or run commands "
                "without SSH with 'bcvk ephemeral run --execute COMMAND'");
  }
  const auto main = root.read_file("/etc/ssh/sshd_config", LinkPolicy::confined, k_max_config_file);
  if (!main) {
    return; // sshd's defaults allow a key login as root
  }
  const IncludeExpander expand = [&root](const std::string& pattern) {
    return matching_files(root, dir_of(pattern), pattern.substr(pattern.rfind('/') + 1));
  };
  const auto setting = sshd_setting("PermitRootLogin", {"/etc/ssh/sshd_config", *main}, expand);
  if (setting && forbids_root_key_login(setting->value)) {
    throw Error("image " + image + " does not let root log in over SSH (PermitRootLogin " + setting->value + " in " +
                setting->file +
                "), and bcvk logs in as root: allow it in the image (e.g. PermitRootLogin "
                "prohibit-password), or run commands without SSH with 'bcvk ephemeral run --execute COMMAND'");
  }
}

} // namespace bcvk
