#include "bcvk/ssh/client_config.hpp"

#include <sstream>

#include "bcvk/ssh/keys.hpp"
#include "bcvk/util/error.hpp"

namespace bcvk {
namespace {

// OpenSSH reads %, quotes, backslashes and ${...} in these paths itself; bcvk's own paths never
// hold them, but the state directory is the user's choice: anything odd is refused, not escaped.
std::string config_path(const std::string& path) {
  const bool plain = path.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+,@- ") ==
                     std::string::npos;
  if (!plain || path.empty() || path.front() != '/') {
    throw Error("ssh-config: the path " + path +
                " holds characters OpenSSH's configuration would read specially: choose a BCVK_STATE_DIR of letters, "
                "digits and / . _ - only");
  }
  return path.find(' ') == std::string::npos ? path : "\"" + path + "\"";
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
  parse_public_key(host_public_line); // a real key: known type, base64 that decodes to that type
  return host_key_alias(vm_name) + " " + type + " " + base64 + "\n";
}

} // namespace bcvk
