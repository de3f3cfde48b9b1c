#pragma once
// The SSH identities bcvk makes for each instance: a client key for root, and the host key the
// guest's sshd presents, so bcvk can verify the server strictly without trusting on first use.
#include <string>
#include <vector>

#include "bcvk/host/process.hpp"

namespace bcvk {

struct SshKeyPaths {
  std::string dir; // 0700: the instance directory itself is traversable by QEMU's user
  std::string client_key;
  std::string client_public;
  std::string host_key;
  std::string host_public;
};

// The key files kept in the ssh/ directory of an instance directory.
SshKeyPaths ssh_key_paths(const std::string& instance_dir);
bool has_ssh_keys(const std::string& instance_dir);

// Creates both ed25519 key pairs with ssh-keygen; private keys are 0600.
void generate_ssh_keys(const std::string& instance_dir, const std::string& vm_name, ProcessRunner& runner);

// An OpenSSH public key line ("ssh-ed25519 AAAA... comment"), split and decoded.
struct PublicKey {
  std::string type;
  std::string blob; // the wire-format key, as the server sends it during the handshake
};
// Throws Error when the line is not a public key.
PublicKey parse_public_key(const std::string& line);

} // namespace bcvk
