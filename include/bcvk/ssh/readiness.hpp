#pragma once
// Waiting until a booting VM's sshd accepts bcvk's key.
#include <chrono>
#include <functional>
#include <string>

#include "bcvk/vm/instance_record.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/ssh/session.hpp"

namespace bcvk {

// The SSH target of an instance: its forward port and the keys bcvk made for it. Throws Error
// (naming the fix) when the instance was made without -K or without a network.
SshTarget ssh_target_for(const std::string& instance_dir, const InstanceRecord& state);

// SSH did not become usable: timeout, or the VM stopped first.
class SshNotReady : public Error {
public:
  using Error::Error;
};

struct ReadinessCheck {
  std::chrono::seconds timeout{240};     // the hard cap: the longest wait, progress or not
  std::chrono::seconds stall_limit{120}; // the longest the guest may show no progress (with `activity`)
  std::function<bool()> vm_running;      // polled; a VM that stops ends the wait at once
  // What the guest has done so far (e.g. the sizes of its logs); any change is progress. Absent:
  // only the hard cap ends the wait.
  std::function<std::string()> activity;
  // Why the VM stopped, when something says (an emulator crash in libvirt's log); else empty.
  std::function<std::string()> stop_cause;
  std::string console_log;                // named in the failure message
  std::function<std::string()> progress;  // what the guest is doing, shown beside the spinner
  std::function<std::string()> diagnosis; // the failure's details: lines after its message
};

// Opens connections every ~0.2 s (several may wait for a banner at once, so a slow first answer is
// never cut short) until one gets through the handshake, host-key check, authentication and a
// `true` round trip. Shows a spinner on stderr when it is a terminal. Gives up when the guest
// makes no progress for `stall_limit` or at the hard cap, saying which. Throws SshNotReady,
// SshError for a host-key mismatch, or Interrupted.
SshSession wait_for_ssh(const SshTarget& target, const ReadinessCheck& check, SignalCatcher& signals);

} // namespace bcvk
