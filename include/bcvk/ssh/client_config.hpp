#pragma once
// What OpenSSH needs to reach a VM the way bcvk does (pure text; `ephemeral ssh-config`).
#include <string>

namespace bcvk {

struct SshClientEntry {
  std::string vm_name;
  unsigned port = 0;            // on 127.0.0.1
  std::string identity_file;    // bcvk's private key for the VM
  std::string known_hosts_file; // holds the VM's host key only, under host_key_alias(vm_name)
};

// The name the VM's host key is recorded under, whatever port the VM has now.
std::string host_key_alias(const std::string& vm_name);

// A `Host NAME` block: 127.0.0.1 and the forward port, root with bcvk's key only, and strict
// checking against the VM's own host key (never trusted on first use, never learned elsewhere).
// Throws Error for a path OpenSSH would read specially (%, quotes, $...).
std::string ssh_client_block(const SshClientEntry& entry);

// The known_hosts line for the VM: its alias and the key type and base64 of `host_public_line`
// (an OpenSSH public key line; its comment is dropped). Throws Error when it is not a key line.
std::string known_hosts_line(const std::string& vm_name, const std::string& host_public_line);

} // namespace bcvk
