#include <CLI/CLI.hpp>
#include <libvirt/virterror.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "bcvk/cli/cli.hpp"
#include "bcvk/cli/completion.hpp"
#include "bcvk/verbs/completion_sources.hpp"
#include "bcvk/verbs/version.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/log.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/verbs/error_report.hpp"

namespace bcvk {
namespace {

// libvirt prints every error itself by default; we report each one once, through our exceptions.
void ignore_libvirt_error(void* /*userdata*/, virErrorPtr /*error*/) {}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (; app != nullptr; app = app->get_parent()) {
    path = app->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

// The deepest subcommand the user reached, so the usage hint points at the right --help.
const CLI::App* deepest_parsed(const CLI::App* app) {
  for (const CLI::App* sub : app->get_subcommands()) {
    return deepest_parsed(sub);
  }
  return app;
}

// `bcvk __complete WORDS...`, what the completion scripts call: candidates one per line. Never
// fails loudly: a shell completing a word has nowhere to show an error.
int answer_completion(int argc, char** argv, Context& ctx) {
  configure_logging("off"); // a log line on standard output would become a candidate
  CLI::App app;
  declare_cli(app, ctx);
  const std::vector<std::string> words(argv + 2, argv + argc);
  const CompletionSources sources = host_completion_sources();
  try {
    for (const auto& candidate : complete_words(app, words.empty() ? std::vector<std::string>{""} : words, sources)) {
      std::cout << candidate << "\n";
    }
  } catch (const std::exception&) {
  }
  return k_exit_ok;
}

} // namespace

void declare_cli(CLI::App& app, Context& ctx) {
  app.description("bcvk: boot bootc container images as ephemeral libvirt virtual machines");
  app.name("bcvk");
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", version_report, "Print the versions of bcvk, libvirt, QEMU and podman and exit");
  app.add_option("-c,--connect", ctx.connect_uri, "libvirt connection URI (default: libvirt's own choice)")
      ->envname("BCVK_CONNECT");
  app.add_option("--log-level", ctx.log_level, "trace, debug, info, warn, error or off")->envname("BCVK_LOG_LEVEL");
  app.parse_complete_callback([&ctx] { configure_logging(ctx.log_level); });

  CLI::App* ephemeral = app.add_subcommand("ephemeral", "Run bootc images as ephemeral VMs");
  ephemeral->require_subcommand(1);
  setup_ephemeral_run(*ephemeral, ctx);
  setup_ephemeral_run_ssh(*ephemeral, ctx);
  setup_ephemeral_ssh(*ephemeral, ctx);
  setup_ephemeral_ssh_config(*ephemeral, ctx);
  setup_ephemeral_ps(*ephemeral, ctx);
  setup_ephemeral_stats(*ephemeral, ctx);
  setup_ephemeral_stop(*ephemeral, ctx);
  setup_ephemeral_start(*ephemeral, ctx);
  setup_ephemeral_rm(*ephemeral, ctx);
  setup_ephemeral_inspect(*ephemeral, ctx);
  setup_ephemeral_logs(*ephemeral, ctx);
  setup_ephemeral_commit(*ephemeral, ctx);
  setup_ephemeral_supervise(*ephemeral, ctx);

  CLI::App* images = app.add_subcommand("images", "Work with bootc container images");
  images->require_subcommand(1);
  setup_images_list(*images, ctx);
  setup_images_pull(*images, ctx);

  setup_completion(app, ctx);
}

int run(int argc, char** argv) {
  virSetErrorFunc(nullptr, ignore_libvirt_error);
  if (argc >= 2 && std::string_view(argv[1]) == "__complete") {
    Context ctx; // before signals are blocked: Ctrl-C at a prompt must end a slow completion
    return answer_completion(argc, argv, ctx);
  }
  // A closed output pipe or a vanished SSH peer must surface as an error that runs our cleanup,
  // not as a silent death by SIGPIPE. Spawned programs get the default back (see process.cpp).
  std::signal(SIGPIPE, SIG_IGN);
  // Blocked before any thread exists, so every thread inherits the mask and signals are only
  // ever seen through the signalfd, where cleanup code can act on them.
  SignalCatcher signals;
  Context ctx;
  ctx.signals = &signals;
  CLI::App app;
  declare_cli(app, ctx);
  try {
    app.parse(argc, argv);
    return ctx.exit_status;
  } catch (const CLI::CallForHelp&) {
    std::cout << deepest_parsed(&app)->help();
    return k_exit_ok;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << deepest_parsed(&app)->help("", CLI::AppFormatMode::All);
    return k_exit_ok;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return k_exit_ok;
  } catch (const CLI::ParseError& e) {
    std::cerr << "bcvk: error: " << printable(e.what()) << " (see '" << command_path(deepest_parsed(&app))
              << " --help')\n";
    return k_exit_bcvk_error;
  } catch (const Interrupted& e) {
    std::cerr << "bcvk: " << e.what() << "\n";
    return 128 + e.signal();
  } catch (const std::exception& e) {
    std::cerr << error_report(e);
    return k_exit_bcvk_error;
  }
}

} // namespace bcvk
