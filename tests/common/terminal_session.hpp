#pragma once
// bcvk on a terminal of its own (a pty as stdin, stdout and stderr, 120 columns, TERM=`term`), as
// a user at a terminal runs it: what it draws can be read while it runs, and keys typed (Ctrl-C is "\x03",
// which the terminal turns into SIGINT for its foreground processes).
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace bcvk::test_support {

class TerminalSession {
public:
  explicit TerminalSession(const std::vector<std::string>& args, const std::string& term = "xterm") {
    winsize ws{};
    ws.ws_col = 120;
    ws.ws_row = 40;
    // Everything the child needs is made before the fork: the test may run threads (a relay),
    // and a forked child of a threaded process may only call what is async-signal-safe.
    std::vector<char*> argv{const_cast<char*>(BCVK_BINARY)};
    for (const auto& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<std::string> env_text{"TERM=" + term};
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).substr(0, 5) != "TERM=") {
        env_text.emplace_back(*e);
      }
    }
    std::vector<char*> envp;
    for (auto& e : env_text) {
      envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    m_pid = ::forkpty(&m_master, nullptr, nullptr, &ws);
    if (m_pid == 0) {
      ::execve(BCVK_BINARY, argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ~TerminalSession() {
    if (m_pid > 0 && m_status < 0) {
      ::kill(m_pid, SIGKILL);
      wait_exit(std::chrono::seconds(30));
    }
    if (m_master >= 0) {
      ::close(m_master);
    }
  }
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;

  // Reads what arrived within `wait`; everything it drew so far.
  const std::string& read_for(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (m_master >= 0 && !m_ended) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      pollfd p{m_master, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) != 1) {
        break;
      }
      char buf[4096];
      const ssize_t n = ::read(m_master, buf, sizeof buf);
      if (n <= 0) {
        m_ended = true; // EIO once every holder of the terminal's other side is gone
        break;
      }
      m_screen.append(buf, static_cast<std::size_t>(n));
    }
    return m_screen;
  }
  // Reads until `text` appears or `timeout` passes; whether it appeared.
  bool wait_for(const std::string& text, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (m_screen.find(text) == std::string::npos && !m_ended && std::chrono::steady_clock::now() < deadline) {
      read_for(std::chrono::milliseconds(200));
    }
    return m_screen.find(text) != std::string::npos;
  }
  void type(const std::string& keys) { [[maybe_unused]] auto n = ::write(m_master, keys.data(), keys.size()); }
  // Exit status (128+N when killed by N), or -1 on timeout; what it drew keeps being read.
  int wait_exit(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (m_status < 0 && std::chrono::steady_clock::now() < deadline) {
      read_for(std::chrono::milliseconds(100));
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    read_for(std::chrono::milliseconds(100));
    return m_status;
  }
  const std::string& screen() const { return m_screen; }

private:
  pid_t m_pid = -1;
  int m_master = -1;
  int m_status = -1;
  bool m_ended = false;
  std::string m_screen;
};

} // namespace bcvk::test_support
