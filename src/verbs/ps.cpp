// `ephemeral ps`: lists instances as a table, JSON or names.
#include <iostream>

#include "bcvk/instance/services.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/util/table.hpp"
#include "bcvk/verbs/instance_view.hpp"

namespace bcvk {
namespace {

bool matches(const InstanceView& v, const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    if (f.rfind("label=", 0) != 0) {
      throw UsageError("--filter: unsupported filter '" + f + "': use label=KEY or label=KEY=VALUE");
    }
    const std::string spec = f.substr(6);
    const auto eq = spec.find('=');
    const std::string key = spec.substr(0, eq);
    bool found = false;
    for (const auto& l : v.state.labels) {
      found = found || (l.key == key && (eq == std::string::npos || l.value == spec.substr(eq + 1)));
    }
    if (!found) {
      return false;
    }
  }
  return true;
}

} // namespace

int list_instances(const PsOptions& options, const Context& ctx) {
  const OutputFormat format = parse_output_format(options.format);
  const Services services(ctx.connect_uri, Recover::yes);
  std::vector<InstanceView> shown;
  for (auto& v : load_views(services.conn)) {
    if ((options.all || v.status == "running") && matches(v, options.filters)) {
      shown.push_back(std::move(v));
    }
  }
  if (options.quiet) {
    for (const auto& v : shown) {
      std::cout << v.state.name << "\n";
    }
    return k_exit_ok;
  }
  if (format == OutputFormat::json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : shown) {
      out.push_back(to_json(v));
    }
    std::cout << out.dump(2) << "\n";
    return k_exit_ok;
  }
  Table table({"NAME", "IMAGE", "STATUS", "CREATED", "MEMORY", "VCPUS"});
  for (const auto& v : shown) {
    table.add({v.state.name, v.state.image, v.status, v.state.created, format_size(v.state.memory_bytes),
               std::to_string(v.state.vcpus)});
  }
  std::cout << table.render();
  return k_exit_ok;
}

} // namespace bcvk
