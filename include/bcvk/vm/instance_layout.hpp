#pragma once
// Where each file of an instance lives below its directory. Pure: paths only, nothing is touched.
#include <string>

namespace bcvk {

// The host files behind the --execute ports.
struct ExecuteOutputs {
  std::string stdout_path;
  std::string stderr_path;
  std::string status_path;
};

// Who may see what (bcvk runs as root; QEMU runs as libvirt's unprivileged user and opens the
// kernel, initramfs and disk files itself):
//   state root, instances/                 0711  traversable, not listable
//   instance dir, boot/ (kernel, initramfs) root 0700 + ACL u:QEMU's user:--x: QEMU reaches its boot
//                                          files and swap, nobody else gets in (open_to_hypervisor)
//   overlay/ (layer mount, root mount)     0700  the guest's whole file system
//   root.img (the guest's writes)          0600
//   ro/ (read-only views), ssh/ (keys)     0700
//   state.json, domain.xml, swap.img, ...  0600
//   efi-vars.fd (an arm64 guest's UEFI variables: libvirt makes it from the firmware's template,
//                its QEMU writes it; up to 64 MiB)
class InstanceLayout {
public:
  explicit InstanceLayout(std::string path) : m_path(std::move(path)) {}

  const std::string& path() const { return m_path; }
  std::string file(const std::string& relative) const { return m_path + "/" + relative; }
  std::string overlay_dir() const { return file("overlay"); }
  // The guest's writes go to the file system in root.img (mounted at overlay/layer while the VM
  // runs), which caps them; an instance kept by a bcvk without that cap has them in overlay/ itself.
  std::string root_image() const { return file("root.img"); }
  std::string layer_dir() const { return file("overlay/layer"); }
  std::string upper_dir(bool capped) const { return capped ? file("overlay/layer/upper") : file("overlay/upper"); }
  std::string work_dir(bool capped) const { return capped ? file("overlay/layer/work") : file("overlay/work"); }
  std::string root_dir() const { return file("overlay/root"); }
  std::string boot_dir() const { return file("boot"); }
  std::string kernel_file() const { return file("boot/vmlinuz"); }
  std::string initrd_file() const { return file("boot/initramfs.img"); }
  std::string console_log() const { return file("console.log"); }
  std::string journal_log() const { return file("journal.log"); }
  // The UEFI variable store of a guest booted through UEFI: libvirt makes it on the first boot.
  std::string efi_vars_file() const { return file("efi-vars.fd"); }
  std::string domain_xml_file() const { return file("domain.xml"); }
  // --ignition's config, which QEMU reads as a fw_cfg file.
  std::string ignition_config_file() const { return file("ignition.json"); }
  // Where `ephemeral commit` lays out the new image (an OCI image layout) while it runs.
  std::string commit_staging_dir() const { return file("commit"); }
  // Present only while the instance holds nothing (see InstanceDir::mark_released).
  std::string released_marker() const { return file("released"); }
  std::string supervisor_log() const { return file("supervisor.log"); }
  std::string swap_file() const { return file("swap.img"); }
  std::string ssh_dir() const { return file("ssh"); }
  std::string read_only_views_dir() const { return file("ro"); }
  // Where the read-only view of the --ro-bind NAME is mounted (and shared from).
  std::string read_only_view(const std::string& name) const { return file("ro/" + name); }
  ExecuteOutputs execute_outputs() const {
    return {file("execute.stdout"), file("execute.stderr"), file("execute.status")};
  }

private:
  std::string m_path;
};

} // namespace bcvk
