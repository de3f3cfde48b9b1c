#include "bcvk/instance/guest_staging.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bcvk/util/error.hpp"
#include "bcvk/host/guest_files.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/host/mounts.hpp"

namespace bcvk {
namespace {

std::string view_path(const InstanceDir& dir, const std::string& name) {
  return dir.file("ro/" + name);
}

void append_enabled(std::vector<GuestFile>& files, const GuestFile& unit) {
  files.push_back(unit);
  const std::string name = unit.path.substr(unit.path.rfind('/') + 1);
  const auto links = enable_links(name, unit.content);
  files.insert(files.end(), links.begin(), links.end());
}

} // namespace

void mount_read_only_views(const InstanceDir& dir, const std::vector<BindSpec>& binds) {
  for (const auto& bind : binds) {
    if (!bind.read_only) {
      continue;
    }
    const std::string view = view_path(dir, bind.name);
    // ro/ is private: the views make host directories reachable by a new path.
    make_private_dir(dir.file("ro"), 0700);
    make_private_dir(view, 0755);
    bind_mount_read_only(bind.host_path, view);
  }
}

std::vector<FsShare> shares_for(const InstanceDir& dir, const std::vector<BindSpec>& binds) {
  std::vector<FsShare> shares;
  for (const auto& bind : binds) {
    shares.push_back(
        {bind.read_only ? view_path(dir, bind.name) : bind.host_path, mount_tag(bind.name), bind.read_only});
  }
  return shares;
}

DiskAttachment create_swap(const InstanceDir& dir, std::uint64_t bytes, ProcessRunner& runner) {
  const std::string path = dir.file("swap.img");
  {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) {
      throw Error("cannot create swap file " + path + ": " + std::strerror(errno));
    }
  }
  const auto r = runner.run({"mkswap", "-q", "--", path});
  if (r.status != 0) {
    throw Error("mkswap " + path + " failed: " + r.err.substr(0, r.err.find('\n')));
  }
  return {path, "raw", k_swap_serial};
}

void stage_guest_files(const InstanceDir& dir, const RunConfig& config, const HostInputs& inputs) {
  std::vector<GuestFile> files;
  append_enabled(files, journal_unit());
  for (const auto& bind : inputs.binds) {
    append_enabled(files, virtiofs_mount_unit(mount_tag(bind.name), guest_mount_point(bind.name), bind.read_only));
  }
  if (config.swap_bytes) {
    append_enabled(files, swap_unit(k_swap_serial));
  }
  const auto env = env_files(config.env);
  files.insert(files.end(), env.begin(), env.end());
  if (!config.execute.empty()) {
    const auto exec = execute_files(config.execute);
    files.insert(files.end(), exec.begin(), exec.end());
  }
  for (const auto& unit : inputs.units) {
    files.push_back({"etc/systemd/system/" + unit.path, unit.content, 0644, false});
    if (unit.enable) {
      const auto links = enable_links(unit.path, unit.content);
      files.insert(files.end(), links.begin(), links.end());
    }
  }
  install_guest_files(RootedTree::open(dir.root_dir(), "the guest root"), files);
}

std::vector<ChannelOutput> standard_channels(const InstanceDir& dir, const HostInputs& inputs) {
  std::vector<ChannelOutput> channels{{k_journal_port, dir.file("journal.log"), true}};
  channels.insert(channels.end(), inputs.serial_outputs.begin(), inputs.serial_outputs.end());
  return channels;
}

} // namespace bcvk
