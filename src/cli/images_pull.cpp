// `bcvk images pull IMAGE`: fetch an image into local storage, as `run` would, without a VM.

#include "bcvk/cli/cli.hpp"
#include "bcvk/cli/verb.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_images_pull(CLI::App& images, Context& ctx) {
  const auto [cmd, o] =
      add_verb<ImagesPullOptions>(images, "pull", "Pull an image from its registry, showing progress");
  cmd->add_option("IMAGE", o->image, "Image reference, e.g. quay.io/fedora/fedora-bootc:42")->required();
  add_registry_options(*cmd, o->authfile, o->tls_verify, o->arch);
  cmd->add_flag("-q,--quiet", o->quiet, "Print only the image ID");
  cmd->callback([o = o, &ctx] { ctx.exit_status = pull_image(validate_images_pull_options(*o), ctx); });
}

} // namespace bcvk
