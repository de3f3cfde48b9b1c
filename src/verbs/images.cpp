// `images list`: the local images labelled containers.bootc=1.
#include <nlohmann/json.hpp>

#include <iostream>

#include "bcvk/instance/services.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/util/table.hpp"

namespace bcvk {

int list_images(const ImagesRequest& options, const Context& ctx) {
  const OutputFormat format = options.format;
  Services services(ctx.connect_uri, Recover::yes);
  const auto images = services.store.list_bootc_images();
  if (options.quiet) {
    for (const auto& img : images) {
      std::cout << (img.names.empty() ? img.id : img.names.front()) << "\n";
    }
    return k_exit_ok;
  }
  if (format == OutputFormat::json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& img : images) {
      out.push_back(
          {{"id", img.id}, {"names", img.names}, {"digest", img.digest}, {"created", img.created}, {"size", img.size}});
    }
    std::cout << out.dump(2) << "\n";
    return k_exit_ok;
  }
  Table table({"REPOSITORY", "ID", "CREATED", "SIZE"});
  for (const auto& img : images) {
    table.add(
        {img.names.empty() ? "<none>" : img.names.front(), img.id.substr(0, 12), img.created, format_size(img.size)});
  }
  std::cout << table.render();
  return k_exit_ok;
}

} // namespace bcvk
