#include "bcvk/guest_staging.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "bcvk/error.hpp"
#include "bcvk/guest_files.hpp"
#include "bcvk/handle.hpp"
#include "bcvk/mounts.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

std::string view_path(const InstanceDir& dir, const std::string& name) {
  return dir.file("ro/" + name);
}

// Copies DIR/system into /etc/systemd/system of the guest and enables each unit per [Install].
std::vector<GuestFile> user_unit_links(const std::string& units_dir, const std::string& guest_root) {
  const fs::path target = fs::path(guest_root) / "etc/systemd/system";
  std::error_code ec;
  fs::create_directories(target, ec);
  fs::copy(units_dir, target, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (ec) {
    throw Error("--systemd-units: cannot copy " + units_dir + " into the guest: " + ec.message());
  }
  std::vector<GuestFile> links;
  for (fs::directory_iterator it(units_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Template units need an instance name to be enabled; they stay available for others to use.
    if (!it->is_regular_file() || name.find("@.") != std::string::npos) {
      continue;
    }
    const auto more = enable_links(name, read_text_file(it->path().string()));
    links.insert(links.end(), more.begin(), more.end());
  }
  return links;
}

void append_enabled(std::vector<GuestFile>& files, const GuestFile& unit) {
  files.push_back(unit);
  const std::string name = fs::path(unit.path).filename().string();
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
    std::error_code ec;
    fs::create_directories(view, ec);
    if (ec) {
      throw Error("cannot create " + view + ": " + ec.message());
    }
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
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) {
      throw Error("cannot create swap file " + path + ": " + std::strerror(errno));
    }
  }
  const auto r = runner.run({"mkswap", "-q", path});
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
  if (!config.execute.empty()) {
    const auto exec = execute_files(config.execute, config.env);
    files.insert(files.end(), exec.begin(), exec.end());
  }
  if (!inputs.units_dir.empty()) {
    const auto links = user_unit_links(inputs.units_dir, dir.root_dir());
    files.insert(files.end(), links.begin(), links.end());
  }
  install_guest_files(dir.root_dir(), files);
}

std::vector<ChannelOutput> standard_channels(const InstanceDir& dir, const HostInputs& inputs) {
  std::vector<ChannelOutput> channels{{k_journal_port, dir.file("journal.log"), true}};
  channels.insert(channels.end(), inputs.serial_outputs.begin(), inputs.serial_outputs.end());
  return channels;
}

} // namespace bcvk
