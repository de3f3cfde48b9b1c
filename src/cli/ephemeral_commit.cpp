// `bcvk ephemeral commit NAME IMAGE`: a kept VM's changes as a new image.

#include "bcvk/cli/verb.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/vm/commit_options.hpp"

namespace bcvk {

void setup_ephemeral_commit(CLI::App& ephemeral, Context& ctx) {
  const auto [cmd, o] = add_verb<CommitOptions>(ephemeral, "commit",
                                                "Store a stopped VM's changes as a new image (one layer on its image)");
  cmd->add_option("NAME", o->name, "The kept VM whose changes to commit")->required();
  cmd->add_option("IMAGE", o->image, "Name of the new image (localhost/NAME[:TAG] when no registry is named)")
      ->required();
  cmd->add_option("-m,--message", o->message, "Commit message, kept in the image's history");
  cmd->add_option("-a,--author", o->author, "Author of the image, e.g. 'Name <mail>'");
  cmd->add_option("--change", o->changes, "A Containerfile LABEL to apply, e.g. 'LABEL version=2' (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("-f,--format", o->format, "Image format: oci or docker")->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "Print nothing but the new image's ID");
  cmd->add_flag("--replace", o->replace, "If IMAGE names an image already, move the name to the new one");
  cmd->add_flag("--stop", o->stop, "Stop the VM first when it runs");
  cmd->callback([o = o, &ctx] { ctx.exit_status = commit_instance(validate_commit_options(*o), ctx); });
}

} // namespace bcvk
