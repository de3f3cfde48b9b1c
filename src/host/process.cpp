#include "bcvk/host/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"

extern char** environ;

namespace bcvk {
namespace {

void free_file_actions(posix_spawn_file_actions_t* a) {
  posix_spawn_file_actions_destroy(a);
}
void free_spawn_attr(posix_spawnattr_t* a) {
  posix_spawnattr_destroy(a);
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return 128 + WTERMSIG(status);
}

int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw Error(std::string("waitpid: ") + std::strerror(errno));
    }
  }
  return decode_status(status);
}

// Children get default signal handling and an empty mask even though bcvk blocks signals itself.
void init_attr(posix_spawnattr_t& attr) {
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) {
    out.push_back(const_cast<char*>(a.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void spawn_failed(const std::vector<std::string>& argv, int rc) {
  throw Error("cannot run " + argv.at(0) + ": " + std::strerror(rc) +
              (rc == ENOENT ? " (is it installed and on PATH?)" : ""));
}

} // namespace

void Fd::reset(int fd) {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
  m_fd = fd;
}

namespace {

// bcvk's environment with `extra` set over it.
std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (extra.find(entry.substr(0, entry.find('='))) == extra.end()) {
      out.push_back(entry);
    }
  }
  for (const auto& [k, v] : extra) {
    out.push_back(k + "=" + v);
  }
  return out;
}

// stdin from /dev/null, stdout and stderr to the descriptors given; in a process group of its own
// when `own_group`; bcvk's environment with `extra_env` over it.
pid_t spawn_to(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd, bool own_group,
               const std::map<std::string, std::string>& extra_env = {}) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  Handle<posix_spawn_file_actions_t, free_file_actions> actions_guard(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  posix_spawnattr_t attr;
  init_attr(attr);
  Handle<posix_spawnattr_t, free_spawn_attr> attr_guard(&attr);
  if (own_group) {
    posix_spawnattr_setpgroup(&attr, 0);
    short flags = 0;
    posix_spawnattr_getflags(&attr, &flags);
    posix_spawnattr_setflags(&attr, static_cast<short>(flags | POSIX_SPAWN_SETPGROUP));
  }
  pid_t pid = 0;
  auto args = c_argv(argv);
  const auto env_storage = environment_with(extra_env);
  auto env = c_argv(env_storage);
  const int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), extra_env.empty() ? environ : env.data());
  if (rc != 0) {
    spawn_failed(argv, rc);
  }
  return pid;
}

} // namespace

ProcessResult SystemProcessRunner::run(const std::vector<std::string>& argv) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw Error(std::string("pipe: ") + std::strerror(errno));
  }
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]);
  const pid_t pid = spawn_to(argv, out_w.get(), err_w.get(), false);
  out_w.reset();
  err_w.reset();
  ProcessResult result;
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buf[8192];
        const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n > 0) {
          sinks[i]->append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          fds[i].fd = -1;
          --open_count;
        }
      }
    }
  }
  result.status = wait_child(pid);
  return result;
}

Child::Child(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd,
             const std::map<std::string, std::string>& extra_env)
    : m_pid(spawn_to(argv, stdout_fd, stderr_fd, true, extra_env)) {
  m_exit_fd.reset(static_cast<int>(::syscall(SYS_pidfd_open, m_pid, 0)));
}

Child::~Child() {
  if (!m_reaped) {
    kill_group();
    ::waitpid(m_pid, nullptr, 0);
  }
}

void Child::signal(int signo) const {
  ::kill(m_pid, signo);
}

void Child::kill_group() const {
  ::kill(-m_pid, SIGKILL);
}

// Once it has exited, what it started dies with it: its group is killed while the unreaped child
// still holds the group's ID (no other process can have taken it), then it is reaped.
void Child::reap() {
  kill_group();
  m_status = wait_child(m_pid);
  m_reaped = true;
}

bool Child::exited() {
  if (!m_reaped) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == m_pid) {
      reap();
    }
  }
  return m_reaped;
}

int Child::wait() {
  if (!m_reaped) {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
    reap();
  }
  return m_status;
}

int run_attached(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env) {
  const auto env_storage = environment_with(extra_env);
  auto env = c_argv(env_storage);
  auto args = c_argv(argv);
  posix_spawnattr_t attr;
  init_attr(attr);
  Handle<posix_spawnattr_t, free_spawn_attr> attr_guard(&attr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], nullptr, &attr, args.data(), env.data());
  if (rc != 0) {
    spawn_failed(argv, rc);
  }
  return wait_child(pid);
}

std::string quote_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    out += out.empty() ? "" : " ";
    if (!a.empty() && a.find_first_of(" \t'\"\\$") == std::string::npos) {
      out += a;
    } else {
      out += "'";
      for (const char c : a) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      }
      out += "'";
    }
  }
  return out;
}

} // namespace bcvk
