// stop, start, rm and the supervisor: the verbs that change an existing instance's life.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "bcvk/error.hpp"
#include "bcvk/gc.hpp"
#include "bcvk/host_inputs.hpp"
#include "bcvk/instance_owner.hpp"
#include "bcvk/launcher.hpp"
#include "bcvk/runtime.hpp"
#include "bcvk/services.hpp"
#include "bcvk/watcher.hpp"

namespace bcvk {
namespace {

// How long to wait for a supervisor to finish its cleanup once its VM is gone.
constexpr int k_cleanup_wait_ms = 30000;

// Powers the VM off: ACPI first, then by force after the timeout. Returns once it is gone.
void power_off(const Connection& conn, const std::string& name, unsigned timeout_s, bool force) {
  const auto domain = conn.find(name);
  if (!domain || !domain->is_active()) {
    return;
  }
  if (!force) {
    try {
      domain->shutdown();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
      while (domain->is_active() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
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
  }
}

} // namespace

int stop_instances(const StopOptions& options, const Context& ctx) {
  const auto names = parse_vm_names(options.names);
  Services s(ctx);
  int status = k_exit_ok;
  for (const auto& vm : names) {
    const std::string& name = vm.str();
    try {
      InstanceDir dir = InstanceDir::open_existing(vm);
      power_off(s.conn, name, options.timeout_seconds, options.force);
      // The owner (supervisor or foreground bcvk) cleans up; wait until it has let go.
      if (dir.wait_lock(k_cleanup_wait_ms) == InstanceDir::LockResult::busy) {
        throw Error("VM " + name + " stopped but its owner did not finish cleaning up within 30 s");
      }
      std::cout << name << std::endl;
    } catch (const Error& e) {
      std::cerr << "bcvk: error: " << printable(e.what()) << "\n";
      status = k_exit_bcvk_error;
    }
  }
  return status;
}

int start_instance(const std::string& name_text, const Context& ctx) {
  const VmName vm = VmName::parse(name_text);
  const std::string& name = vm.str();
  Services s(ctx);
  InstanceDir dir = InstanceDir::open_existing(vm);
  if (dir.try_lock() != InstanceDir::LockResult::locked) {
    throw Error("VM " + name + " is running (or being changed by another bcvk); stop it first");
  }
  // Loaded before an owner exists: an unreadable state must never lead to a clean-up.
  InstanceState state = dir.load();
  if (state.phase != Phase::stopped) {
    throw Error("VM " + name + " is not a stopped, kept VM");
  }
  // libvirt opens the disks, shares and outputs anew: they must still be safe to use.
  const auto created_outputs = recheck_host_inputs(state, s.runner);
  ScopeExit forget_created_outputs([&created_outputs] {
    for (const auto& path : created_outputs) {
      ::unlink(path.c_str());
    }
  });
  InstanceOwner owner(std::move(dir), std::move(state), s.store);
  remount_instance(owner, s.store);
  const std::string xml = read_text_file(owner.dir().domain_xml_file());
  ctx.signals->checkpoint();
  const Domain domain = s.conn.create(xml, StartMode{.autodestroy = false});
  owner.state().phase = Phase::running;
  owner.state().detached = true;
  owner.save();
  spawn_supervisor(owner.dir(), s.conn.uri());
  owner.hand_over();
  forget_created_outputs.dismiss();
  std::cout << domain.name() << std::endl;
  return k_exit_ok;
}

int remove_instances(const RmOptions& options, const Context& ctx) {
  if (options.all == !options.names.empty()) {
    throw UsageError(options.all ? "rm: give either NAMEs or --all, not both"
                                 : "rm: name the VMs to remove, or use --all");
  }
  const auto given = parse_vm_names(options.names);
  Services s(ctx);
  const auto names = options.all ? InstanceDir::list_names() : given;
  int status = k_exit_ok;
  for (const auto& vm : names) {
    const std::string& name = vm.str();
    try {
      InstanceDir dir = InstanceDir::open_existing(vm);
      const auto domain = s.conn.find(name);
      if (domain && domain->is_active()) {
        if (!options.force) {
          throw Error("VM " + name + " is running: stop it first, or use 'bcvk ephemeral rm -f " + name + "'");
        }
        domain->destroy();
      }
      const auto lock = dir.wait_lock(k_cleanup_wait_ms);
      if (lock == InstanceDir::LockResult::busy) {
        throw Error("VM " + name + " is busy (another bcvk holds it)");
      }
      if (lock == InstanceDir::LockResult::locked) {
        InstanceState state;
        try {
          state = dir.load();
        } catch (const Error&) {
          state.name = name; // never got as far as writing its state: it holds nothing
        }
        release_instance(dir, state, s.store, Disposition::remove);
      }
      std::cout << name << std::endl;
    } catch (const Error& e) {
      std::cerr << "bcvk: error: " << printable(e.what()) << "\n";
      status = k_exit_bcvk_error;
    }
  }
  return status;
}

int supervise_instance(const std::string& name_text, const Context& ctx) {
  const VmName vm = VmName::parse(name_text);
  const std::string& name = vm.str();
  InstanceDir dir = InstanceDir::open_existing(vm);
  if (const char* fd = std::getenv("BCVK_LOCK_FD"); fd != nullptr) {
    dir.adopt_lock(std::atoi(fd));
    ::unsetenv("BCVK_LOCK_FD");
  } else if (dir.try_lock() != InstanceDir::LockResult::locked) {
    throw Error("VM " + name + " already has an owner");
  }
  init_libvirt_events();
  SystemProcessRunner runner;
  PodmanImageStore store(runner);
  InstanceState state = dir.load();
  InstanceOwner owner(std::move(dir), std::move(state), store);
  spdlog::info("supervising {}", name);
  while (true) {
    const Connection conn = Connection::open(ctx.connect_uri);
    const auto domain = conn.find(name);
    if (!domain) {
      break;
    }
    const StopResult result = wait_for_stop(conn, *domain, ctx.signals);
    if (result.reason == StopReason::connection_lost) {
      spdlog::warn("lost the connection to libvirt; reconnecting");
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    if (result.reason == StopReason::signalled) {
      spdlog::info("supervisor got signal {}: powering {} off", result.signal, name);
      domain->destroy();
    }
    break;
  }
  const bool remove = owner.state().auto_remove;
  spdlog::info("{} stopped; {}", name, remove ? "removing it" : "keeping it");
  owner.release(remove ? Disposition::remove : Disposition::keep);
  return k_exit_ok;
}

} // namespace bcvk
