#include "bcvk/vm/domain_xml.hpp"

#include <algorithm>
#include <string_view>

#include "bcvk/vm/credentials.hpp"
#include "bcvk/vm/ignition_config.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/xml.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

extern const std::string_view k_domain_template;

namespace {

constexpr const char* k_qemu_ns = "http://libvirt.org/schemas/domain/qemu/1.0";
constexpr const char* k_net_id = "bcvknet";
// An explicit PCI slot is required for a device added outside libvirt's address assignment.
constexpr const char* k_net_address = "bus=pcie.0,addr=0x10";

xmlNode* required_child(xmlNode* parent, std::string_view name) {
  xmlNode* node = xml::child(parent, name);
  if (node == nullptr) {
    throw Error("domain template lacks <" + std::string(name) + ">");
  }
  return node;
}

void remove_comments(xmlDoc* doc) {
  xmlNode* n = doc->children;
  while (n != nullptr) {
    xmlNode* next = n->next;
    if (n->type == XML_COMMENT_NODE) {
      xml::remove(n);
    }
    n = next;
  }
}

void fill_metadata(xmlNode* parent, const InstanceMetadata& meta) {
  xmlNode* root = xmlNewChild(parent, nullptr, reinterpret_cast<const xmlChar*>("instance"), nullptr);
  xmlNs* ns = xmlNewNs(root, reinterpret_cast<const xmlChar*>(k_metadata_ns),
                       reinterpret_cast<const xmlChar*>(k_metadata_prefix));
  xmlSetNs(root, ns);
  xml::add(root, "image", meta.image);
  if (!meta.image_id.empty()) {
    xml::add(root, "image-id", meta.image_id);
  }
  if (!meta.image_digest.empty()) {
    xml::add(root, "image-digest", meta.image_digest);
  }
  if (!meta.image_repo_digest.empty()) {
    xml::add(root, "image-repo-digest", meta.image_repo_digest);
  }
  if (!meta.arch.empty()) {
    xml::add(root, "arch", meta.arch);
  }
  xml::add(root, "created", meta.created);
  if (!meta.instance_dir.empty()) {
    xml::add(root, "instance-dir", meta.instance_dir);
  }
  xmlNode* flags = xml::add(root, "flags");
  xml::set_attr(flags, "rm", meta.auto_remove ? "yes" : "no");
  xml::set_attr(flags, "detach", meta.detached ? "yes" : "no");
  if (!meta.labels.empty()) {
    xmlNode* labels = xml::add(root, "labels");
    for (const auto& label : meta.labels) {
      xml::set_attr(xml::add(labels, "label", label.value), "key", label.key);
    }
  }
  if (!meta.mounts.empty()) {
    xmlNode* mounts = xml::add(root, "mounts");
    for (const auto& mount : meta.mounts) {
      xmlNode* m = xml::add(mounts, "mount");
      xml::set_attr(m, "tag", mount.tag);
      xml::set_attr(m, "source", mount.host_dir);
      xml::set_attr(m, "readonly", mount.read_only ? "yes" : "no");
    }
  }
}

// A new element `name` placed right before `before` (devices keep the template's order).
xmlNode* insert_before(xmlNode* before, const char* name) {
  xmlNode* node = xmlNewNode(nullptr, reinterpret_cast<const xmlChar*>(name));
  xmlAddPrevSibling(before, node);
  return node;
}

void add_filesystem(xmlNode* before, const FsShare& share) {
  xmlNode* fs = insert_before(before, "filesystem");
  xml::set_attr(fs, "type", "mount");
  xml::set_attr(fs, "accessmode", "passthrough");
  xmlNode* driver = xml::add(fs, "driver");
  xml::set_attr(driver, "type", "virtiofs");
  xml::set_attr(driver, "queue", "1024");
  xml::set_attr(xml::add(fs, "source"), "dir", share.host_dir);
  xml::set_attr(xml::add(fs, "target"), "dir", share.tag);
}

void add_disk(xmlNode* before, const DiskAttachment& disk, std::size_t index) {
  xmlNode* node = insert_before(before, "disk");
  xml::set_attr(node, "type", "file");
  xml::set_attr(node, "device", "disk");
  xmlNode* driver = xml::add(node, "driver");
  xml::set_attr(driver, "name", "qemu");
  xml::set_attr(driver, "type", disk.format);
  xml::set_attr(xml::add(node, "source"), "file", disk.path);
  // No backing chain: libvirt then has QEMU open this file alone, whatever file its header names.
  xml::add(node, "backingStore");
  xmlNode* target = xml::add(node, "target");
  std::string dev = "vd";
  // vda..vdz, then vdaa..: the same scheme the guest kernel uses.
  if (index >= 26) {
    dev += static_cast<char>('a' + index / 26 - 1);
  }
  dev += static_cast<char>('a' + index % 26);
  xml::set_attr(target, "dev", dev);
  xml::set_attr(target, "bus", "virtio");
  xml::add(node, "serial", disk.serial);
}

void add_channel(xmlNode* devices, const ChannelOutput& channel) {
  xmlNode* node = xml::add(devices, "channel");
  xml::set_attr(node, "type", "file");
  xmlNode* source = xml::add(node, "source");
  xml::set_attr(source, "path", channel.path);
  xml::set_attr(source, "append", channel.append ? "on" : "off");
  xmlNode* target = xml::add(node, "target");
  xml::set_attr(target, "type", "virtio");
  xml::set_attr(target, "name", channel.name);
}

std::string qemu_user_netdev(const NetworkSpec& net, bool restricted) {
  std::string netdev = std::string("user,id=") + k_net_id;
  if (restricted) {
    netdev += ",restrict=on";
  }
  if (net.ssh_port != 0) {
    netdev += ",hostfwd=tcp:127.0.0.1:" + std::to_string(net.ssh_port) + "-:22";
  }
  for (const auto& port : net.ports) {
    netdev += std::string(",hostfwd=") + protocol_name(port.protocol) + ":" + port.host_address + ":" +
              std::to_string(port.host_port) + "-:" + std::to_string(port.guest_port);
  }
  return netdev;
}

void add_qemu_user_nic(xmlNode* root, const NetworkSpec& net, bool restricted) {
  xmlNs* ns = xmlNewNs(root, reinterpret_cast<const xmlChar*>(k_qemu_ns), reinterpret_cast<const xmlChar*>("qemu"));
  xmlNode* cmd = xmlNewChild(root, ns, reinterpret_cast<const xmlChar*>("commandline"), nullptr);
  const std::string args[] = {"-netdev", qemu_user_netdev(net, restricted), "-device",
                              std::string("virtio-net-pci,netdev=") + k_net_id + "," + k_net_address};
  for (const auto& arg : args) {
    xml::set_attr(xml::add(cmd, "arg"), "value", arg);
  }
}

void add_port_forward(xmlNode* iface, const PortForward& port) {
  xmlNode* fwd = xml::add(iface, "portForward");
  xml::set_attr(fwd, "proto", protocol_name(port.protocol));
  xml::set_attr(fwd, "address", port.host_address);
  xmlNode* range = xml::add(fwd, "range");
  xml::set_attr(range, "start", std::to_string(port.host_port));
  xml::set_attr(range, "to", std::to_string(port.guest_port));
}

void add_passt_nic(xmlNode* devices, const NetworkSpec& net) {
  xmlNode* iface = xml::add(devices, "interface");
  xml::set_attr(iface, "type", "user");
  xml::set_attr(xml::add(iface, "backend"), "type", "passt");
  if (net.ssh_port != 0) {
    add_port_forward(iface, {"127.0.0.1", net.ssh_port, 22, PortProtocol::tcp});
  }
  for (const auto& port : net.ports) {
    add_port_forward(iface, port);
  }
  xml::set_attr(xml::add(iface, "model"), "type", "virtio");
}

void add_libvirt_nic(xmlNode* devices, const NetworkChoice& choice) {
  xmlNode* iface = xml::add(devices, "interface");
  const bool bridge = choice.mode == NetworkMode::bridge;
  xml::set_attr(iface, "type", bridge ? "bridge" : "network");
  xml::set_attr(xml::add(iface, "source"), bridge ? "bridge" : "network", choice.source);
  xml::set_attr(xml::add(iface, "model"), "type", "virtio");
}

void add_network(xmlNode* root, xmlNode* devices, const NetworkSpec& net) {
  switch (net.choice.mode) {
  case NetworkMode::none:
    return;
  case NetworkMode::isolated:
    // Only slirp's restrict=on cuts the guest off while keeping the forward; passt has no such mode.
    add_qemu_user_nic(root, net, true);
    return;
  case NetworkMode::user:
    if (net.backend == NetworkBackend::passt) {
      add_passt_nic(devices, net);
    } else {
      add_qemu_user_nic(root, net, false);
    }
    return;
  case NetworkMode::libvirt_network:
  case NetworkMode::bridge:
    add_libvirt_nic(devices, net.choice);
    // SSH and --port still go through forwards on a second, isolated NIC.
    if (net.ssh_port != 0 || !net.ports.empty()) {
      add_qemu_user_nic(root, net, true);
    }
    return;
  }
}

// A display and a video device for it: virtio-vga, whose VGA mode shows a text console even with a
// kernel that has no GPU driver (virtio-gpu on aarch64, which has no VGA). The display listens on a UNIX socket libvirt
// keeps in the domain's private directory, not on a TCP port: VNC and SPICE have no password here, and any local user
// can connect to 127.0.0.1 (then log in as the guest's root, reaching its shares). virt-manager and
// virt-viewer open the socket through libvirt, as root.
void add_graphics(xmlNode* devices, GraphicsMode mode, const GuestMachine& machine) {
  if (mode == GraphicsMode::none) {
    return;
  }
  if (machine.display_needs_virtio_input) {
    for (const char* type : {"tablet", "keyboard"}) {
      xmlNode* input = xml::add(devices, "input");
      xml::set_attr(input, "type", type);
      xml::set_attr(input, "bus", "virtio");
    }
  }
  xmlNode* graphics = xml::add(devices, "graphics");
  xml::set_attr(graphics, "type", mode == GraphicsMode::vnc ? "vnc" : "spice");
  xml::set_attr(xml::add(graphics, "listen"), "type", "socket");
  xmlNode* model = xml::add(xml::add(devices, "video"), "model");
  xml::set_attr(model, "type", "virtio");
  xml::set_attr(model, "heads", "1");
  xml::set_attr(model, "primary", "yes");
}

// UEFI firmware that libvirt picks from the host's firmware descriptors, never one that enforces
// Secure Boot (an image's kernel is booted directly, signed or not), with its variable store in
// the instance directory (libvirt makes it from the firmware's template on the first boot).
void add_uefi(xmlNode* os, xmlNode* type, const VmSpec& spec) {
  if (spec.efi_vars.empty()) {
    throw Error("the domain of " + spec.name + " boots through UEFI but has no variable store");
  }
  xml::set_attr(os, "firmware", "efi");
  xmlNode* firmware = xmlNewNode(nullptr, reinterpret_cast<const xmlChar*>("firmware"));
  xmlAddNextSibling(type, firmware);
  for (const char* feature : {"enrolled-keys", "secure-boot"}) {
    xmlNode* node = xml::add(firmware, "feature");
    xml::set_attr(node, "enabled", "no");
    xml::set_attr(node, "name", feature);
  }
  xmlNode* nvram = xmlNewNode(nullptr, reinterpret_cast<const xmlChar*>("nvram"));
  xmlAddNextSibling(firmware, nvram);
  xml::set_text(nvram, spec.efi_vars);
}

// The guest's architecture and machine type, its firmware, interrupt controller and CPU.
void set_machine(xmlNode* os, xmlNode* features, const VmSpec& spec) {
  xmlNode* type = required_child(os, "type");
  xml::set_attr(type, "arch", spec.machine.qemu_arch);
  xml::set_attr(type, "machine", spec.machine.machine);
  if (spec.machine.uefi) {
    add_uefi(os, type, spec);
  }
  if (!spec.gic_version.empty()) {
    xml::set_attr(xml::add(features, "gic"), "version", spec.gic_version);
  }
  if (spec.translation_cache_mib != 0) {
    xmlNode* cache = xml::add(xml::add(features, "tcg"), "tb-cache");
    xml::set_attr(cache, "unit", "MiB");
    xml::set_text(cache, std::to_string(spec.translation_cache_mib));
  }
  if (spec.cpu.empty()) {
    return;
  }
  xmlNode* cpu = xmlNewNode(nullptr, reinterpret_cast<const xmlChar*>("cpu"));
  xmlAddNextSibling(features, cpu);
  if (spec.cpu == "host-passthrough") {
    xml::set_attr(cpu, "mode", "host-passthrough");
    return;
  }
  xml::set_attr(cpu, "mode", "custom");
  xml::set_attr(cpu, "match", "exact");
  xml::set_attr(xml::add(cpu, "model", spec.cpu), "fallback", "forbid");
}

// SMBIOS type-11 strings (the <os> points at <sysinfo>), or fw_cfg files where the machine has no
// firmware to build SMBIOS tables.
void add_credentials(xmlNode* sysinfo, xmlNode* os, const VmSpec& spec) {
  xmlNode* smbios = required_child(os, "smbios");
  if (spec.credentials.empty()) {
    xml::remove(sysinfo);
    xml::remove(smbios);
    return;
  }
  xmlNode* strings = required_child(sysinfo, "oemStrings");
  if (spec.machine.credentials == CredentialChannel::smbios) {
    for (const auto& cred : spec.credentials) {
      xml::add(strings, "entry", smbios_credential_entry(cred.name, cred.value));
    }
    return;
  }
  xml::remove(smbios);
  xml::remove(strings);
  xml::set_attr(sysinfo, "type", "fwcfg");
  for (const auto& cred : spec.credentials) {
    xml::set_attr(xml::add(sysinfo, "entry", fw_cfg_credential_text(cred.name, cred.value)), "name",
                  fw_cfg_credential_name(cred.name));
  }
}

// fw_cfg files QEMU reads from the host (never inline text: QEMU's command line, which every local
// user can read, would carry it), in the fw_cfg <sysinfo> the credentials may already have made.
void add_fw_cfg_files(xmlNode* root, xmlNode* os, const VmSpec& spec) {
  if (spec.fw_cfg_files.empty()) {
    return;
  }
  xmlNode* fw_cfg = nullptr;
  for (xmlNode* node = root->children; node != nullptr; node = node->next) {
    if (node->type == XML_ELEMENT_NODE && xml::attr_of(node, "type") == "fwcfg") {
      fw_cfg = node;
    }
  }
  if (fw_cfg == nullptr) {
    fw_cfg = insert_before(os, "sysinfo");
    xml::set_attr(fw_cfg, "type", "fwcfg");
  }
  for (const auto& file : spec.fw_cfg_files) {
    xmlNode* entry = xml::add(fw_cfg, "entry");
    xml::set_attr(entry, "name", file.name);
    xml::set_attr(entry, "file", file.path);
  }
}

} // namespace

std::string render_domain_xml(const VmSpec& spec) {
  xml::Doc doc = xml::parse(k_domain_template, "the domain template");
  remove_comments(doc.get());
  xmlNode* root = xmlDocGetRootElement(doc.get());
  xml::set_attr(root, "type", spec.virt_type);
  xml::set_text(required_child(root, "name"), spec.name);
  if (!spec.uuid.empty()) {
    xml::set_text(insert_before(required_child(root, "title"), "uuid"), spec.uuid);
  }
  xml::set_text(required_child(root, "title"), spec.title);
  xml::set_text(required_child(root, "description"), spec.description);
  fill_metadata(required_child(root, "metadata"), spec.metadata);
  xml::set_text(required_child(root, "memory"), std::to_string(spec.memory_bytes / 1024));
  xml::set_text(required_child(root, "vcpu"), std::to_string(spec.vcpus));

  xmlNode* os = required_child(root, "os");
  set_machine(os, required_child(root, "features"), spec);
  add_credentials(required_child(root, "sysinfo"), os, spec);
  add_fw_cfg_files(root, os, spec);
  xml::set_text(required_child(os, "kernel"), spec.kernel);
  xml::set_text(required_child(os, "initrd"), spec.initrd);
  xml::set_text(required_child(os, "cmdline"), spec.cmdline);

  xmlNode* devices = required_child(root, "devices");
  xmlNode* root_fs = required_child(devices, "filesystem");
  xml::set_attr(required_child(root_fs, "source"), "dir", spec.root_dir);
  xmlNode* serial = required_child(devices, "serial");
  for (std::size_t i = 0; i < spec.disks.size(); ++i) {
    add_disk(root_fs, spec.disks[i], i);
  }
  for (const auto& share : spec.shares) {
    add_filesystem(serial, share);
  }
  xml::set_attr(required_child(serial, "log"), "file", spec.console_log);
  xmlNode* serial_target = required_child(serial, "target");
  xml::set_attr(serial_target, "type", spec.machine.serial_target);
  xml::set_attr(required_child(serial_target, "model"), "name", spec.machine.serial_model);
  xmlNode* rng = required_child(devices, "rng");
  for (const auto& channel : spec.channels) {
    add_channel(devices, channel);
  }
  // Keep the USB controller, <rng> and <memballoon> last, as libvirt itself orders devices.
  xmlNode* usb = required_child(devices, "controller");
  xmlUnlinkNode(usb);
  xmlUnlinkNode(rng);
  xmlNode* balloon = required_child(devices, "memballoon");
  xmlUnlinkNode(balloon);
  add_network(root, devices, spec.network);
  add_graphics(devices, spec.graphics, spec.machine);
  xmlAddChild(devices, usb);
  xmlAddChild(devices, rng);
  xmlAddChild(devices, balloon);
  // <qemu:commandline> must follow <devices>; move it to the end if one was added.
  if (xmlNode* cmd = xml::child(root, "commandline"); cmd != nullptr) {
    xmlUnlinkNode(cmd);
    xmlAddChild(root, cmd);
  }
  return xml::to_string(doc.get());
}

bool has_nic_outside_libvirt(std::string_view xml) {
  const xml::Doc doc = xml::parse(xml, "the saved domain XML");
  xmlNode* cmd = xml::child(xmlDocGetRootElement(doc.get()), "commandline");
  for (const xmlNode* arg = cmd != nullptr ? cmd->children : nullptr; arg != nullptr; arg = arg->next) {
    if (arg->type == XML_ELEMENT_NODE && arg->ns != nullptr &&
        std::string_view(reinterpret_cast<const char*>(arg->ns->href)) == k_qemu_ns &&
        xml::attr_of(arg, "value") == std::optional<std::string>("-netdev")) {
      return true;
    }
  }
  return false;
}

SealedDisks seal_file_disks(std::string_view xml) {
  const xml::Doc doc = xml::parse(xml, "the saved domain XML");
  SealedDisks sealed;
  xmlNode* devices = xml::child(xmlDocGetRootElement(doc.get()), "devices");
  for (xmlNode* disk = devices != nullptr ? devices->children : nullptr; disk != nullptr; disk = disk->next) {
    if (disk->type != XML_ELEMENT_NODE || std::string_view(reinterpret_cast<const char*>(disk->name)) != "disk" ||
        xml::attr_of(disk, "type").value_or("") != "file") {
      continue;
    }
    const xmlNode* source = xml::child(disk, "source");
    const xmlNode* driver = xml::child(disk, "driver");
    const auto file = source != nullptr ? xml::attr_of(source, "file") : std::nullopt;
    const auto format = driver != nullptr ? xml::attr_of(driver, "type") : std::nullopt;
    if (file && format) {
      sealed.formats[*file] = *format;
    }
    if (xml::child(disk, "backingStore") == nullptr && source != nullptr) {
      xmlNode* backing = xmlNewNode(nullptr, reinterpret_cast<const xmlChar*>("backingStore"));
      xmlAddNextSibling(const_cast<xmlNode*>(source), backing);
    }
  }
  sealed.xml = xml::to_string(doc.get());
  return sealed;
}

std::string with_domain_uuid(std::string_view xml, const std::string& uuid) {
  const xml::Doc doc = xml::parse(xml, "the saved domain XML");
  xmlNode* root = xmlDocGetRootElement(doc.get());
  xmlNode* node = xml::child(root, "uuid");
  if (node == nullptr) {
    node = xmlNewNode(nullptr, reinterpret_cast<const xmlChar*>("uuid"));
    xmlAddNextSibling(required_child(root, "name"), node);
  }
  xml::set_text(node, uuid);
  return xml::to_string(doc.get());
}

std::string for_later_boots(std::string_view xml) {
  const xml::Doc doc = xml::parse(xml, "the saved domain XML");
  xmlNode* root = xmlDocGetRootElement(doc.get());
  // Only a domain bcvk gave an Ignition config: a user's own ignition.firstboot stays.
  xmlNode* ignition = nullptr;
  for (xmlNode* node = root->children; node != nullptr; node = node->next) {
    if (node->type == XML_ELEMENT_NODE && xml::attr_of(node, "type") == "fwcfg") {
      for (xmlNode* entry = node->children; entry != nullptr; entry = entry->next) {
        if (entry->type == XML_ELEMENT_NODE && xml::attr_of(entry, "name") == k_ignition_fw_cfg_name) {
          ignition = entry;
        }
      }
    }
  }
  if (ignition == nullptr) {
    return std::string(xml);
  }
  // The config was read by QEMU when the VM first started and is gone from the host since.
  xmlNode* fw_cfg = ignition->parent;
  xml::remove(ignition);
  bool empty = true;
  for (xmlNode* node = fw_cfg->children; node != nullptr; node = node->next) {
    empty = empty && node->type != XML_ELEMENT_NODE;
  }
  if (empty) {
    xml::remove(fw_cfg);
  }
  xmlNode* cmdline = xml::child(required_child(root, "os"), "cmdline");
  if (cmdline == nullptr) {
    return xml::to_string(doc.get());
  }
  const auto words = split_kernel_cmdline(xml::text_of(cmdline));
  std::string kept;
  for (const auto& word : words) {
    if (word != k_ignition_first_boot_karg) {
      kept.append(kept.empty() ? "" : " ").append(quote_karg(word));
    }
  }
  xml::set_text(cmdline, kept);
  return xml::to_string(doc.get());
}

std::optional<std::string> domain_uuid_of(std::string_view xml) {
  const xml::Doc doc = xml::parse(xml, "the saved domain XML");
  const std::string uuid = xml::text_of(xml::child(xmlDocGetRootElement(doc.get()), "uuid"));
  return is_uuid(uuid) ? std::optional(uuid) : std::nullopt;
}

bool domain_xml_is_emulated(std::string_view xml) {
  const xml::Doc doc = xml::parse(xml, "the saved domain XML");
  return xml::attr_of(xmlDocGetRootElement(doc.get()), "type").value_or("") == "qemu";
}

} // namespace bcvk
