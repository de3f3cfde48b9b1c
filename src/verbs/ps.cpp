// `ephemeral ps`: lists instances as a table, JSON or names.
#include <algorithm>
#include <iostream>

#include "bcvk/instance/services.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/util/table.hpp"
#include "bcvk/verbs/instance_view.hpp"

namespace bcvk {
namespace {

bool matches_all(const InstanceView& v, const std::vector<LabelFilter>& filters) {
  return std::all_of(filters.begin(), filters.end(), [&v](const LabelFilter& f) { return f.matches(v.state.labels); });
}

// What the guest's writes take of their limit: "120 MiB/10 GiB"; an instance kept by an older bcvk
// has neither a limit nor a file of its own to measure.
std::string root_usage(std::uint64_t used, std::uint64_t size) {
  return size == 0 ? "-" : format_size(used) + "/" + format_size(size);
}

} // namespace

int list_instances(const PsRequest& options, const Context& ctx) {
  const OutputFormat format = options.format;
  const Services services(ctx.connect_uri, Recover::yes);
  std::vector<InstanceView> shown;
  for (auto& v : load_views(services.conn, options.all ? Which::all : Which::running)) {
    if ((options.all || v.status == "running") && matches_all(v, options.filters)) {
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
  Table table({"NAME", "IMAGE", "STATUS", "CREATED", "MEMORY", "VCPUS", "ROOT"});
  for (const auto& v : shown) {
    table.add({v.state.name, v.state.image, v.status, v.state.created, format_size(v.state.memory_bytes),
               std::to_string(v.state.vcpus), root_usage(v.root_used_bytes, v.state.root_size_bytes)});
  }
  std::cout << table.render();
  return k_exit_ok;
}

} // namespace bcvk
