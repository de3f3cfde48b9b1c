#include "bcvk/ssh/keys.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bcvk/vm/credentials.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"

namespace bcvk {
namespace {

void keygen(ProcessRunner& runner, const std::string& path, const std::string& comment) {
  ::unlink(path.c_str());
  ::unlink((path + ".pub").c_str());
  const auto r = runner.run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path});
  if (r.status != 0) {
    throw Error("ssh-keygen failed for " + path + ": " + r.err.substr(0, r.err.find('\n')) +
                " (is openssh-client installed?)");
  }
  ::chmod(path.c_str(), 0600);
}

} // namespace

SshKeyPaths ssh_key_paths(const std::string& instance_dir) {
  const std::string base = instance_dir + "/ssh";
  return {base, base + "/id_ed25519", base + "/id_ed25519.pub", base + "/ssh_host_ed25519_key",
          base + "/ssh_host_ed25519_key.pub"};
}

bool has_ssh_keys(const std::string& instance_dir) {
  const SshKeyPaths paths = ssh_key_paths(instance_dir);
  return ::access(paths.client_key.c_str(), R_OK) == 0 && ::access(paths.host_public.c_str(), R_OK) == 0;
}

void generate_ssh_keys(const std::string& instance_dir, const std::string& vm_name, ProcessRunner& runner) {
  const SshKeyPaths paths = ssh_key_paths(instance_dir);
  make_private_dir(paths.dir, 0700);
  keygen(runner, paths.client_key, "bcvk@" + vm_name);
  keygen(runner, paths.host_key, "root@" + vm_name);
}

PublicKey parse_public_key(const std::string& line) {
  const auto type_end = line.find(' ');
  if (type_end == std::string::npos || type_end == 0) {
    throw Error("not an OpenSSH public key: '" + line.substr(0, 40) + "'");
  }
  const auto blob_start = type_end + 1;
  const auto blob_end = line.find_first_of(" \n", blob_start);
  PublicKey key;
  key.type = line.substr(0, type_end);
  key.blob =
      base64_decode(line.substr(blob_start, blob_end == std::string::npos ? std::string::npos : blob_end - blob_start));
  // The blob starts with its own type name (a 4-byte length, then the name).
  if (key.blob.size() < 4 + key.type.size() || key.blob.compare(4, key.type.size(), key.type) != 0) {
    throw Error("malformed " + key.type + " public key");
  }
  return key;
}

} // namespace bcvk
