#include "bcvk/vm/initrd_addon.hpp"

#include "bcvk/guest_init/boot_args.hpp"
#include "bcvk/util/error.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

namespace bcvk {
namespace {

constexpr const char* k_addon_dir = "usr/lib/bcvk-initrd";

std::string hex8(std::size_t value) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08zX", value);
  return buf;
}

void pad4(std::string& out) {
  while (out.size() % 4 != 0) {
    out += '\0';
  }
}

void append_entry(std::string& out, const std::string& name, unsigned mode, const std::string& data, std::size_t ino,
                  unsigned rdev_major = 0, unsigned rdev_minor = 0) {
  out += "070701";
  for (const std::size_t field : {ino, static_cast<std::size_t>(mode), std::size_t{0}, std::size_t{0}, std::size_t{1},
                                  std::size_t{0}, data.size(), std::size_t{0}, std::size_t{0}, std::size_t{rdev_major},
                                  std::size_t{rdev_minor}, name.size() + 1, std::size_t{0}}) {
    out += hex8(field);
  }
  out += name;
  out += '\0';
  pad4(out);
  out += data;
  pad4(out);
}

// A module path modules.dep may name: relative, below the kernel's module tree, no "..".
bool is_safe_module_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos || path.size() > 255) {
    return false;
  }
  return std::all_of(path.begin(), path.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '/' || c == '_' || c == '-' || c == '.';
  });
}

std::string load_script(const std::vector<ModuleFile>& modules) {
  std::string files;
  for (const auto& m : modules) {
    files.append(files.empty() ? "" : " ").append(m.path.substr(m.path.rfind('/') + 1)); // see kernel_cmdline
  }
  // Shell built-ins only, apart from insmod and sleep: an initramfs carries few tools.
  return "#!/bin/sh\n"
         "# Written by bcvk: makes sure virtiofs is there for the root file system, loading the image's\n"
         "# own modules when this initramfs has none, then waits for the root's virtiofs device.\n"
         "insmod=$(command -v insmod || true)\n"
         "if [ -z \"$insmod\" ]; then\n"
         "  # kmod acts as insmod when called by that name.\n"
         "  kmod=$(command -v kmod || readlink -f \"$(command -v modprobe)\")\n"
         "  mkdir -p /run/bcvk-initrd && ln -sf \"$kmod\" /run/bcvk-initrd/insmod && insmod=/run/bcvk-initrd/insmod\n"
         "fi\n"
         "for file in " +
         files +
         "; do\n"
         "  name=${file%%.ko*}\n"
         "  [ -d \"/sys/module/$name\" ] || \"$insmod\" \"/" +
         std::string(k_addon_dir) +
         "/modules/$file\" || echo \"bcvk: could not load $file\" >&2\n"
         "done\n"
         "ready() {\n"
         "  fs=\n"
         "  while read -r a b; do [ \"$a\" = virtiofs ] || [ \"$b\" = virtiofs ] && fs=1; done </proc/filesystems\n"
         "  [ -n \"$fs\" ] || return 1\n"
         "  for d in /sys/bus/virtio/drivers/virtiofs/virtio*; do [ -e \"$d\" ] && return 0; done\n"
         "  return 1\n"
         "}\n"
         "i=0\n"
         "until ready; do\n"
         "  i=$((i + 1))\n"
         "  if [ \"$i\" -gt 300 ]; then echo 'bcvk: no virtiofs device for the root after 30 s' >&2; exit 1; fi\n"
         "  sleep 0.1 2>/dev/null || sleep 1\n"
         "done\n";
}

} // namespace

std::string newc_archive(const std::vector<CpioEntry>& entries) {
  std::string out;
  std::size_t ino = 1;
  for (const auto& entry : entries) {
    using Kind = CpioEntry::Kind;
    const unsigned type = entry.kind == Kind::directory     ? 0040000
                          : entry.kind == Kind::symlink     ? 0120000
                          : entry.kind == Kind::char_device ? 0020000
                                                            : 0100000;
    const bool has_data = entry.kind == Kind::file || entry.kind == Kind::symlink;
    append_entry(out, entry.path, type | (entry.mode & 07777), has_data ? entry.data : std::string(), ino++,
                 entry.device_major, entry.device_minor);
  }
  append_entry(out, "TRAILER!!!", 0, "", 0);
  return out;
}

std::vector<std::string> modules_to_load(const std::string& modules_dep, const std::vector<std::string>& wanted) {
  std::vector<std::string> order;
  std::istringstream lines(modules_dep);
  std::string line;
  std::vector<std::pair<std::string, std::vector<std::string>>> entries;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    const std::string path = line.substr(0, colon);
    std::istringstream deps(line.substr(colon + 1));
    std::vector<std::string> dep_paths;
    bool safe = is_safe_module_path(path);
    for (std::string dep; deps >> dep;) {
      safe = safe && is_safe_module_path(dep);
      dep_paths.push_back(dep);
    }
    if (safe) {
      entries.emplace_back(path, std::move(dep_paths));
    }
  }
  // virtio_pci and virtiofs need a handful of modules; an image that lists more is refused rather
  // than copied into every instance.
  const auto add = [&order](const std::string& path) {
    if (std::find(order.begin(), order.end(), path) == order.end()) {
      if (order.size() == k_max_addon_modules) {
        throw Error("the image's modules.dep lists more than " + std::to_string(k_max_addon_modules) +
                    " modules for a virtiofs root: rebuild its modules.dep with depmod");
      }
      order.push_back(path);
    }
  };
  for (const auto& name : wanted) {
    const auto it = std::find_if(entries.begin(), entries.end(), [&name](const auto& entry) {
      return guest_init::module_name_of_file(entry.first) == name;
    });
    if (it == entries.end()) {
      continue;
    }
    // modules.dep lists what a module needs with the most basic last; modprobe loads backwards.
    for (auto dep = it->second.rbegin(); dep != it->second.rend(); ++dep) {
      add(*dep);
    }
    add(it->first);
  }
  return order;
}

std::vector<CpioEntry> virtiofs_initrd_addon(const std::vector<ModuleFile>& modules) {
  using Kind = CpioEntry::Kind;
  const std::string dir = k_addon_dir;
  std::vector<CpioEntry> entries{
      {Kind::directory, dir, "", 0755},
      {Kind::directory, dir + "/modules", "", 0755},
  };
  for (const auto& m : modules) {
    entries.push_back({Kind::file, dir + "/modules/" + m.path.substr(m.path.rfind('/') + 1), m.bytes, 0644});
  }
  entries.push_back({Kind::file, dir + "/load-virtiofs.sh", load_script(modules), 0755});
  entries.push_back({Kind::file, "usr/lib/systemd/system/bcvk-virtiofs-root.service",
                     "# Written by bcvk: virtiofs for the root, even when this initramfs was built without it.\n"
                     "[Unit]\n"
                     "Description=bcvk: virtiofs for the root file system\n"
                     "DefaultDependencies=no\n"
                     "ConditionKernelCommandLine=rootfstype=virtiofs\n"
                     "After=systemd-udev-trigger.service\n"
                     "Before=sysroot.mount dracut-pre-mount.service\n"
                     "\n"
                     "[Service]\n"
                     "Type=oneshot\n"
                     "RemainAfterExit=yes\n"
                     "ExecStart=/bin/sh /" +
                         dir + "/load-virtiofs.sh\n",
                     0644});
  entries.push_back({Kind::directory, "usr/lib/systemd/system/sysroot.mount.requires", "", 0755});
  entries.push_back({Kind::symlink, "usr/lib/systemd/system/sysroot.mount.requires/bcvk-virtiofs-root.service",
                     "../bcvk-virtiofs-root.service", 0777});
  // dracut refuses a root it has no module for before systemd mounts it. Its hooks live in
  // /lib/dracut/hooks (dracut up to 059, whether /lib is a directory or a link to usr/lib) or in
  // /var/lib/dracut/hooks (dracut-ng): the hook goes to both. The kernel skips a file whose
  // directory is missing, so the copy for the other dracut is not even created; no directory entry
  // is added for them, as one would replace a link of the same name.
  for (const char* hooks : {"lib/dracut/hooks", "var/lib/dracut/hooks"}) {
    entries.push_back({Kind::file, std::string(hooks) + "/cmdline/95-bcvk-virtiofs.sh",
                       "# Written by bcvk: a virtiofs root is mounted by sysroot.mount.\n"
                       "[ \"$fstype\" = virtiofs ] && rootok=1\n",
                       0644});
  }
  return entries;
}

} // namespace bcvk
