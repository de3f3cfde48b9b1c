// `ephemeral stop`: ACPI shutdown, forced after a timeout; returns once the owner cleaned up.
#include <chrono>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/verbs/each_vm.hpp"
#include "bcvk/verbs/stop_instance.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/util/error.hpp"

namespace bcvk {
namespace {

constexpr auto k_power_button_repeat = std::chrono::seconds(10);

// Another power-button press; the domain may have gone off meanwhile, which is what was wanted.
void press_again(const Domain& domain) {
  try {
    domain.shutdown();
  } catch (const LibvirtError& e) {
    spdlog::debug("{}", e.what());
  }
}

// Powers the VM off: ACPI first (pressed again every 10 s), then by force after the timeout.
// Returns once it is gone: true when it had to be forced.
bool power_off(const Connection& conn, const InstanceDir& dir, unsigned timeout_s, bool force, SignalCatcher& signals) {
  const std::string& name = dir.name();
  const InstanceRecord record = record_for_lookup(dir);
  if (!is_instance_connection(record, conn.uri()) && !InstanceDir::is_marked_released(dir.vm_name())) {
    // Its VM may well run there: waiting for an owner that is not going to let go would not help.
    throw Error("VM " + name + " was created on " + record.uri + ", not on " + conn.uri() + ": stop it with 'bcvk -c " +
                record.uri + " ephemeral stop " + name + "'");
  }
  const auto domain = instance_domain(conn, name, record);
  if (!domain || !domain->is_active()) {
    return false;
  }
  if (!force) {
    try {
      domain->shutdown();
      spdlog::debug("asked {} to shut down; waiting up to {} s", name, timeout_s);
      const auto start = std::chrono::steady_clock::now();
      const auto deadline = start + std::chrono::seconds(timeout_s);
      auto next_press = start + k_power_button_repeat;
      while (domain->is_active() && std::chrono::steady_clock::now() < deadline) {
        signals.sleep_for(std::chrono::milliseconds(200));
        if (std::chrono::steady_clock::now() >= next_press && domain->is_active()) {
          // A press the guest got before it could act on it (still booting: no ACPI driver or no
          // logind yet) is lost: press again until it powers off or the time is up.
          press_again(*domain);
          next_press += k_power_button_repeat;
        }
      }
    } catch (const LibvirtError& e) {
      spdlog::warn("{}; powering off instead", e.what());
    }
  }
  if (domain->is_active()) {
    if (!force) {
      spdlog::warn("{} did not shut down within {} s; powering it off", name, timeout_s);
    }
    domain->destroy();
    return true;
  }
  return false;
}

// Releases what an instance whose owner is gone still holds, as that owner would have. Nothing to
// do for a kept instance that holds nothing.
void finish_release(InstanceDir& dir, ImageStore& store) {
  if (InstanceDir::is_marked_released(dir.vm_name())) {
    return;
  }
  InstanceState state = state_left_behind(dir);
  release_instance(dir, state, store, disposition_left_behind(state));
}

} // namespace

StoppedInstance stop_instance(Services& s, const VmName& vm, unsigned timeout_seconds, bool force,
                              SignalCatcher& signals) {
  const std::string& name = vm.str();
  InstanceDir dir = InstanceDir::open_existing(vm);
  const bool forced = power_off(s.conn, dir, timeout_seconds, force, signals);
  // The owner (supervisor or foreground bcvk) cleans up; wait until it has let go.
  const auto lock = dir.wait_lock(k_owner_cleanup_wait_ms, &signals);
  if (lock == InstanceDir::LockResult::busy) {
    throw Error("VM " + name + " stopped but its owner did not finish cleaning up within " +
                std::to_string(k_owner_cleanup_wait_ms / 1000) + " s; 'bcvk ephemeral rm -f " + name +
                "' finishes it once the owner is gone");
  }
  if (lock == InstanceDir::LockResult::locked) {
    // The owner let go without finishing (its release failed, or it died): finish it here, so
    // that stop returns 0 only with the VM released as it asked (removed for --rm).
    finish_release(dir, s.store);
  }
  return {std::move(dir), forced};
}

int stop_instances(const StopRequest& options, const Context& ctx) {
  Services s(ctx.connect_uri, Recover::yes);
  return for_each_vm(
      options.names,
      [&](const VmName& vm) { stop_instance(s, vm, options.timeout_seconds, options.force, *ctx.signals); },
      *ctx.signals);
}

} // namespace bcvk
