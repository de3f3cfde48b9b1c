#pragma once
// What each verb does, given options already validated (vm/run_options.hpp, vm/verb_options.hpp).
// Each returns bcvk's exit status. Every verb opens its Services with crash recovery first
// (instance/services.hpp), so any bcvk command cleans up after a dead owner; the supervisor does not.
#include <string>
#include <vector>

#include "bcvk/verbs/context.hpp"
#include "bcvk/vm/commit_options.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/verb_options.hpp"

namespace bcvk {

int run_ephemeral(const RunConfig& config, const Context& ctx);

// A shell or a command in a running VM; returns the remote command's exit status.
int ssh_into_instance(const SshRequest& request, const Context& ctx);

// Boots `config` (see validate_run_ssh_options) for one SSH session (`command`, or a shell) and
// always removes the VM afterwards.
int run_ssh(const RunConfig& config, const std::vector<std::string>& command, const Context& ctx);

// OpenSSH configuration for running VMs with keys, so scp, rsync, ansible and IDEs reach them.
int print_ssh_config(const SshConfigRequest& request, const Context& ctx);

int list_instances(const PsRequest& request, const Context& ctx);
int stop_instances(const StopRequest& request, const Context& ctx);
// What VMs cost: one snapshot, or a table refreshed in place on a terminal until Ctrl-C.
int show_stats(const StatsRequest& request, const Context& ctx);
int start_instance(const VmName& name, const Context& ctx);
int remove_instances(const RmRequest& request, const Context& ctx);
int inspect_instance(const VmName& name, const Context& ctx);
int show_logs(const LogsRequest& request, const Context& ctx);
// `ephemeral commit`: prints the new image's ID.
int commit_instance(const CommitRequest& request, const Context& ctx);
int list_images(const ImagesRequest& request, const Context& ctx);
int pull_image(const ImagesPullRequest& request, const Context& ctx);

// Watches a detached VM until it stops, then releases everything it holds (see supervisor.hpp).
// Runs in its own process and, alone among the verbs, without crash recovery.
int supervise_instance(const VmName& name, const Context& ctx);

} // namespace bcvk
