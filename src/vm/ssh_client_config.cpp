#include "bcvk/vm/ssh_client_config.hpp"

#include <sstream>

#include "bcvk/util/error.hpp"

namespace bcvk {
namespace {

// ssh_config takes a path with white space in double quotes; bcvk's paths have none, but the
// state directory is the user's choice.
std::string config_path(const std::string& path) {
  return path.find_first_of(" \t") == std::string::npos ? path : "\"" + path + "\"";
}

} // namespace

std::string host_key_alias(const std::string& vm_name) {
  return "bcvk-" + vm_name;
}

std::string ssh_client_block(const SshClientEntry& entry) {
  std::ostringstream out;
  out << "Host " << entry.vm_name << "\n"
      << "  HostName 127.0.0.1\n"
      << "  Port " << entry.port << "\n"
      << "  User root\n"
      << "  IdentityFile " << config_path(entry.identity_file) << "\n"
      << "  IdentitiesOnly yes\n"
      << "  PreferredAuthentications publickey\n"
      << "  HostKeyAlias " << host_key_alias(entry.vm_name) << "\n"
      << "  UserKnownHostsFile " << config_path(entry.known_hosts_file) << "\n"
      << "  GlobalKnownHostsFile /dev/null\n"
      << "  StrictHostKeyChecking yes\n"
      << "  UpdateHostKeys no\n";
  return out.str();
}

std::string known_hosts_line(const std::string& vm_name, const std::string& host_public_line) {
  const auto end = host_public_line.find_last_not_of("\n");
  if (end == std::string::npos || host_public_line.find('\n') < end) {
    throw Error("VM " + vm_name + ": its host public key file does not hold exactly one line");
  }
  std::istringstream words(host_public_line);
  std::string type, base64;
  words >> type >> base64;
  const bool plain_type = type.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789@.-") == std::string::npos;
  if (!plain_type || (!type.starts_with("ssh-") && !type.starts_with("ecdsa-"))) {
    throw Error("VM " + vm_name + ": its host public key file does not hold an OpenSSH public key");
  }
  if (base64.empty() || base64.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
                            std::string::npos) {
    throw Error("VM " + vm_name + ": its host public key is not valid base64");
  }
  return host_key_alias(vm_name) + " " + type + " " + base64 + "\n";
}

} // namespace bcvk
