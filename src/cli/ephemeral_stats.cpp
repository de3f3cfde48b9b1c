// `bcvk ephemeral stats`: what running VMs cost.

#include "bcvk/cli/verb.hpp"
#include "bcvk/verbs/verbs.hpp"

namespace bcvk {

void setup_ephemeral_stats(CLI::App& ephemeral, Context& ctx) {
  const auto [cmd, o] = add_verb<StatsOptions>(ephemeral, "stats", "Show the CPU, memory, I/O and disk VMs use");
  cmd->add_option("NAME", o->names, "VMs to show (default: every running one)");
  cmd->add_flag("-a,--all", o->all, "Also show stopped VMs that were kept");
  cmd->add_flag("--no-stream", o->no_stream, "Print one reading and exit (also when output is not a terminal)");
  cmd->add_option("--format", o->format, "table or json")->capture_default_str();
  cmd->add_option("-i,--interval", o->interval_seconds, "Seconds between readings (CPU % is measured over one)")
      ->capture_default_str();
  cmd->callback([o = o, &ctx] { ctx.exit_status = show_stats(validate_stats_options(*o), ctx); });
}

} // namespace bcvk
