// `bcvk images list`: bootc images in local container storage.
#include <CLI/CLI.hpp>

#include <memory>

#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_images_list(CLI::App& images, Context& ctx) {
  auto o = std::make_shared<ImagesOptions>();
  CLI::App* cmd = images.add_subcommand("list", "List bootc images (label containers.bootc=1)");
  cmd->alias("ls");
  cmd->add_option("--format", o->format, "table or json")->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "Print image names only");
  cmd->callback([o, &ctx] { ctx.exit_status = list_images(validate_images_options(*o), ctx); });
}

} // namespace bcvk
