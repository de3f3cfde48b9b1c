// `ephemeral ssh-config`: OpenSSH `Host` blocks for running VMs, with a known-hosts file holding
// only each VM's own host key, so other SSH tools check the guest as strictly as bcvk does.
#include <iostream>

#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/ssh/keys.hpp"
#include "bcvk/ssh/readiness.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/ssh/client_config.hpp"

namespace bcvk {
namespace {

bool is_running(const Connection& conn, const InstanceDir& dir) {
  const auto domain = instance_domain(conn, dir.name(), record_for_lookup(dir));
  return domain && domain->is_active();
}

// The block for one VM; writes (again) the known-hosts file it points to.
std::string block_for(const InstanceDir& dir) {
  const InstanceState state = dir.load();
  const SshTarget target = ssh_target_for(dir.path(), state); // refuses a VM without keys or network
  const SshKeyPaths keys = ssh_key_paths(dir.path());
  const std::string known_hosts = keys.dir + "/known_hosts";
  write_file_atomic(known_hosts, known_hosts_line(dir.name(), read_text_file(keys.host_public)), 0600);
  return ssh_client_block({dir.name(), target.port, keys.client_key, known_hosts});
}

} // namespace

int print_ssh_config(const SshConfigRequest& request, const Context& ctx) {
  const Services services(ctx.connect_uri, Recover::yes);
  std::string out;
  if (request.all) {
    for (const auto& name : InstanceDir::list_names()) {
      const auto dir = InstanceDir::open(name);
      if (dir && has_ssh_keys(dir->path()) && is_running(services.conn, *dir)) {
        try {
          out.append(out.empty() ? "" : "\n").append(block_for(*dir)); // not "" + s: GCC 12 -Wrestrict
        } catch (const Error&) {
          continue; // one without network, or being removed right now: not reachable anyway
        }
      }
    }
  } else {
    for (const auto& name : request.names) {
      const auto dir = InstanceDir::open_existing(name);
      if (!is_running(services.conn, dir)) {
        throw Error("VM " + name.str() + " is not running, and its SSH port is chosen when it starts: start it with " +
                    "'bcvk ephemeral start " + name.str() + "' first");
      }
      out.append(out.empty() ? "" : "\n").append(block_for(dir));
    }
  }
  std::cout << out << std::flush; // all or nothing: no half configuration when a later VM fails
  return k_exit_ok;
}

} // namespace bcvk
