// `bcvk images list`: bootc images in local container storage.

#include "bcvk/cli/verb.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_images_list(CLI::App& images, Context& ctx) {
  const auto [cmd, o] = add_verb<ImagesOptions>(images, "list", "List bootc images (label containers.bootc=1)");
  cmd->alias("ls");
  cmd->add_option("--format", o->format, "table or json")->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "Print image names only");
  cmd->callback([o = o, &ctx] { ctx.exit_status = list_images(validate_images_options(*o), ctx); });
}

} // namespace bcvk
