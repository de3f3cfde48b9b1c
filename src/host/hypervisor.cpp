#include "bcvk/host/hypervisor.hpp"

#include <libvirt/virterror.h>
#include <spdlog/spdlog.h>

#include <grp.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "bcvk/util/error.hpp"
#include "bcvk/util/xml.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/host/image_facts.hpp"
#include "bcvk/host/libvirt_events.hpp"

namespace bcvk {
namespace {

void free_string(char* s) {
  std::free(s);
}
using LibvirtString = Handle<char, free_string>;

bool is_local_uri(const std::string& uri) {
  return uri.find("://") != std::string::npos && uri.find(":///") != std::string::npos;
}

// libvirt advertises KVM whenever /dev/kvm exists, but QEMU runs as an unprivileged user (in the
// kvm group) and fails at start-up when the device node is root-only.
bool kvm_usable_by_qemu_user() {
  struct stat st {};
  if (::stat("/dev/kvm", &st) != 0) {
    return false;
  }
  if ((st.st_mode & (S_IROTH | S_IWOTH)) == (S_IROTH | S_IWOTH)) {
    return true;
  }
  const group* kvm = ::getgrnam("kvm");
  return kvm != nullptr && st.st_gid == kvm->gr_gid && (st.st_mode & (S_IRGRP | S_IWGRP)) == (S_IRGRP | S_IWGRP);
}

// Some hosts expose /dev/kvm without VT-x/AMD-V (paravirtualised KVM variants that need special
// guest kernels); an ordinary guest kernel hangs there, so hardware support must be checked too.
bool cpu_has_hardware_virtualization() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) {
      return line.find(" vmx") != std::string::npos || line.find(" svm") != std::string::npos;
    }
  }
  return false;
}

} // namespace

void throw_libvirt_error(const std::string& what) {
  const virError* err = virGetLastError();
  const int code = err != nullptr ? err->code : VIR_ERR_INTERNAL_ERROR;
  const std::string message = err != nullptr && err->message != nullptr ? err->message : "unknown libvirt error";
  throw LibvirtError(code, what + ": " + message);
}

bool is_test_driver(const std::string& driver) {
  return driver == "TEST" || driver == "Test";
}

unsigned int domain_start_flags(const StartMode& mode, const std::string& driver) {
  unsigned int flags = VIR_DOMAIN_START_VALIDATE;
  if (mode.autodestroy && !is_test_driver(driver)) {
    flags |= VIR_DOMAIN_START_AUTODESTROY;
  }
  return flags;
}

std::string Domain::name() const {
  const char* n = virDomainGetName(get());
  return n != nullptr ? n : "";
}

std::string Domain::uuid() const {
  char uuid[VIR_UUID_STRING_BUFLEN] = {};
  if (virDomainGetUUIDString(get(), uuid) != 0) {
    throw_libvirt_error("cannot read the UUID of domain " + name());
  }
  return uuid;
}

bool Domain::is_active() const {
  const int rc = virDomainIsActive(get());
  // A domain that vanished (transient, stopped) reports an error: it is not active.
  return rc == 1;
}

bool Domain::is_running() const {
  const int rc = virDomainIsActive(get());
  if (rc >= 0) {
    return rc == 1;
  }
  if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) {
    return false;
  }
  throw_libvirt_error("cannot tell whether domain " + name() + " runs");
}

std::string Domain::xml(bool inactive) const {
  LibvirtString text(virDomainGetXMLDesc(get(), inactive ? VIR_DOMAIN_XML_INACTIVE : 0));
  if (!text) {
    throw_libvirt_error("cannot read the XML of domain " + name());
  }
  return text.get();
}

void Domain::shutdown() const {
  if (virDomainShutdown(get()) < 0) {
    throw_libvirt_error("cannot shut down domain " + name());
  }
}

bool Domain::destroy_on_cleanup() const noexcept {
  try {
    destroy();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return false;
  }
}

void Domain::destroy() const {
  if (virDomainDestroy(get()) < 0) {
    const virError* err = virGetLastError();
    if (err != nullptr && (err->code == VIR_ERR_NO_DOMAIN || err->code == VIR_ERR_OPERATION_INVALID)) {
      return;
    }
    throw_libvirt_error("cannot power off domain " + name());
  }
}

Connection Connection::open(const std::string& uri) {
  // Lifecycle events are only delivered on connections opened after the event loop exists.
  init_libvirt_events();
  ConnectionHandle handle(virConnectOpen(uri.empty() ? nullptr : uri.c_str()));
  if (!handle) {
    const virError* err = virGetLastError();
    const std::string message = err != nullptr && err->message != nullptr ? err->message : "unknown error";
    throw LibvirtError(err != nullptr ? err->code : VIR_ERR_INTERNAL_ERROR,
                       "cannot connect to libvirt" + (uri.empty() ? std::string() : " at " + uri) + ": " + message +
                           " (is libvirtd running? start it with 'libvirtd -d', or pick a URI with --connect)");
  }
  return Connection(std::move(handle));
}

std::string Connection::uri() const {
  LibvirtString text(virConnectGetURI(get()));
  return text ? text.get() : "";
}

std::string Connection::driver() const {
  const char* type = virConnectGetType(get());
  return type != nullptr ? type : "";
}

unsigned long Connection::library_version() const {
  unsigned long version = 0;
  virConnectGetLibVersion(get(), &version);
  return version;
}

std::string Connection::best_virt_type(const GuestMachine& machine) const {
  const std::string host_arch = host_architecture();
  if (machine.arch != host_arch) {
    return "qemu"; // no hardware runs another architecture's code
  }
  if (const char* forced = std::getenv("BCVK_VIRT_TYPE"); forced != nullptr && *forced != '\0') {
    return forced;
  }
  if (driver() != "QEMU") {
    return "qemu";
  }
  LibvirtString caps(
      virConnectGetDomainCapabilities(get(), nullptr, machine.qemu_arch.c_str(), machine.machine.c_str(), "kvm", 0));
  // /proc/cpuinfo names VT-x/AMD-V on x86 only; an arm64 host with /dev/kvm has its extensions.
  const bool hardware = host_arch != "amd64" || cpu_has_hardware_virtualization();
  if (!caps || (is_local_uri(uri()) && !(hardware && kvm_usable_by_qemu_user()))) {
    spdlog::info("KVM is not available to QEMU here; the guest runs under software emulation (slow)");
    return "qemu";
  }
  return "kvm";
}

void Connection::require_emulator(const GuestMachine& machine, const std::string& virt_type,
                                  const std::string& image) const {
  if (driver() != "QEMU") {
    return;
  }
  LibvirtString caps(virConnectGetDomainCapabilities(get(), nullptr, machine.qemu_arch.c_str(), machine.machine.c_str(),
                                                     virt_type.c_str(), 0));
  if (!caps) {
    const virError* err = virGetLastError();
    const std::string why = err != nullptr && err->message != nullptr ? err->message : "unknown libvirt error";
    throw Error(missing_emulator_message(image, machine, why));
  }
  if (machine.uefi && !offers_efi_firmware(caps.get())) {
    throw Error(missing_firmware_message(image, machine));
  }
}

namespace {

// A plain decimal id, optionally with libvirt's '+' (numeric, never looked up as a name).
std::optional<unsigned> numeric_id(std::string text) {
  if (text.starts_with('+')) {
    text.erase(0, 1);
  }
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return static_cast<unsigned>(std::stoul(text));
}

} // namespace

bool offers_efi_firmware(std::string_view domain_capabilities_xml) {
  const xml::Doc doc = xml::parse(domain_capabilities_xml, "libvirt's domain capabilities");
  const xml::XPathContext ctx(xmlXPathNewContext(doc.get()));
  const xml::XPathObject found(xmlXPathEvalExpression(
      reinterpret_cast<const xmlChar*>("/domainCapabilities/os/enum[@name='firmware']/value[text()='efi']"),
      ctx.get()));
  return found && found.get()->nodesetval != nullptr && found.get()->nodesetval->nodeNr > 0;
}

std::optional<DacLabel> dac_label_of(std::string_view capabilities_xml) {
  const xml::Doc doc = xml::parse(capabilities_xml, "libvirt's capabilities");
  xmlNode* host = xml::child(xmlDocGetRootElement(doc.get()), "host");
  for (xmlNode* node = host != nullptr ? host->children : nullptr; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE || xmlStrcmp(node->name, BAD_CAST "secmodel") != 0 ||
        xml::text_of(xml::child(node, "model")) != "dac") {
      continue;
    }
    for (xmlNode* label = node->children; label != nullptr; label = label->next) {
      if (label->type != XML_ELEMENT_NODE || xmlStrcmp(label->name, BAD_CAST "baselabel") != 0) {
        continue;
      }
      // "+UID:+GID" (numeric) or "USER:GROUP" (names); only numbers are taken, never a name lookup.
      const std::string text = xml::text_of(label);
      const auto colon = text.find(':');
      if (colon == std::string::npos) {
        return std::nullopt;
      }
      const auto uid = numeric_id(text.substr(0, colon));
      const auto gid = numeric_id(text.substr(colon + 1));
      if (!uid || !gid) {
        return std::nullopt;
      }
      return DacLabel{*uid, *gid};
    }
  }
  return std::nullopt;
}

unsigned Connection::hypervisor_user() const {
  LibvirtString caps(virConnectGetCapabilities(get()));
  if (!caps) {
    throw_libvirt_error("cannot read libvirt's capabilities");
  }
  const auto label = dac_label_of(caps.get());
  return label ? label->uid : 0;
}

std::optional<Domain> Connection::find(const std::string& name) const {
  DomainHandle handle(virDomainLookupByName(get(), name.c_str()));
  if (!handle) {
    const virError* err = virGetLastError();
    if (err != nullptr && err->code == VIR_ERR_NO_DOMAIN) {
      return std::nullopt;
    }
    throw_libvirt_error("cannot look up domain " + name);
  }
  return Domain(std::move(handle));
}

namespace {

// The array virConnectListAllDomains returns: every domain and the array itself are freed.
struct DomainList {
  virDomainPtr* domains = nullptr;
  int count = 0;
  DomainList() = default;
  DomainList(const DomainList&) = delete;
  DomainList& operator=(const DomainList&) = delete;
  ~DomainList() {
    for (int i = 0; i < count; ++i) {
      virDomainFree(domains[i]);
    }
    ::free(domains);
  }
};

} // namespace

std::map<std::string, std::string> Connection::active_domains() const {
  DomainList list;
  list.count = virConnectListAllDomains(get(), &list.domains, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
  if (list.count < 0) {
    list.count = 0;
    throw_libvirt_error("cannot list the running domains");
  }
  std::map<std::string, std::string> domains;
  for (int i = 0; i < list.count; ++i) {
    char uuid[VIR_UUID_STRING_BUFLEN] = {};
    const char* name = virDomainGetName(list.domains[i]);
    if (name != nullptr && virDomainGetUUIDString(list.domains[i], uuid) == 0) {
      domains.emplace(name, uuid);
    }
  }
  return domains;
}

namespace {

struct StatsRecords {
  virDomainStatsRecordPtr* records = nullptr;
  StatsRecords() = default;
  StatsRecords(const StatsRecords&) = delete;
  StatsRecords& operator=(const StatsRecords&) = delete;
  ~StatsRecords() {
    if (records != nullptr) {
      virDomainStatsRecordListFree(records);
    }
  }
};

// A typed parameter as a whole number, when it is one (libvirt's counters are unsigned long long
// but a few are int or unsigned).
std::optional<std::uint64_t> whole_number(const virTypedParameter& p) {
  switch (p.type) {
  case VIR_TYPED_PARAM_ULLONG:
    return p.value.ul;
  case VIR_TYPED_PARAM_UINT:
    return p.value.ui;
  case VIR_TYPED_PARAM_LLONG:
    return p.value.l >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(p.value.l)) : std::nullopt;
  case VIR_TYPED_PARAM_INT:
    return p.value.i >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(p.value.i)) : std::nullopt;
  case VIR_TYPED_PARAM_BOOLEAN:
    return p.value.b != 0 ? 1U : 0U;
  default:
    return std::nullopt;
  }
}

} // namespace

std::vector<DomainStats> Connection::running_domain_stats() const {
  const unsigned groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL | VIR_DOMAIN_STATS_BALLOON |
                          VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
  StatsRecords list;
  const int count =
      virConnectGetAllDomainStats(get(), groups, &list.records,
                                  VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
  if (count < 0) {
    throw_libvirt_error("cannot read the running domains' statistics");
  }
  std::vector<DomainStats> out;
  for (int i = 0; i < count; ++i) {
    const virDomainStatsRecord& record = *list.records[i];
    char uuid[VIR_UUID_STRING_BUFLEN] = {};
    const char* name = virDomainGetName(record.dom);
    if (name == nullptr || virDomainGetUUIDString(record.dom, uuid) != 0) {
      continue; // gone meanwhile
    }
    DomainStats stats{name, uuid, static_cast<int>(virDomainGetID(record.dom)), {}};
    for (int p = 0; p < record.nparams; ++p) {
      if (const auto v = whole_number(record.params[p])) {
        stats.numbers.emplace(record.params[p].field, *v);
      }
    }
    out.push_back(std::move(stats));
  }
  return out;
}

unsigned Connection::host_cpus() const {
  virNodeInfo info{};
  if (virNodeGetInfo(get(), &info) != 0 || info.cpus == 0) {
    throw_libvirt_error("cannot read the host's CPU count");
  }
  return info.cpus;
}

Domain Connection::create(const std::string& xml, const StartMode& mode) const {
  DomainHandle handle(virDomainCreateXML(get(), xml.c_str(), domain_start_flags(mode, driver())));
  if (!handle) {
    throw_libvirt_error("libvirt refused to start the VM");
  }
  return Domain(std::move(handle));
}

} // namespace bcvk
