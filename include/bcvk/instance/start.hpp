#pragma once
// The one way a VM of bcvk starts (run, run-ssh, start): create the domain, guard it, record it
// running, and hand it to its owner.
#include <memory>
#include <string>
#include <utility>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/instance/owner.hpp"

namespace bcvk {

// A domain this process started for an instance it owns. Until it is handed to a supervisor or
// released, destroying it powers the VM off first and only then lets the owner release the
// instance: a running VM never loses the mounts under its root. Should the power-off fail (libvirt
// unreachable), nothing is released: the instance is left to crash recovery.
class StartedInstance {
public:
  StartedInstance(std::unique_ptr<InstanceOwner> owner, Domain domain)
      : m_owner(std::move(owner)), m_domain(std::move(domain)) {}
  ~StartedInstance();
  StartedInstance(StartedInstance&& other) noexcept
      : m_owner(std::move(other.m_owner)), m_domain(std::move(other.m_domain)),
        m_guarded(std::exchange(other.m_guarded, false)) {}
  StartedInstance(const StartedInstance&) = delete;
  StartedInstance& operator=(const StartedInstance&) = delete;
  StartedInstance& operator=(StartedInstance&&) = delete;

  const Domain& domain() const { return m_domain; }
  InstanceOwner& owner() { return *m_owner; }

  // Spawns the supervisor that owns the instance from now on; the VM keeps running.
  void hand_to_supervisor(const std::string& uri);
  // Powers the VM off if it still runs, then releases the instance as `disposition` says.
  void release(Disposition disposition);
  // Lets go without touching the VM or its storage (libvirt is unreachable, so whether it runs is
  // unknown): the next bcvk command's recovery decides, by what libvirt then says.
  void leave_to_recovery();

private:
  // Declared first, destroyed last: after the destructor has powered the VM off.
  std::unique_ptr<InstanceOwner> m_owner;
  Domain m_domain;
  bool m_guarded = true;
};

// Creates the domain from `domain_xml` and records the instance running. Any failure from here on
// (recording the state, waiting for SSH, spawning the supervisor) powers the VM off before the
// instance is released; if creation itself fails, the owner releases what it holds.
StartedInstance start_instance_domain(const Connection& conn, std::unique_ptr<InstanceOwner> owner,
                                      const std::string& domain_xml, const StartMode& mode);

} // namespace bcvk
