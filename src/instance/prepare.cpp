#include "bcvk/instance/prepare.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "bcvk/host/bootc_layout.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/fault_point.hpp"
#include "bcvk/util/log.hpp"
#include "bcvk/vm/guest_files.hpp"
#include "bcvk/host/guest_install.hpp"
#include "bcvk/host/staging.hpp"
#include "bcvk/vm/plan.hpp"
#include "bcvk/host/host_inputs.hpp"
#include "bcvk/host/image_choice.hpp"
#include "bcvk/host/image_facts.hpp"
#include "bcvk/host/initrd_append.hpp"
#include "bcvk/host/shared_boot_files.hpp"
#include "bcvk/host/mounts.hpp"
#include "bcvk/host/root_layer.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/instance/ports.hpp"
#include "bcvk/host/port_probe.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/ssh/keys.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"
#include "bcvk/vm/architecture.hpp"
#include "bcvk/vm/guest_init_binary.hpp"
#include "bcvk/vm/ignition_config.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/vm/guest_machine.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

// The guest init for the machine's architecture (the minimal initramfs): one is built for the
// build host's architecture, another only with a cross compiler. `who` says who asked for it.
std::string_view guest_init_for(const GuestMachine& machine, const std::string& who, const std::string& fix) {
  if (const auto init = guest_init_binary(machine.arch)) {
    return *init;
  }
  const std::string why = machine.arch == host_architecture()
                              ? "it was built without one (-DBCVK_GUEST_INIT=OFF, or no static C++ libraries)"
                              : "it was built without the " + machine.qemu_arch + "-linux-gnu-g++ cross compiler";
  throw UsageError(who + ": this bcvk has no guest init for " + machine.arch + " guests (" + why + "): " + fix);
}

// The minimal initramfs boots faster (docs/benchmarks.md) and needs nothing of the image's
// initramfs: the default wherever this bcvk has an init for the guest and the image's kernel can
// mount its root from it (its virtiofs modules loadable by the init).
InitramfsChoice initramfs_for(const RunConfig& config, const GuestMachine& machine, const RootedTree& image_tree,
                              const BootArtifacts& boot) {
  if (config.initramfs == InitramfsChoice::image) {
    return InitramfsChoice::image;
  }
  if (!config.ignition.empty()) {
    spdlog::debug("booting through the image's initramfs: Ignition runs there");
    return InitramfsChoice::image;
  }
  if (!config.initramfs && !guest_init_binary(machine.arch)) {
    spdlog::debug("booting through the image's initramfs: this bcvk has no guest init for {}", machine.arch);
    return InitramfsChoice::image;
  }
  if (const auto obstacle = minimal_initramfs_obstacle(image_tree, boot.kernel_version, machine.early_modules);
      !obstacle.empty()) {
    if (config.initramfs) {
      throw UsageError("--initramfs minimal: " + config.image +
                       " cannot boot through bcvk's minimal initramfs: " + obstacle + "; use --initramfs image");
    }
    spdlog::debug("booting through the image's initramfs: {}", obstacle);
    return InitramfsChoice::image;
  }
  return InitramfsChoice::minimal;
}

constexpr unsigned long k_libvirt_with_passt_forwards = 9002000; // 9.2.0
constexpr unsigned long k_libvirt_with_tcg_cache = 8000000;      // 8.0.0

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

ImageInfo resolve_image(const RunConfig& config, ImageStore& store, SignalCatcher& signals) {
  const std::string& image = config.image;
  ImageInfo info = choose_image(image, config.pull, config.registry, store, &signals);
  // Before anything is made for the VM: an image of an architecture bcvk has no machine for would
  // start a QEMU that cannot run its kernel, and fail somewhere inside the boot or not at all.
  if (const auto why = architecture_refusal(image, info.architecture, host_architecture(), config.registry.arch)) {
    throw UsageError(*why);
  }
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

// The file is sparse: the cap holds the guest to its size, but only free space lets it get there.
void warn_if_short_of_space(const std::string& dir, std::uint64_t root_size_bytes) {
  struct statvfs sv {};
  if (::statvfs(dir.c_str(), &sv) == 0) {
    const auto free_bytes = static_cast<std::uint64_t>(sv.f_bavail) * sv.f_frsize;
    if (free_bytes < root_size_bytes) {
      spdlog::warn("the state directory has {} free, less than the VM's --root-size {}: a guest that fills its "
                   "root fills the host's file system first",
                   format_size(free_bytes), format_size(root_size_bytes));
    }
  }
}

// The image with the guest's writes over it. Those go to the instance's own file system of
// `root_size_bytes` (made here on the first boot), so the kernel stops the guest at that size; an
// instance kept by an older bcvk (0) writes straight into the state directory as it always did.
void mount_root(const InstanceLayout& dir, const std::string& image_root, const InstanceRecord& record,
                ProcessRunner* format_with) {
  const std::uint64_t root_size_bytes = record.root_size_bytes;
  // overlay/ is private: through it, other local users could read what the guest wrote, and the
  // upper layer could hold a set-uid file the guest made.
  make_private_dir(dir.overlay_dir(), 0700);
  const bool capped = root_size_bytes != 0;
  if (capped) {
    if (format_with != nullptr) {
      warn_if_short_of_space(dir.path(), root_size_bytes);
      create_root_layer(dir.root_image(), root_size_bytes, *format_with);
    }
    make_private_dir(dir.layer_dir(), 0700);
    mount_root_layer(dir.root_image(), dir.layer_dir());
  }
  make_private_dir(dir.upper_dir(capped), 0755);
  make_private_dir(dir.work_dir(capped), 0700);
  make_private_dir(dir.root_dir(), 0755);
  // An instance that recorded what bcvk placed in it was made by a bcvk that mounts it diffable.
  mount_overlay(image_root, dir.upper_dir(capped), dir.work_dir(capped), dir.root_dir(),
                record.placed_paths ? UpperFormat::diffable : UpperFormat::kernel_default);
}

void mount_boot_file(const Fd& source, const std::string& shown, const std::string& target) {
  // The mount point, kept between boots; an instance kept by an older bcvk holds its own copy
  // here, which is no longer needed.
  create_empty_file(target, 0644);
  bind_file_read_only(source, shown, target);
}

// QEMU opens the kernel and initramfs itself, as libvirt's unprivileged user, which cannot reach
// into podman's storage; and libvirt would chown them to that user while the VM runs. So each is a
// read-only bind mount in the instance's boot dir: the image's own kernel straight from the image
// (resolved strictly inside it: a kernel that is a link out of the image is refused), the initramfs
// with bcvk's add-on from the files all instances of the image share. Nothing is copied per
// instance, and libvirt's chown of a read-only mount fails with EROFS, which it accepts: the files
// stay as they are, and no QEMU can change what another VM boots.
void mount_boot_files(const RootedTree& image_root, const BootArtifacts& boot, const InstanceDir& dir,
                      const std::string& image_id, const GuestMachine& machine, InitramfsChoice initramfs,
                      unsigned hypervisor_user) {
  make_private_dir(dir.boot_dir(), 0700);
  open_to_hypervisor(dir, hypervisor_user);
  const InitramfsRecipe recipe{
      initramfs, machine.early_modules,
      initramfs == InitramfsChoice::minimal
          ? guest_init_for(machine, "VM " + dir.name() + " boots through bcvk's minimal initramfs",
                           "start it with the bcvk that made it, or remove it and run the image again")
          : std::string_view()};
  const SharedBootFiles shared = use_shared_boot_files(image_root, boot, image_id, dir.vm_name(), recipe);
  if (shared.kernel) {
    mount_boot_file(*shared.kernel, "the kernel of " + boot.uki, dir.kernel_file());
  } else {
    const Fd kernel = image_root.open_regular(boot.kernel, LinkPolicy::beneath, k_max_boot_file_bytes);
    mount_boot_file(kernel, boot.kernel, dir.kernel_file());
  }
  mount_boot_file(shared.initrd, shared.initrd_path, dir.initrd_file());
}

std::optional<SshIdentity> make_ssh_identity(const RunConfig& config, const InstanceDir& dir, ProcessRunner& runner) {
  if (!config.ssh_keygen) {
    return std::nullopt;
  }
  generate_ssh_keys(dir.path(), dir.name(), runner);
  const SshKeyPaths keys = ssh_key_paths(dir.path());
  return SshIdentity{read_text_file(keys.client_public), read_text_file(keys.host_key),
                     read_text_file(keys.host_public)};
}

// Takes what the plan lists, in order; the owner releases all of it on any failure.
void carry_out(const InstancePlan& plan, const RootedTree& image_tree, const BootArtifacts& boot,
               const std::string& image_root, unsigned hypervisor_user, InstanceOwner& owner, ImageStore& store,
               ProcessRunner& runner, SignalCatcher& signals) {
  InstanceDir& dir = owner.dir();
  log_stage("boot files");
  mount_boot_files(image_tree, boot, dir, owner.state().image_id, plan.spec.machine, plan.record.initramfs,
                   hypervisor_user);
  log_stage("overlay");
  mount_root(dir, image_root, plan.record, &runner);
  mount_read_only_views(dir, plan.read_only_views, store);
  owner.save();
  fault_point("root-mounted");
  log_stage("guest files");
  install_guest_files(RootedTree::open(dir.root_dir(), "the guest root"), plan.guest_removals, plan.guest_files);
  if (plan.ignition_config) {
    // Read by QEMU as libvirt's user, whom libvirt gives the file while the VM runs; nobody else.
    write_file_atomic(dir.ignition_config_file(), *plan.ignition_config, 0600);
  }
  if (plan.swap_bytes) {
    create_swap(dir.swap_file(), *plan.swap_bytes, runner);
  }
  signals.checkpoint();
}

} // namespace

PreparedInstance prepare_instance(const RunConfig& config, const Connection& conn, ImageStore& store,
                                  ProcessRunner& runner, SignalCatcher& signals) {
  // Facts first: nothing is taken until the inputs, the image and the name are known to be good.
  LaunchFacts facts;
  log_stage("host inputs");
  facts.inputs = resolve_host_inputs(config, runner, store);
  log_stage("image presence");
  const ImageInfo image = resolve_image(config, store, signals);
  signals.checkpoint();
  if (!config.ignition.empty() && !config.assume_ignition && !image_declares_ignition(image.labels)) {
    throw UsageError("--ignition: " + config.image +
                     " does not say it runs Ignition (no coreos.ignition or com.coreos.osname label), so the "
                     "config would be ignored: use an Ignition-based image, or add --assume-ignition if it runs "
                     "Ignition all the same");
  }
  log_stage("name and ports");
  const VmName name = pick_name(config, conn);
  facts.name = name.str();
  facts.uri = conn.uri();
  facts.domain_uuid = random_domain_uuid();
  facts.created = now_rfc3339();
  facts.image_id = image.id;
  const ImageIdentity identity = identity_of(image, config.image);
  facts.image_digest = identity.digest;
  facts.image_repo_digest = identity.repo_digest;
  facts.guest_arch = guest_architecture(image.architecture, host_architecture());
  const GuestMachine machine = guest_machine(facts.guest_arch);
  if (config.initramfs == InitramfsChoice::minimal) {
    guest_init_for(machine, "--initramfs minimal", "use --initramfs image"); // refused before anything is made
  }
  facts.virt_type = conn.best_virt_type(machine);
  facts.libvirt_sizes_tcg_cache = conn.library_version() >= k_libvirt_with_tcg_cache;
  conn.require_emulator(machine, facts.virt_type, config.image);
  facts.backend = pick_backend(conn);

  // The name, and with it the SSH port: chosen and recorded under the registry lock, so that
  // concurrent runs see each other's claims.
  std::unique_ptr<InstanceOwner> owner;
  {
    const PortRegistryLock registry;
    const auto claimed = claimed_ports();
    std::set<unsigned> taken;
    for (const auto& [port, owner_name] : claimed) {
      taken.insert(port);
    }
    for (const auto& forward : config.ports) {
      if (const auto it = claimed.find(forward.host_port); it != claimed.end()) {
        throw UsageError("--port " + to_string(forward) + ": host port " + std::to_string(forward.host_port) +
                         " is claimed by VM " + it->second + ": pick another HOST_PORT or remove " + it->second);
      }
      require_free_port(forward);
      taken.insert(forward.host_port);
    }
    // Every networked VM gets its SSH forward on loopback, whatever else its network allows.
    if (config.network.mode != NetworkMode::none) {
      facts.ssh_port = choose_port(taken, pick_loopback_port, 64);
    }
    InstanceState state;
    static_cast<InstanceRecord&>(state) = instance_record(config, facts);
    owner = std::make_unique<InstanceOwner>(InstanceDir::create(name), std::move(state), store);
    owner->save();
  }
  InstanceDir& dir = owner->dir();
  facts.instance_dir = dir.path();

  log_stage("image mount");
  const std::string image_root = store.mount(image.id);
  owner->state().image_mounted = true;
  owner->save();
  fault_point("image-mounted");
  signals.checkpoint();
  // Facts read from the image, strictly inside it.
  log_stage("kernel discovery");
  const RootedTree image_tree = RootedTree::open(image_root, "image " + config.image);
  const BootArtifacts boot = find_boot_artifacts(image_tree, config.image);
  facts.kernel_version = boot.kernel_version;
  facts.systemd_version = guest_systemd_version(image_tree).value_or(0);
  facts.image_boot = read_image_boot_facts(image_tree, config.image, facts.guest_arch);
  facts.root_home = root_home_in(image_tree);
  if (config.bind_storage_ro) {
    try {
      facts.image_boot.storage_conf = read_storage_conf(image_tree);
    } catch (const UsageError&) {
      throw;
    } catch (const Error& e) {
      throw UsageError(std::string("--bind-storage-ro: ") + e.what() +
                       ": podman in the guest could not read it either; fix the image's storage.conf");
    }
  }
  if (!config.cloud_init.empty() && !facts.image_boot.cloud_init) {
    throw UsageError("--cloud-init: " + config.image +
                     " has no cloud-init, so nothing in it would read the seed: install cloud-init in the image, "
                     "or drop --cloud-init");
  }
  facts.initramfs = initramfs_for(config, machine, image_tree, boot);
  check_guest_mount_points(image_tree, config.binds);
  if (config.ssh_keygen) {
    require_ssh_server(image_tree, config.image);
  }
  facts.ssh = make_ssh_identity(config, dir, runner);

  const InstancePlan plan = plan_instance(config, facts);
  static_cast<InstanceRecord&>(owner->state()) = plan.record;
  owner->save();
  carry_out(plan, image_tree, boot, image_root, conn.hypervisor_user(), *owner, store, runner, signals);

  log_stage("domain XML");
  std::string domain_xml = render_domain_xml(plan.spec);
  write_file_atomic(dir.domain_xml_file(), domain_xml);
  return {std::move(owner), std::move(domain_xml)};
}

void remount_instance(InstanceOwner& owner, ImageStore& store, unsigned hypervisor_user) {
  InstanceState& state = owner.state();
  if (!store.exists(state.image_id)) {
    throw Error("the image of " + state.name + " (" + state.image + ", " + state.image_id.substr(0, 12) +
                ") is gone from local storage: the VM cannot boot again; remove it with 'bcvk ephemeral rm " +
                state.name + "'");
  }
  // Whatever an earlier run could not release (a mount still busy) stays until it is released: a
  // second root file system on the same file would corrupt the first.
  if (const auto left = mounts_below(owner.dir().path()); !left.empty()) {
    throw Error(left.front() + " is still mounted from an earlier run of " + state.name +
                ", so it is not started: run 'bcvk ephemeral start " + state.name +
                "' again once nothing uses it ('fuser -vm " + left.front() + "' shows who does)");
  }
  owner.dir().clear_released(); // before anything is taken: recovery must look at it again
  owner.dir().migrate_layout();
  const std::string image_root = store.mount(state.image_id);
  state.image_mounted = true;
  // An instance kept by an older bcvk names no architecture: it was the host's, recorded from now on.
  if (state.arch.empty()) {
    state.arch = host_architecture();
  }
  owner.save();
  // The image is the one the instance was made from: its boot files are found the same way again.
  const RootedTree image_tree = RootedTree::open(image_root, "image " + state.image);
  const GuestMachine machine = guest_machine(state.arch);
  mount_boot_files(image_tree, find_boot_artifacts(image_tree, state.image), owner.dir(), state.image_id, machine,
                   state.initramfs, hypervisor_user);
  mount_root(owner.dir(), image_root, state, nullptr);
  mount_read_only_views(owner.dir(), state.read_only_binds, store);
}

} // namespace bcvk
