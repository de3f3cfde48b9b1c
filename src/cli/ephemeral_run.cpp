// `bcvk ephemeral run IMAGE`: option wiring only; the work happens in run_ephemeral().

#include <thread>

#include "bcvk/cli/verb.hpp"
#include "bcvk/cli/cli.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/ssh_wait.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

// Declares every option of `ephemeral run`; shared with `run-ssh`, which takes the same ones.
namespace {

// Repeatable options take one value per occurrence, so a following IMAGE is never swallowed.
CLI::Option* repeatable(CLI::Option* opt) {
  return opt->allow_extra_args(false);
}

} // namespace

void add_registry_options(CLI::App& cmd, std::optional<std::string>& authfile, bool& tls_verify,
                          std::optional<std::string>& arch) {
  cmd.add_option_function<std::string>(
         "--authfile", [&authfile](const std::string& path) { authfile = path; },
         "Registry credentials file written by 'podman login --authfile' (default: $REGISTRY_AUTH_FILE, or "
         "podman's own)")
      ->type_name("PATH");
  // A flag, as podman has it: "--tls-verify=false" takes a value, "--tls-verify IMAGE" never
  // takes the image.
  cmd.add_flag("--tls-verify", tls_verify,
               "Require HTTPS and a certificate the host trusts (CAs in /etc/containers/certs.d/HOST:PORT/); "
               "--tls-verify=false for a test registry");
  cmd.add_option_function<std::string>(
         "--arch", [&arch](const std::string& name) { arch = name; },
         "The architecture IMAGE must be (amd64/x86_64, arm64/aarch64): picks that variant of a "
         "multi-architecture image when pulling, and refuses an image of another; one not the host's "
         "boots under emulation")
      ->type_name("ARCH");
}

void add_run_options(CLI::App& cmd, RunOptions& o) {
  cmd.add_option("IMAGE", o.image, "Container image to run as ephemeral VM")->required();
  cmd.add_option("--pull", o.pull,
                 "When to pull IMAGE: missing (default: only when not in local storage), always, newer (when the "
                 "registry has another image under the name) or never")
      ->type_name("POLICY");
  add_registry_options(cmd, o.authfile, o.tls_verify, o.arch);
  cmd.add_option("--itype", o.itype, "Instance type (e.g. u1.nano, u1.small, u1.medium); overrides --vcpus/--memory");
  cmd.add_option("--memory", o.memory, "Memory size (e.g. 4G, 2048M, or a plain number of MiB)")->capture_default_str();
  cmd.add_option("--vcpus", o.vcpus, "Number of vCPUs (default: the host's CPU count)");
  cmd.add_flag("--console", o.console, "Show the serial console on the terminal");
  cmd.add_option("--graphics", o.graphics,
                 "none (default), vnc or spice: a display on 127.0.0.1 for virt-manager or a VNC/SPICE viewer")
      ->type_name("MODE");
  cmd.add_flag("--debug", o.debug, "Prepare everything, print the domain XML and paths, start nothing");
  repeatable(
      cmd.add_option("--virtio-serial-out", o.virtio_serial_out, "Add a virtio-serial port writing to a host file"))
      ->type_name("NAME:FILE");
  repeatable(cmd.add_option("--execute", o.execute, "Run a command inside the VM and show its output"));
  cmd.add_flag("-K,--ssh-keygen", o.ssh_keygen, "Generate an SSH key pair and inject it via systemd credentials");
  cmd.add_flag("-t,--tty", o.tty, "Attach the terminal to the VM's console");
  cmd.add_flag("-i,--interactive", o.interactive, "Keep standard input connected to the console");
  cmd.add_flag("-d,--detach", o.detach, "Run the VM in the background");
  cmd.add_flag("--rm", o.rm, "Remove the VM and all its state when it stops");
  cmd.add_option_function<std::string>(
      "--name", [&o](const std::string& name) { o.name = name; }, "Name of the VM (libvirt domain name)");
  cmd.add_option("--network", o.network, "isolated (default), none, user, bridge=BRIDGE or a libvirt network");
  repeatable(cmd.add_option("-p,--port", o.ports,
                            "Forward a host port (on 127.0.0.1 unless an address is given) to a guest port"))
      ->type_name("[HOST_ADDR:]HOST_PORT:GUEST_PORT[/tcp|udp]");
  repeatable(cmd.add_option("--label", o.labels, "Add metadata in key=value form"))->type_name("KEY=VALUE");
  repeatable(cmd.add_option("-e,--env", o.env, "Environment for --execute commands (key=value)"))
      ->type_name("KEY=VALUE");
  cmd.add_option("--debug-entrypoint", o.debug_entrypoint,
                 "Prepare everything, then run this host command instead of starting the VM");
  repeatable(cmd.add_option("--bind", o.binds,
                            "Share a host directory read-write at /run/virtiofs-mnt-NAME or at /GUEST/PATH"))
      ->type_name("HOST_PATH[:NAME|:/GUEST/PATH]");
  repeatable(cmd.add_option("--ro-bind", o.ro_binds,
                            "Share a host directory read-only at /run/virtiofs-mnt-NAME or at /GUEST/PATH"))
      ->type_name("HOST_PATH[:NAME|:/GUEST/PATH]");
  cmd.add_option("--systemd-units", o.systemd_units, "Directory of systemd units to inject (expects system/)")
      ->type_name("SYSTEMD_UNITS_DIR");
  cmd.add_flag("--bind-storage-ro", o.bind_storage_ro,
               "Share the host's container images read-only at /run/virtiofs-mnt-hoststorage; podman in the "
               "guest runs them without a pull (an additional image store)");
  cmd.add_option_function<std::string>(
         "--cloud-init", [&o](const std::string& dir) { o.cloud_init = dir; },
         "A cloud-init NoCloud seed (user-data, meta-data, optional network-config and vendor-data) "
         "for the image's cloud-init")
      ->type_name("DIR");
  cmd.add_option_function<std::string>(
         "--ignition", [&o](const std::string& file) { o.ignition = file; },
         "An Ignition config for an image that runs Ignition (passed as fw_cfg opt/com.coreos/config)")
      ->type_name("FILE");
  cmd.add_flag("--assume-ignition", o.assume_ignition,
               "Pass --ignition even though the image has no coreos.ignition or com.coreos.osname label");
  cmd.add_option("--add-swap", o.add_swap, "Attach a swap device of this size")->type_name("SIZE");
  cmd.add_option("--root-size", o.root_size,
                 "Most the guest can write to its root file system (default 10G; kept by 'start')")
      ->type_name("SIZE");
  repeatable(
      cmd.add_option("--mount-disk-file", o.mount_disk_files, "Attach a disk file as /dev/disk/by-id/virtio-NAME"))
      ->type_name("FILE[:NAME]");
  repeatable(cmd.add_option("--karg", o.kargs, "Additional kernel command line argument (repeatable)"))
      ->type_name("KERNEL_ARG");
  cmd.add_option("--initramfs", o.initramfs,
                 "minimal (default where bcvk has a guest init for the image's architecture): bcvk's own small "
                 "initramfs, which only mounts the root (rd.* arguments do nothing); image: the image's own "
                 "(with bcvk's virtiofs modules)")
      ->type_name("KIND");
  cmd.add_option_function<unsigned>(
      "--ssh-timeout", [&o](unsigned seconds) { o.ssh_timeout_seconds = seconds; },
      "Seconds to wait at most for SSH (or --execute) to come up (default " + std::to_string(k_ssh_hard_cap_seconds) +
          ", " + std::to_string(k_ssh_hard_cap_emulated_seconds) +
          " when emulated without KVM); a guest that shows no progress for " + std::to_string(k_ssh_stall_seconds) +
          " s (" + std::to_string(k_ssh_stall_emulated_seconds) + " s emulated) is given up on sooner");
}

RunConfig parse_run_arguments(const std::vector<std::string>& args, unsigned host_cpus) {
  RunOptions options;
  CLI::App cmd("run", "run");
  add_run_options(cmd, options);
  std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 takes them last first
  cmd.parse(reversed);
  return validate_run_options(options, host_cpus);
}

void setup_ephemeral_run(CLI::App& ephemeral, Context& ctx) {
  const auto [cmd, options] = add_verb<RunOptions>(ephemeral, "run", "Run a bootc container image as an ephemeral VM");
  add_run_options(*cmd, *options);
  cmd->callback([options = options, &ctx] {
    const RunConfig config = validate_run_options(*options, std::thread::hardware_concurrency());
    ctx.exit_status = run_ephemeral(config, ctx);
  });
}

} // namespace bcvk
