#pragma once
// The verbs that act on VMs: each returns bcvk's exit status.
#include <string>
#include <vector>

#include "bcvk/verbs/context.hpp"
#include "bcvk/vm/run_options.hpp"

namespace bcvk {

int run_ephemeral(const RunConfig& config, const Context& ctx);

struct SshOptions {
  std::string name;
  std::vector<std::string> command; // empty: interactive shell
  std::vector<std::string> local_forwards;
  std::vector<std::string> remote_forwards;
  bool force_tty = false;
  unsigned timeout_seconds = 240;
};
// A shell or a command in a running VM; returns the remote command's exit status.
int ssh_into_instance(const SshOptions& options, const Context& ctx);

// Boots `config` (see validate_run_ssh_options) for one SSH session (`command`, or a shell) and always removes the VM
// afterwards.
int run_ssh(const RunConfig& config, const std::vector<std::string>& command, const Context& ctx);

enum class OutputFormat { table, json };

// Parses --format; throws UsageError on anything but table or json.
OutputFormat parse_output_format(const std::string& text);

struct PsOptions {
  bool all = false;
  bool quiet = false;
  std::string format = "table";
  std::vector<std::string> filters;
};
int list_instances(const PsOptions& options, const Context& ctx);

struct StopOptions {
  std::vector<std::string> names;
  unsigned timeout_seconds = 60;
  bool force = false;
};
int stop_instances(const StopOptions& options, const Context& ctx);

int start_instance(const std::string& name, const Context& ctx);

struct RmOptions {
  std::vector<std::string> names;
  bool all = false;
  bool force = false;
};
int remove_instances(const RmOptions& options, const Context& ctx);

int inspect_instance(const std::string& name, const Context& ctx);

struct LogsOptions {
  std::string name;
  bool follow = false;
  bool console = false;
  bool virtiofsd = false;
};
int show_logs(const LogsOptions& options, const Context& ctx);

// Watches a detached VM until it stops, then releases everything it holds. Runs in its own process.
int supervise_instance(const std::string& name, const Context& ctx);

struct ImagesOptions {
  std::string format = "table";
  bool quiet = false;
};
int list_images(const ImagesOptions& options, const Context& ctx);

} // namespace bcvk
