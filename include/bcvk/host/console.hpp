#pragma once
// An interactive serial console on the terminal, like `virsh console`.
#include <termios.h>

#include <atomic>
#include <thread>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/util/terminal_text.hpp"

namespace bcvk {

// Ctrl-] ends an interactive console session, as in virsh.
inline constexpr char k_console_escape = 0x1d;

// Puts the terminal in raw mode for as long as it lives (no-op when stdin is not a terminal).
class RawTerminal {
public:
  RawTerminal();
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

private:
  bool m_active = false;
  termios m_saved{};
};

// How guest text should reach `fd`: filtered when it is a terminal, as it is otherwise.
GuestOutput guest_output_for(int fd);

// Connects the domain's serial console to stdout (through a TerminalFilter when `output` says so)
// and, when `forward_input`, stdin to the console.
class ConsoleSession {
public:
  ConsoleSession(const Connection& conn, const Domain& domain, bool forward_input, GuestOutput output);
  ~ConsoleSession();
  ConsoleSession(const ConsoleSession&) = delete;
  ConsoleSession& operator=(const ConsoleSession&) = delete;

  // Forwards pending stdin bytes; false when the user typed the escape character or stdin closed.
  bool forward_input();

private:
  StreamHandle m_stream;
  std::thread m_reader;
  bool m_forward;
};

} // namespace bcvk
