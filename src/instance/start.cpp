#include "bcvk/instance/start.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "bcvk/instance/supervisor.hpp"
#include "bcvk/util/clock.hpp"
#include "bcvk/util/fault_point.hpp"

namespace bcvk {

StartedInstance::~StartedInstance() {
  if (m_guarded && !m_domain.destroy_on_cleanup()) {
    // The VM may still run (libvirt unreachable): its storage stays, and so does the instance,
    // for the next bcvk command's recovery to judge by what libvirt then says.
    m_owner->hand_over();
  }
}

void StartedInstance::hand_to_supervisor(const std::string& uri) {
  spawn_supervisor(m_owner->dir(), uri);
  m_owner->hand_over();
  m_guarded = false;
}

void StartedInstance::release(Disposition disposition) {
  try {
    m_domain.destroy();
  } catch (...) {
    m_guarded = false;
    m_owner->hand_over(); // as in the destructor: never release under a VM that may run
    throw;
  }
  m_guarded = false;
  m_owner->release(disposition);
}

void StartedInstance::leave_to_recovery() {
  m_guarded = false;
  m_owner->hand_over();
}

StartedInstance start_instance_domain(const Connection& conn, std::unique_ptr<InstanceOwner> owner,
                                      const std::string& domain_xml, const StartMode& mode) {
  Domain domain = conn.create(domain_xml, mode);
  // QEMU holds an Ignition config in memory from its start (a reboot inside the guest keeps it):
  // on the host it would only wait, readable by every QEMU of libvirt's user, for nothing.
  if (::unlink(owner->dir().ignition_config_file().c_str()) != 0 && errno != ENOENT) {
    spdlog::warn("cannot delete {}: {}", owner->dir().ignition_config_file(), std::strerror(errno));
  }
  StartedInstance started(std::move(owner), std::move(domain));
  started.owner().state().phase = Phase::running;
  started.owner().state().started = now_rfc3339();
  started.owner().save();
  spdlog::info("started VM {} ({})", started.domain().name(), conn.uri());
  fault_point("domain-created");
  return started;
}

} // namespace bcvk
