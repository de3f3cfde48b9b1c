#include "bcvk/host_inputs.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "bcvk/error.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

std::string absolute_existing(const std::string& option, const std::string& path) {
  std::error_code ec;
  const fs::path resolved = fs::canonical(path, ec);
  if (ec) {
    throw UsageError(option + ": " + path + " does not exist: give an existing path");
  }
  return resolved.string();
}

std::string existing_dir(const std::string& option, const std::string& path) {
  const std::string resolved = absolute_existing(option, path);
  std::error_code ec;
  if (!fs::is_directory(resolved, ec)) {
    throw UsageError(option + ": " + path + " is not a directory: give a directory to share");
  }
  return resolved;
}

std::string disk_format(const std::string& path, ProcessRunner& runner) {
  const auto r = runner.run({"qemu-img", "info", "--force-share", "--output=json", path});
  if (r.status != 0) {
    throw UsageError("--mount-disk-file: cannot read " + path +
                     " as a disk image: " + r.err.substr(0, r.err.find('\n')));
  }
  const std::string format = parse_qemu_img_format(r.out);
  if (format != "raw" && format != "qcow2") {
    throw UsageError("--mount-disk-file: " + path + " is a " + format +
                     " image: use raw or qcow2 (convert with 'qemu-img convert -O qcow2')");
  }
  return format;
}

} // namespace

std::string parse_qemu_img_format(const std::string& json) {
  try {
    return nlohmann::json::parse(json).value("format", "unknown");
  } catch (const nlohmann::json::exception&) {
    return "unknown";
  }
}

HostInputs resolve_host_inputs(const RunConfig& config, ProcessRunner& runner, ImageStore& store) {
  HostInputs in;
  for (const auto& bind : config.binds) {
    const std::string option = bind.read_only ? "--ro-bind" : "--bind";
    in.binds.push_back({existing_dir(option, bind.host_path), bind.name, bind.read_only});
  }
  if (config.bind_storage_ro) {
    in.binds.push_back({existing_dir("--bind-storage-ro", store.storage_root()), k_storage_mount_name, true});
  }
  for (const auto& disk : config.disks) {
    const std::string path = absolute_existing("--mount-disk-file", disk.path);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec) && !fs::is_block_file(path, ec)) {
      throw UsageError("--mount-disk-file: " + disk.path + " is not a file or block device");
    }
    in.disks.push_back({path, disk_format(path, runner), disk.name});
  }
  for (const auto& out : config.serial_outputs) {
    const fs::path target = fs::absolute(out.path);
    std::error_code ec;
    if (!fs::is_directory(target.parent_path(), ec)) {
      throw UsageError("--virtio-serial-out: directory " + target.parent_path().string() + " of " + out.path +
                       " does not exist: create it first");
    }
    if (fs::is_directory(target, ec)) {
      throw UsageError("--virtio-serial-out: " + out.path + " is a directory: give a file path");
    }
    in.serial_outputs.push_back({out.name, target.lexically_normal().string(), false});
  }
  if (!config.systemd_units.empty()) {
    const std::string dir = existing_dir("--systemd-units", config.systemd_units);
    std::error_code ec;
    if (!fs::is_directory(dir + "/system", ec)) {
      throw UsageError("--systemd-units: " + config.systemd_units + " has no system/ subdirectory: put the units in " +
                       config.systemd_units + "/system/");
    }
    in.units_dir = dir + "/system";
  }
  return in;
}

} // namespace bcvk
