// `ephemeral inspect`: everything bcvk knows about one instance, as JSON.
#include <iostream>

#include "bcvk/instance/services.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/verbs/instance_view.hpp"

namespace bcvk {

int inspect_instance(const VmName& vm, const Context& ctx) {
  const Services services(ctx.connect_uri, Recover::yes);
  const auto dir = InstanceDir::open_existing(vm);
  InstanceView v = saved_view(dir);
  v.status = live_status(services.conn, v.state);
  nlohmann::json out = to_json(v);
  out["console_log"] = dir.console_log();
  out["domain_xml"] = dir.domain_xml_file();
  out["uri"] = v.state.uri;
  out["domain_uuid"] = v.state.domain_uuid;
  std::cout << out.dump(2) << "\n";
  return k_exit_ok;
}

} // namespace bcvk
