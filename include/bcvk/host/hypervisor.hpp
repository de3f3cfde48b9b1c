#pragma once
// libvirt, through owned handles. Every failure becomes a LibvirtError carrying libvirt's message.
#include <libvirt/libvirt.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bcvk/util/handle.hpp"
#include "bcvk/vm/guest_machine.hpp"

namespace bcvk {

// libvirt's own release functions serve as the deleters (their status results are of no use here).
using ConnectionHandle = Handle<virConnect, virConnectClose>;
using DomainHandle = Handle<virDomain, virDomainFree>;
using StreamHandle = Handle<virStream, virStreamFree>;

// Throws LibvirtError built from libvirt's last error, prefixed with `what`.
[[noreturn]] void throw_libvirt_error(const std::string& what);

// How the domain should be started; computed in one place because drivers differ.
struct StartMode {
  bool autodestroy = false; // tie the domain's life to this connection (foreground runs)
};

// libvirt's in-process test driver reports itself as "TEST".
bool is_test_driver(const std::string& driver);

// Flags for virDomainCreateXML. The test driver refuses AUTODESTROY, so it is dropped there.
unsigned int domain_start_flags(const StartMode& mode, const std::string& driver);

class Domain {
public:
  explicit Domain(DomainHandle handle) : m_handle(std::move(handle)) {}
  virDomain* get() const { return m_handle.get(); }
  std::string name() const;
  std::string uuid() const; // canonical form, as libvirt prints it
  bool is_active() const;
  // The same, for decisions that release storage: only libvirt's "no such domain" counts as not
  // running; any other failure (a dying connection) throws LibvirtError instead of saying no.
  bool is_running() const;
  std::string xml(bool inactive = false) const;
  void shutdown() const; // ACPI power button
  void destroy() const;  // immediate power off; a domain already gone is not an error
  // The same for cleanup paths: a failure is logged, never thrown.
  // Returns false when the VM may still run.
  bool destroy_on_cleanup() const noexcept;

private:
  DomainHandle m_handle;
};

// The DAC base label in a libvirt capabilities document ("<secmodel><model>dac</model><baselabel
// type='kvm'>+64055:+107</baselabel>": user 64055, group 107), the user and group QEMU runs as (one
// for every virtualisation type: libvirt takes them from qemu.conf); nullopt when it names none or
// names them by name (pure).
struct DacLabel {
  unsigned uid = 0;
  unsigned gid = 0;
  bool operator==(const DacLabel&) const = default;
};
std::optional<DacLabel> dac_label_of(std::string_view capabilities_xml);

// Whether libvirt's domain capabilities for a machine offer UEFI firmware (a firmware descriptor
// it can pick with <os firmware='efi'>) (pure).
bool offers_efi_firmware(std::string_view domain_capabilities_xml);

// One running domain's statistics as libvirt reports them: its numbers by libvirt's key
// ("cpu.time", "balloon.rss", "vcpu.0.time"...); text values are left out.
struct DomainStats {
  std::string name;
  std::string uuid;
  int id = -1; // the running domain's number, which names libvirt's files for it
  std::map<std::string, std::uint64_t> numbers;
};

class Connection {
public:
  // Opens `uri`, or libvirt's default (LIBVIRT_DEFAULT_URI, libvirt.conf) when it is empty.
  static Connection open(const std::string& uri);

  virConnect* get() const { return m_handle.get(); }
  std::string uri() const;
  std::string driver() const; // "QEMU", "Test", ...
  unsigned long library_version() const;
  // "kvm" when the host can accelerate a guest of `machine`, else "qemu" (software emulation, always
  // for another architecture than the host's).
  std::string best_virt_type(const GuestMachine& machine) const;
  // Throws Error (one line naming the package to install) unless libvirt has a QEMU that runs
  // `machine` as `virt_type`; `image` names what was to boot. Only the QEMU driver is asked.
  void require_emulator(const GuestMachine& machine, const std::string& virt_type, const std::string& image) const;
  // The user QEMU runs as (libvirt's DAC base label), the one user an instance's directory is
  // opened to; 0 when the driver names none (the test driver: no process opens anything).
  unsigned hypervisor_user() const;
  std::optional<Domain> find(const std::string& name) const;
  // The names of all running domains, in one call (a lookup per instance costs a round trip each).
  std::map<std::string, std::string> active_domains() const; // name -> UUID
  // The statistics of every running domain in one call (virConnectGetAllDomainStats): state, CPU,
  // balloon, vCPUs, interfaces and disks. A domain busy with another job reports what it can at
  // once instead of making the call wait.
  std::vector<DomainStats> running_domain_stats() const;
  // The CPUs of libvirt's host, against which a domain's CPU time is a share.
  unsigned host_cpus() const;
  Domain create(const std::string& xml, const StartMode& mode) const;

private:
  explicit Connection(ConnectionHandle handle) : m_handle(std::move(handle)) {}
  ConnectionHandle m_handle;
};

} // namespace bcvk
