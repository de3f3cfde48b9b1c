// The supervisor: the process that owns a detached VM's instance until the VM stops.
#include "bcvk/instance/supervisor.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "bcvk/host/emulator_log.hpp"
#include "bcvk/host/hypervisor.hpp"
#include "bcvk/host/image_store.hpp"
#include "bcvk/host/process.hpp"
#include "bcvk/host/watcher.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/util/error.hpp"

extern char** environ;

namespace bcvk {

void spawn_supervisor(InstanceDir& dir, const std::string& uri) {
  const int lock_fd = dir.lock_fd();
  // Everything the child needs is built before fork: other threads may hold allocator locks.
  std::vector<std::string> args{"bcvk", "--log-level", "info"};
  if (!uri.empty()) {
    args.insert(args.end(), {"--connect", uri});
  }
  args.insert(args.end(), {"ephemeral", "supervise", dir.name()});
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<std::string> env_strings{"BCVK_LOCK_FD=" + std::to_string(lock_fd)};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("BCVK_LOCK_FD=", 0) != 0) {
      env_strings.emplace_back(*e);
    }
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  const std::string log = dir.supervisor_log();
  sigset_t none;
  sigemptyset(&none);

  const pid_t child = ::fork();
  if (child < 0) {
    throw Error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (child == 0) {
    // Double fork: the supervisor is re-parented to init and never becomes our zombie.
    ::setsid();
    if (::fork() != 0) {
      ::_exit(0);
    }
    // Only the supervisor inherits the lock; other children of ours must not hold it.
    ::fcntl(lock_fd, F_SETFD, 0);
    // Close-on-exec: only the dup2'ed copies below reach the supervisor and its children.
    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (log_fd < 0) {
      log_fd = null_fd;
    }
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    ::execve("/proc/self/exe", argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
}

namespace {

// Waits for the domain to stop, reconnecting to libvirt (with backoff, for as long as it takes)
// when libvirtd goes away: while the VM may still run, its owner must not let go.
void wait_until_stopped(Services& services, const std::string& uri, const std::string& name,
                        const InstanceRecord& record, SignalCatcher& signals) {
  constexpr auto k_first_retry = std::chrono::milliseconds(250);
  constexpr auto k_longest_retry = std::chrono::seconds(8);
  auto retry = k_first_retry;
  bool connected = true;
  const auto lost = [&](const std::string& why) {
    spdlog::warn("{}; reconnecting in {} ms", why, retry.count());
    signals.sleep_for(retry);
    retry = std::min<std::chrono::milliseconds>(retry * 2, k_longest_retry);
    connected = false;
  };
  while (true) {
    std::optional<Domain> domain;
    try {
      if (!connected) {
        services.conn = Connection::open(uri);
        connected = true;
        spdlog::info("reconnected to libvirt");
      }
      domain = instance_domain(services.conn, name, record);
    } catch (const LibvirtError& e) {
      lost(e.what());
      continue;
    }
    retry = k_first_retry;
    if (!domain) {
      return;
    }
    const StopResult result = wait_for_stop(services.conn, *domain, &signals);
    if (result.reason == StopReason::connection_lost) {
      lost("lost the connection to libvirt");
      continue;
    }
    if (result.reason == StopReason::signalled) {
      spdlog::info("supervisor got signal {}: powering {} off", result.signal, name);
      domain->destroy();
    } else if (result.reason == StopReason::crashed) {
      const auto crash = emulator_crash_message(name, uri);
      spdlog::error("VM {} crashed{}", name, crash ? ": " + *crash : std::string());
    }
    return;
  }
}

} // namespace

int supervise(const VmName& vm, const std::string& uri, SignalCatcher& signals) {
  const std::string& name = vm.str();
  InstanceDir dir = InstanceDir::open_existing(vm);
  if (const char* fd = std::getenv("BCVK_LOCK_FD"); fd != nullptr) {
    dir.adopt_lock(fd);
    ::unsetenv("BCVK_LOCK_FD");
  } else if (dir.try_lock() != InstanceDir::LockResult::locked) {
    throw Error("VM " + name + " already has an owner");
  }
  // No recovery here: the supervisor is an owner itself, and recovery spawns supervisors.
  Services services(uri, Recover::no);
  InstanceState state = dir.load();
  InstanceOwner owner(std::move(dir), std::move(state), services.store);
  spdlog::info("supervising {}", name);
  try {
    wait_until_stopped(services, uri, name, owner.state(), signals);
  } catch (...) {
    // The VM may still run (e.g. a signal while libvirt was unreachable): leave the instance as
    // it is; the next bcvk command's recovery finds it without an owner and acts on what it sees.
    owner.hand_over();
    throw;
  }
  const bool remove = owner.state().auto_remove;
  spdlog::info("{} stopped; {}", name, remove ? "removing it" : "keeping it");
  owner.release(remove ? Disposition::remove : Disposition::keep);
  return k_exit_ok;
}
} // namespace bcvk
