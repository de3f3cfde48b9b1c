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

// What the guest's writes take of their limit: "120 MiB (limit 10 GiB)"; an instance kept by an
// older bcvk has neither a limit nor a file of its own to measure.
std::string size_column(const InstanceView& v) {
  const auto written = written_bytes(v);
  const auto limit = written_limit_bytes(v);
  return written && limit ? format_size(*written) + " (limit " + format_size(*limit) + ")" : "-";
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
  std::vector<std::string> header{"NAME", "IMAGE", "STATUS", "CREATED", "MEMORY", "VCPUS"};
  if (options.size) {
    header.emplace_back("SIZE");
  }
  Table table(std::move(header));
  for (const auto& v : shown) {
    std::vector<std::string> row{v.state.name,
                                 v.state.image,
                                 v.status,
                                 v.state.created,
                                 format_size(v.state.memory_bytes),
                                 std::to_string(v.state.vcpus)};
    if (options.size) {
      row.push_back(size_column(v));
    }
    table.add(std::move(row));
  }
  std::cout << table.render();
  return k_exit_ok;
}

} // namespace bcvk
