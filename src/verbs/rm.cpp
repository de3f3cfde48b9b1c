// `ephemeral rm`: removes VMs and everything they hold.
#include <iostream>

#include <spdlog/spdlog.h>

#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/verbs/each_vm.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/util/error.hpp"

namespace bcvk {
int remove_instances(const RmRequest& options, const Context& ctx) {
  Services s(ctx.connect_uri, Recover::yes);
  const auto names = options.all ? InstanceDir::list_names() : options.names;
  return for_each_vm(
      names,
      [&](const VmName& vm) {
        const std::string& name = vm.str();
        if (s.recovered_removals.contains(name) && !InstanceDir::open(vm)) {
          return; // its removal had been cut short, and this command's recovery just finished it
        }
        InstanceDir dir = InstanceDir::open_existing(vm);
        // Only the instance's own domain, on its own connection; anything else is left to the
        // release's check, which refuses while the instance's VM runs anywhere.
        const auto domain = instance_domain(s.conn, name, record_for_lookup(dir));
        if (domain && domain->is_active()) {
          if (!options.force) {
            throw Error("VM " + name + " is running: stop it first, or use 'bcvk ephemeral rm -f " + name + "'");
          }
          domain->destroy();
        }
        const auto lock = dir.wait_lock(k_owner_cleanup_wait_ms, ctx.signals);
        if (lock == InstanceDir::LockResult::busy) {
          throw Error("VM " + name + " is busy: another bcvk has held it for " +
                      std::to_string(k_owner_cleanup_wait_ms / 1000) + " s; try again once it is done");
        }
        if (lock == InstanceDir::LockResult::locked) {
          InstanceState state;
          try {
            state = state_left_behind(dir);
          } catch (const Error& e) {
            if (!options.force) {
              throw; // names 'rm -f'
            }
            // Forced: what it holds goes but for an image mount, which only its state could name.
            const std::string why = e.what();
            spdlog::warn("{}; removing it anyway (-f): an image mount it may hold stays until 'podman image umount'",
                         why.substr(0, why.find(", so bcvk does not know")));
            state.name = name;
          }
          release_instance(dir, state, s.store, Disposition::remove,
                           options.forget ? IfLibvirtSilent::check_host : IfLibvirtSilent::keep);
        }
      },
      *ctx.signals);
}

} // namespace bcvk
