#include "bcvk/instance/prepare.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <random>

#include <spdlog/spdlog.h>

#include "bcvk/host/bootc_layout.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/host/guest_files.hpp"
#include "bcvk/instance/guest_staging.hpp"
#include "bcvk/host/host_inputs.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/instance/ports.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/ssh/keys.hpp"
#include "bcvk/vm/vm_builder.hpp"

namespace fs = std::filesystem;

extern char** environ;

namespace bcvk {
namespace {

constexpr unsigned long k_libvirt_with_passt_forwards = 9002000; // 9.2.0
// Kernels are tens of MiB and initramfs images rarely above a few hundred: a hostile image must
// not fill the host's disk through them.
constexpr std::uint64_t k_max_boot_file = std::uint64_t{2} << 30;

VmName pick_name(const RunConfig& config, const Connection& conn) {
  if (config.name) {
    const std::string& name = config.name->str();
    if (InstanceDir::open(*config.name)) {
      throw vm_exists_error(*config.name);
    }
    if (conn.find(name)) {
      throw UsageError("--name: libvirt already has a domain named '" + name +
                       "' (see 'virsh list --all'): pick another name");
    }
    return *config.name;
  }
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt) {
    VmName name = generate_vm_name([&rd] { return static_cast<std::uint32_t>(rd()); });
    if (!InstanceDir::open(name) && !conn.find(name.str())) {
      return name;
    }
  }
  throw Error("cannot find a free VM name; pass one with --name");
}

ImageInfo resolve_image(const std::string& image, ImageStore& store) {
  if (!store.exists(image)) {
    store.pull(image);
  }
  ImageInfo info = store.inspect(image);
  const auto label = info.labels.find("containers.bootc");
  if (label == info.labels.end() || label->second != "1") {
    spdlog::warn("{} has no containers.bootc=1 label; booting it anyway", image);
  }
  return info;
}

NetworkBackend pick_backend(const Connection& conn) {
  std::error_code ec;
  const bool have_passt = fs::exists("/usr/bin/passt", ec);
  return conn.library_version() >= k_libvirt_with_passt_forwards && have_passt ? NetworkBackend::passt
                                                                               : NetworkBackend::qemu_user;
}

// libvirt relabels kernel and initrd for the unprivileged qemu user: give it copies of its own
// rather than letting it chown files of the overlay. The image decides which files those are, so
// they are read strictly inside it: a kernel that is a link out of the image is refused.
void stage_kernel(const RootedTree& image_root, const std::string& image, const InstanceDir& dir,
                  InstanceState& state) {
  const BootArtifacts boot = find_boot_artifacts(image_root, image);
  state.kernel_version = boot.kernel_version;
  make_private_dir(dir.boot_dir(), 0711);
  if (!boot.uki.empty()) {
    extract_uki(image_root, boot.uki, dir.kernel_file(), dir.initrd_file());
  } else {
    image_root.copy_out(boot.kernel, LinkPolicy::beneath, dir.kernel_file(), 0644, k_max_boot_file);
    image_root.copy_out(boot.initrd, LinkPolicy::beneath, dir.initrd_file(), 0644, k_max_boot_file);
  }
}

void mount_root(InstanceDir& dir, const std::string& image_root) {
  // overlay/ is private: through it, other local users could read what the guest wrote, and the
  // upper layer could hold a set-uid file the guest made.
  make_private_dir(dir.overlay_dir(), 0700);
  make_private_dir(dir.upper_dir(), 0755);
  make_private_dir(dir.work_dir(), 0700);
  make_private_dir(dir.root_dir(), 0755);
  mount_overlay(image_root, dir.upper_dir(), dir.work_dir(), dir.root_dir());
}

} // namespace

std::vector<std::pair<std::string, std::string>> execute_ports(const InstanceDir& dir) {
  return {{k_execute_stdout_port, dir.file("execute.stdout")},
          {k_execute_stderr_port, dir.file("execute.stderr")},
          {k_execute_status_port, dir.file("execute.status")}};
}

PreparedInstance prepare_instance(const RunConfig& config, const Connection& conn, ImageStore& store,
                                  ProcessRunner& runner, SignalCatcher& signals) {
  const HostInputs inputs = resolve_host_inputs(config, runner, store);
  // Output files bcvk created go again if the VM never gets as far as using them.
  ScopeExit forget_created_outputs([&inputs] {
    for (const auto& path : inputs.created_files) {
      ::unlink(path.c_str());
    }
  });
  const ImageInfo image = resolve_image(config.image, store);
  signals.checkpoint();
  const VmName name = pick_name(config, conn);

  InstanceState state;
  state.name = name.str();
  state.image = config.image;
  state.image_id = image.id;
  state.created = now_rfc3339();
  state.uri = conn.uri();
  state.auto_remove = config.rm;
  state.detached = config.detach;
  state.memory_bytes = config.memory_bytes;
  state.vcpus = config.vcpus;
  state.labels = config.labels;
  for (const auto& bind : inputs.binds) {
    (bind.read_only ? state.read_only_binds : state.read_write_binds).push_back(bind);
  }
  for (const auto& disk : inputs.disks) {
    state.disks.push_back({disk.path, disk.serial}); // resolved: `start` may run from anywhere
  }
  for (const auto& out : inputs.serial_outputs) {
    state.serial_outputs.push_back({out.name, out.path});
  }
  auto owner = std::make_unique<InstanceOwner>(InstanceDir::create(name), state, store);
  InstanceDir& dir = owner->dir();
  owner->save();

  const std::string image_root = store.mount(image.id);
  owner->state().image_mounted = true;
  owner->save();
  signals.checkpoint();

  const RootedTree image_tree = RootedTree::open(image_root, "image " + config.image);
  stage_kernel(image_tree, config.image, dir, owner->state());
  owner->state().systemd_version = guest_systemd_version(image_tree).value_or(0);
  mount_root(dir, image_root);
  mount_read_only_views(dir, inputs.binds);
  owner->save();
  stage_guest_files(dir, config, inputs);
  std::vector<DiskAttachment> disks = inputs.disks;
  if (config.swap_bytes) {
    disks.push_back(create_swap(dir, *config.swap_bytes, runner));
  }
  signals.checkpoint();

  HostFacts facts;
  facts.name = name.str();
  facts.virt_type = conn.best_virt_type();
  facts.backend = pick_backend(conn);
  if (config.ssh_keygen) {
    generate_ssh_keys(dir.path(), dir.name(), runner);
    const SshKeyPaths keys = ssh_key_paths(dir.path());
    install_guest_files(RootedTree::open(dir.root_dir(), "the guest root"),
                        host_key_files(read_text_file(keys.host_key), read_text_file(keys.host_public)));
    facts.credentials.push_back(authorized_keys_credential(read_text_file(keys.client_public)));
  }
  // Every networked VM gets its SSH forward on loopback, whatever else its network allows.
  if (config.network.mode != NetworkMode::none) {
    const PortRegistryLock registry;
    facts.ssh_port = choose_port(claimed_ssh_ports(), pick_loopback_port, 64);
    owner->state().ssh_port = facts.ssh_port;
    owner->save();
  }
  facts.image_id = image.id;
  facts.created = owner->state().created;
  facts.instance_dir = dir.path();
  facts.kernel = dir.kernel_file();
  facts.initrd = dir.initrd_file();
  facts.root_dir = dir.root_dir();
  facts.console_log = dir.console_log();
  facts.shares = shares_for(dir, inputs.binds);
  facts.disks = disks;
  facts.channels = standard_channels(dir, inputs);
  if (!config.execute.empty()) {
    for (const auto& port : execute_ports(dir)) {
      facts.channels.push_back({port.first, port.second, false});
    }
  }
  PreparedInstance prepared;
  prepared.domain_xml = render_domain_xml(build_vm_spec(config, facts));
  write_file_atomic(dir.domain_xml_file(), prepared.domain_xml);
  prepared.owner = std::move(owner);
  forget_created_outputs.dismiss();
  return prepared;
}

void remount_instance(InstanceOwner& owner, ImageStore& store) {
  InstanceState& state = owner.state();
  if (!store.exists(state.image_id)) {
    throw Error("the image of " + state.name + " (" + state.image + ", " + state.image_id.substr(0, 12) +
                ") is gone from local storage: the VM cannot boot again; remove it with 'bcvk ephemeral rm " +
                state.name + "'");
  }
  owner.dir().migrate_layout();
  const std::string image_root = store.mount(state.image_id);
  state.image_mounted = true;
  owner.save();
  mount_root(owner.dir(), image_root);
  mount_read_only_views(owner.dir(), state.read_only_binds);
}

} // namespace bcvk
