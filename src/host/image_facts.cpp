#include "bcvk/host/image_facts.hpp"
#include "bcvk/vm/architecture.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/utsname.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/containers_storage_conf.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/vm/sshd_config.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

// Configuration files are small; a huge one is not a configuration file.
constexpr std::size_t k_max_config_file = 256 * 1024;

// What one question about the image may read, in files and bytes: an image could otherwise make
// bcvk read without end (a million links to one file, Includes that fan out).
struct ReadBudget {
  std::size_t files;
  std::size_t bytes;
  const char* what; // for the error: "kargs.d", "sshd configuration"

  void open_one(const std::string& path) {
    if (files == 0) {
      exceeded(path);
    }
    --files;
  }
  void read(const std::string& path, std::size_t size) {
    if (size > bytes) {
      exceeded(path);
    }
    bytes -= size;
  }
  [[noreturn]] void exceeded(const std::string& path) const {
    throw Error("the image's " + std::string(what) + " is larger than bcvk reads (at " + printable(path) +
                "): keep it to a few small files");
  }
};

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
std::vector<ConfigFile> matching_files(const RootedTree& root, const std::string& dir, const std::string& pattern,
                                       ReadBudget& budget) {
  std::vector<ConfigFile> files;
  for (const auto& entry : root.list(dir, LinkPolicy::confined)) {
    if (::fnmatch(pattern.c_str(), entry.name.c_str(), FNM_PERIOD) != 0) {
      continue;
    }
    const std::string path = (dir == "/" ? "" : dir) + "/" + entry.name;
    if (root.kind_of(path, LinkPolicy::confined) != TreeEntry::Kind::file) {
      continue;
    }
    budget.open_one(path);
    if (auto text = root.read_file(path, LinkPolicy::confined, k_max_config_file)) {
      budget.read(path, text->size());
      files.push_back({path, std::move(*text)});
    }
  }
  return files;
}

// The kernel's name of this machine (uname -m).
std::string kernel_machine() {
  utsname u{};
  return ::uname(&u) == 0 ? std::string(u.machine) : std::string("x86_64");
}

} // namespace

std::string host_architecture() {
  return canonical_architecture(kernel_machine());
}

ImageBootFacts read_image_boot_facts(const RootedTree& root, const std::string& image, const std::string& guest_arch) {
  ImageBootFacts facts;
  const std::string arch = bootc_architecture_name(guest_arch);
  try {
    ReadBudget budget{64, 1024 * 1024, "kargs.d"};
    for (const auto& file : matching_files(root, k_kargs_dir, "*.toml", budget)) {
      for (auto& arg : kargs_from_toml(file.path, file.text, arch)) {
        if (const auto why = why_image_karg_is_ignored(arg)) {
          spdlog::warn("image {}: ignoring '{}' from {}: {}", printable(image), printable(arg), printable(file.path),
                       *why);
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

namespace {

// `target` of a link at the top of the tree, resolved by its text alone, clamped at the root as the
// kernel clamps it inside the guest: "var/roothome", "/var/roothome", "../var/roothome" all name
// var/roothome. For a target that does not exist yet (a bootc image's /var/roothome is made at
// boot).
std::string lexically_below_root(const std::string& target) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= target.size()) {
    const auto slash = target.find('/', start);
    const std::string part = target.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  std::string out;
  for (const auto& part : parts) {
    out += (out.empty() ? "" : "/") + part;
  }
  return out;
}

// The text of the link `name` at the top of the tree, or nullopt when it is no link.
std::optional<std::string> top_level_link(const RootedTree& root, const std::string& name) {
  const auto link = root.open_at(name, O_PATH | O_NOFOLLOW | O_CLOEXEC, LinkPolicy::none);
  struct stat st {};
  if (!link || ::fstat(link->get(), &st) != 0 || !S_ISLNK(st.st_mode)) {
    return std::nullopt;
  }
  std::string target(4096, '\0');
  const ssize_t n = ::readlinkat(link->get(), "", target.data(), target.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= target.size()) {
    return std::nullopt;
  }
  target.resize(static_cast<std::size_t>(n));
  return target;
}

} // namespace

std::string root_home_in(const RootedTree& root) {
  std::optional<Fd> home;
  try {
    home = root.open_at("root", O_PATH | O_DIRECTORY | O_CLOEXEC, LinkPolicy::confined);
  } catch (const Error&) {
    home.reset(); // resolved by the link's text below
  }
  if (!home) {
    // A link to what the image does not ship: where systemd will make it, by the link's text.
    const auto target = top_level_link(root, "root");
    const std::string resolved = target ? lexically_below_root(*target) : "";
    return resolved.empty() ? "root" : resolved;
  }
  // Where the kernel resolved it, confined to the tree: the descriptor's path below the tree's root.
  std::error_code ec;
  const std::string resolved = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(home->get()), ec);
  const std::string prefix = std::filesystem::canonical(root.host_path(), ec).string() + "/";
  if (ec || !resolved.starts_with(prefix) || resolved.size() == prefix.size()) {
    return "root";
  }
  return tree_relative(resolved.substr(prefix.size()));
}

std::optional<ConfigFile> read_storage_conf(const RootedTree& root) {
  // containers-storage takes the first that exists, whatever it is: so does bcvk (read_file refuses
  // anything but a regular file, naming it).
  for (const char* path : {k_storage_conf_path, k_storage_conf_default_path}) {
    if (root.kind_of(path, LinkPolicy::confined)) {
      if (auto text = root.read_file(path, LinkPolicy::confined, k_max_config_file)) {
        return ConfigFile{"/" + std::string(path), std::move(*text)};
      }
    }
  }
  return std::nullopt;
}

void check_guest_mount_points(const RootedTree& image_root, const std::vector<BindSpec>& binds) {
  for (const auto& bind : binds) {
    if (bind.guest_path.empty()) {
      continue;
    }
    const std::string option = bind.read_only ? "--ro-bind" : "--bind";
    // Paths were checked normalised and absolute: every component is a plain name.
    std::string prefix;
    for (std::size_t start = 1; start <= bind.guest_path.size();) {
      const auto slash = std::min(bind.guest_path.find('/', start), bind.guest_path.size());
      prefix = bind.guest_path.substr(0, slash);
      start = slash + 1;
      const auto fd = image_root.open_at(prefix, O_PATH | O_NOFOLLOW, LinkPolicy::confined);
      if (!fd) {
        break; // missing: systemd creates it, and everything below it
      }
      struct stat st {};
      if (::fstat(fd->get(), &st) != 0 || S_ISDIR(st.st_mode)) {
        continue;
      }
      if (!S_ISLNK(st.st_mode)) {
        throw UsageError(option + ": guest path '" + bind.guest_path + "' goes through " + prefix +
                         ", which is not a directory in the image: mount the share elsewhere, e.g. /workspace");
      }
      char target[4096];
      const ssize_t n = ::readlinkat(fd->get(), "", target, sizeof target - 1);
      const std::string to = n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
      std::string hint = "mount the share elsewhere, e.g. /workspace";
      if (!to.empty() && to.find_first_of("\n\r") == std::string::npos) {
        const fs::path base = to.front() == '/' ? fs::path(to) : fs::path(dir_of(prefix)) / to;
        const std::string rest = start < bind.guest_path.size() ? bind.guest_path.substr(start) : "";
        std::string led_to = (base / rest).lexically_normal().string();
        while (led_to.size() > 1 && led_to.back() == '/') {
          led_to.pop_back();
        }
        hint = "use the path it leads to, " + printable(led_to);
      }
      throw UsageError(option + ": guest path '" + bind.guest_path + "' goes through " + prefix +
                       ", a symbolic link in the image (to " + printable(to) + "), and systemd does not mount over " +
                       "a link: " + hint);
    }
  }
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
  ReadBudget budget{128, 1024 * 1024, "sshd configuration"};
  const IncludeExpander expand = [&root, &budget](const std::string& pattern) {
    return matching_files(root, dir_of(pattern), pattern.substr(pattern.rfind('/') + 1), budget);
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
