#include "bcvk/host/console.hpp"

#include <unistd.h>

#include <optional>

#include "bcvk/util/error.hpp"

namespace bcvk {

RawTerminal::RawTerminal() {
  if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &m_saved) != 0) {
    return;
  }
  termios raw = m_saved;
  ::cfmakeraw(&raw);
  m_active = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

RawTerminal::~RawTerminal() {
  if (m_active) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &m_saved);
  }
}

GuestOutput guest_output_for(int fd) {
  return ::isatty(fd) != 0 ? GuestOutput::filtered : GuestOutput::raw;
}

ConsoleSession::ConsoleSession(const Connection& conn, const Domain& domain, bool forward, GuestOutput output)
    : m_stream(virStreamNew(conn.get(), 0)), m_forward(forward) {
  if (!m_stream) {
    throw_libvirt_error("cannot create a console stream");
  }
  if (virDomainOpenConsole(domain.get(), nullptr, m_stream.get(), VIR_DOMAIN_CONSOLE_FORCE) < 0) {
    throw_libvirt_error("cannot open the console of " + domain.name());
  }
  virStream* stream = m_stream.get();
  m_reader = std::thread([stream, output] {
    std::optional<TerminalFilter> filter;
    if (output == GuestOutput::filtered) {
      filter.emplace();
    }
    char buf[4096];
    while (true) {
      const int n = virStreamRecv(stream, buf, sizeof buf);
      if (n <= 0) {
        if (filter) {
          const std::string rest = filter->finish();
          [[maybe_unused]] const ssize_t w = ::write(STDOUT_FILENO, rest.data(), rest.size());
        }
        return;
      }
      const std::string_view received(buf, static_cast<std::size_t>(n));
      const std::string filtered = filter ? filter->feed(received) : std::string();
      const std::string_view shown = filter ? std::string_view(filtered) : received;
      for (std::size_t off = 0; off < shown.size();) {
        const ssize_t w = ::write(STDOUT_FILENO, shown.data() + off, shown.size() - off);
        if (w <= 0) {
          return;
        }
        off += static_cast<std::size_t>(w);
      }
    }
  });
}

ConsoleSession::~ConsoleSession() {
  // Aborting the stream wakes the reader thread's blocking receive.
  virStreamAbort(m_stream.get());
  if (m_reader.joinable()) {
    m_reader.join();
  }
}

bool ConsoleSession::forward_input() {
  char buf[1024];
  const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
  if (n <= 0) {
    return false;
  }
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] == k_console_escape) {
      return false;
    }
  }
  if (m_forward && virStreamSend(m_stream.get(), buf, static_cast<std::size_t>(n)) < 0) {
    return false;
  }
  return true;
}

} // namespace bcvk
