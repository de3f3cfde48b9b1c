#include "bcvk/vm/plan.hpp"

#include <algorithm>

#include "bcvk/util/rooted_fs.hpp"

#include "bcvk/vm/cloud_init_seed.hpp"
#include "bcvk/vm/containers_storage_conf.hpp"
#include "bcvk/vm/credentials.hpp"
#include "bcvk/vm/ignition_config.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"

namespace bcvk {
namespace {

// What virt-manager and `virsh desc` show a person: what this VM is and how it goes away.
std::string describe(const RunConfig& config, const LaunchFacts& facts) {
  std::string text = "Ephemeral VM of " + config.image + ", made by bcvk at " + facts.created + ". ";
  text += config.rm ? "Shutting it down (here, or with 'bcvk ephemeral stop " + facts.name +
                          "') removes it with all its state."
                    : "Shutting it down keeps it: 'bcvk ephemeral start " + facts.name + "' boots it again, 'bcvk " +
                          "ephemeral rm " + facts.name + "' removes it.";
  return text;
}

// Read-write binds are shared directly; read-only ones through their read-only views.
std::vector<FsShare> shares_for(const InstanceLayout& layout, const std::vector<BindSpec>& binds) {
  std::vector<FsShare> shares;
  for (const auto& bind : binds) {
    shares.push_back(
        {bind.read_only ? layout.read_only_view(bind.name) : bind.host_path, mount_tag(bind.name), bind.read_only});
  }
  return shares;
}

std::vector<ChannelOutput> channels_for(const RunConfig& config, const InstanceLayout& layout,
                                        const HostInputs& inputs) {
  std::vector<ChannelOutput> channels{{k_journal_port, layout.journal_log(), true}};
  channels.insert(channels.end(), inputs.serial_outputs.begin(), inputs.serial_outputs.end());
  if (!config.execute.empty()) {
    const ExecuteOutputs out = layout.execute_outputs();
    channels.push_back({k_execute_stdout_port, out.stdout_path, false});
    channels.push_back({k_execute_stderr_port, out.stderr_path, false});
    channels.push_back({k_execute_status_port, out.status_path, false});
  }
  return channels;
}

void append_enabled(std::vector<GuestFile>& files, const GuestFile& unit) {
  files.push_back(unit);
  const std::string name = unit.path.substr(unit.path.rfind('/') + 1);
  const auto links = enable_links(name, unit.content);
  files.insert(files.end(), links.begin(), links.end());
}

void append(std::vector<GuestFile>& files, const std::vector<GuestFile>& more) {
  files.insert(files.end(), more.begin(), more.end());
}

std::vector<GuestFile> guest_files_for(const RunConfig& config, const LaunchFacts& facts) {
  std::vector<GuestFile> files;
  append_enabled(files, journal_unit());
  for (const auto& bind : facts.inputs.binds) {
    append_enabled(files, virtiofs_mount_unit(mount_tag(bind.name), guest_mount_point(bind), bind.read_only));
  }
  if (config.swap_bytes) {
    append_enabled(files, swap_unit(k_swap_serial));
  }
  append(files, env_files(config.env));
  if (!config.execute.empty()) {
    append(files, execute_files(config.execute));
  }
  for (const auto& unit : facts.inputs.units) {
    files.push_back({"etc/systemd/system/" + unit.path, unit.content, 0644, false});
    if (unit.enable) {
      append(files, enable_links(unit.path, unit.content));
    }
  }
  if (facts.ssh) {
    append(files, host_key_files(facts.ssh->host_private, facts.ssh->host_public));
  }
  if (!facts.inputs.cloud_init_seed.empty()) {
    append(files, cloud_init_seed_files(facts.inputs.cloud_init_seed));
  }
  if (facts.ssh && facts.image_boot.cloud_init) {
    files.push_back(keep_host_key_drop_in());
  }
  for (const auto& bind : facts.inputs.binds) {
    if (bind.name == k_storage_mount_name) {
      files.push_back({k_storage_conf_path,
                       storage_conf_with_image_store(facts.image_boot.storage_conf, guest_mount_point(bind)), 0644,
                       false});
    }
  }
  return files;
}

// What bcvk puts into the guest's root, as the record keeps it (InstanceRecord::placed_paths).
std::vector<std::string> placed_paths(const InstancePlan& plan, const LaunchFacts& facts) {
  std::vector<std::string> paths;
  for (const auto& file : plan.guest_files) {
    paths.push_back(tree_relative(file.path));
  }
  for (const auto& removed : plan.guest_removals) {
    paths.push_back(tree_relative(removed));
  }
  for (const auto& bind : facts.inputs.binds) {
    // The mount point systemd makes for a share (a share's files live on the host).
    paths.push_back(tree_relative(guest_mount_point(bind)));
  }
  if (facts.ssh) {
    // systemd-tmpfiles writes the credential there on every boot.
    paths.push_back(tree_relative(facts.root_home + "/.ssh/authorized_keys"));
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

} // namespace

InstanceRecord instance_record(const RunConfig& config, const LaunchFacts& facts) {
  InstanceRecord r;
  r.name = facts.name;
  r.image = config.image;
  r.image_id = facts.image_id;
  r.image_digest = facts.image_digest;
  r.image_repo_digest = facts.image_repo_digest;
  r.arch = facts.guest_arch;
  r.created = facts.created;
  r.uri = facts.uri;
  r.domain_uuid = facts.domain_uuid;
  r.auto_remove = config.rm;
  r.detached = config.detach;
  r.kernel_version = facts.kernel_version;
  r.systemd_version = facts.systemd_version;
  r.memory_bytes = config.memory_bytes;
  r.vcpus = config.vcpus;
  r.root_size_bytes = config.root_size_bytes;
  r.initramfs = facts.initramfs;
  r.ssh_port = facts.ssh_port;
  r.ports = config.ports;
  r.labels = config.labels;
  for (const auto& bind : facts.inputs.binds) {
    (bind.read_only ? r.read_only_binds : r.read_write_binds).push_back(bind);
  }
  for (const auto& disk : facts.inputs.disks) {
    r.disks.push_back({disk.path, disk.serial, disk.format}); // resolved: `start` may run from anywhere
  }
  for (const auto& out : facts.inputs.serial_outputs) {
    r.serial_outputs.push_back({out.name, out.path});
  }
  return r;
}

InstanceMetadata metadata_view(const InstanceRecord& record, const std::string& instance_dir,
                               const std::vector<FsShare>& shares) {
  InstanceMetadata m;
  m.image = record.image;
  m.image_id = record.image_id;
  m.image_digest = record.image_digest;
  m.image_repo_digest = record.image_repo_digest;
  m.arch = record.arch;
  m.created = record.created;
  m.instance_dir = instance_dir;
  m.auto_remove = record.auto_remove;
  m.detached = record.detached;
  m.labels = record.labels;
  m.mounts = shares;
  return m;
}

InstancePlan plan_instance(const RunConfig& config, const LaunchFacts& facts) {
  const InstanceLayout layout(facts.instance_dir);
  InstancePlan plan;
  plan.record = instance_record(config, facts);
  for (const auto& bind : facts.inputs.binds) {
    if (bind.read_only) {
      plan.read_only_views.push_back(bind);
    }
  }
  plan.swap_bytes = config.swap_bytes;
  plan.guest_files = guest_files_for(config, facts);
  if (!facts.inputs.cloud_init_seed.empty()) {
    plan.guest_removals = cloud_init_seed_removals();
  }
  plan.record.placed_paths = placed_paths(plan, facts);

  VmSpec& spec = plan.spec;
  spec.name = facts.name;
  spec.uuid = facts.domain_uuid;
  spec.title = "bcvk: " + config.image + " (" + facts.name + ")"; // virt-manager lists VMs by title
  spec.description = describe(config, facts);
  spec.virt_type = facts.virt_type;
  spec.machine = guest_machine(facts.guest_arch);
  spec.cpu = guest_cpu(spec.machine, facts.virt_type);
  spec.gic_version = guest_gic_version(spec.machine, facts.virt_type);
  spec.translation_cache_mib = facts.libvirt_sizes_tcg_cache ? guest_translation_cache_mib(facts.virt_type) : 0;
  if (spec.machine.uefi) {
    spec.efi_vars = layout.efi_vars_file();
  }
  spec.memory_bytes = config.memory_bytes;
  spec.vcpus = config.vcpus;
  spec.kernel = layout.kernel_file();
  spec.initrd = layout.initrd_file();
  spec.cmdline = kernel_cmdline(guest_kargs(config, facts.image_boot), has_display(config), spec.machine.console);
  spec.graphics = config.graphics;
  if (spec.cmdline.size() > k_max_kernel_cmdline) {
    throw UsageError("--karg: with the image's own kernel arguments (kargs.d) the command line would be " +
                     std::to_string(spec.cmdline.size()) + " bytes; the kernel keeps only " +
                     std::to_string(k_max_kernel_cmdline) + ": pass fewer arguments");
  }
  spec.root_dir = layout.root_dir();
  spec.shares = shares_for(layout, facts.inputs.binds);
  spec.disks = facts.inputs.disks;
  if (config.swap_bytes) {
    spec.disks.push_back({layout.swap_file(), "raw", k_swap_serial});
  }
  if (facts.ssh) {
    spec.credentials.push_back(authorized_keys_credential(facts.ssh->client_public));
  }
  if (!config.ignition.empty()) {
    plan.ignition_config = facts.inputs.ignition_config;
    spec.fw_cfg_files.push_back({k_ignition_fw_cfg_name, layout.ignition_config_file()});
  }
  spec.console_log = layout.console_log();
  spec.channels = channels_for(config, layout, facts.inputs);
  spec.network.choice = config.network;
  spec.network.backend = facts.backend;
  spec.network.ssh_port = facts.ssh_port;
  spec.network.ports = config.ports;
  spec.metadata = metadata_view(plan.record, layout.path(), spec.shares);
  return plan;
}

} // namespace bcvk
