#include "bcvk/vm/verb_options.hpp"

#include <algorithm>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/architecture.hpp"

namespace bcvk {

OutputFormat parse_output_format(const std::string& text) {
  if (text == "table") {
    return OutputFormat::table;
  }
  if (text == "json") {
    return OutputFormat::json;
  }
  throw UsageError("--format: unknown format '" + printable(text) + "': use table or json");
}

SshRequest validate_ssh_options(const SshOptions& options) {
  SshRequest r{VmName::parse(options.name), options.command, {}, options.force_tty, options.timeout_seconds};
  if (options.timeout_seconds == 0) {
    throw UsageError("--ssh-timeout: must be at least 1 second");
  }
  for (const auto& spec : options.local_forwards) {
    r.forwards.push_back(parse_forward(ForwardDirection::local, spec));
  }
  for (const auto& spec : options.remote_forwards) {
    r.forwards.push_back(parse_forward(ForwardDirection::remote, spec));
  }
  return r;
}

bool LabelFilter::matches(const std::vector<KeyValue>& labels) const {
  return std::any_of(labels.begin(), labels.end(),
                     [this](const KeyValue& l) { return l.key == key && (!value || l.value == *value); });
}

LabelFilter parse_filter(const std::string& text) {
  if (!text.starts_with("label=") || text.size() == 6 || text[6] == '=') {
    throw UsageError("--filter: unsupported filter '" + printable(text) + "': use label=KEY or label=KEY=VALUE");
  }
  const std::string spec = text.substr(6);
  const auto eq = spec.find('=');
  if (eq == std::string::npos) {
    return {spec, std::nullopt};
  }
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

PsRequest validate_ps_options(const PsOptions& options) {
  PsRequest r{options.all, options.quiet, parse_output_format(options.format), {}, options.size};
  for (const auto& f : options.filters) {
    r.filters.push_back(parse_filter(f));
  }
  return r;
}

StatsRequest validate_stats_options(const StatsOptions& options) {
  if (options.interval_seconds == 0 || options.interval_seconds > k_max_stats_interval) {
    throw UsageError("--interval: " + std::to_string(options.interval_seconds) + " is out of range: use 1 to " +
                     std::to_string(k_max_stats_interval) + " seconds");
  }
  if (options.all && !options.names.empty()) {
    throw UsageError("stats: give either NAMEs or --all, not both");
  }
  std::vector<VmName> names;
  for (auto& name : parse_vm_names(options.names)) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name)); // one row per VM, however often it is named
    }
  }
  return {std::move(names), options.all, options.no_stream, parse_output_format(options.format),
          options.interval_seconds};
}

StopRequest validate_stop_options(const StopOptions& options) {
  if (options.timeout_seconds == 0 || options.timeout_seconds > k_max_stop_timeout) {
    throw UsageError("--timeout: " + std::to_string(options.timeout_seconds) + " is out of range: use 1 to " +
                     std::to_string(k_max_stop_timeout) + " seconds, or --force to power off at once");
  }
  return {parse_vm_names(options.names), options.timeout_seconds, options.force};
}

SshConfigRequest validate_ssh_config_options(const SshConfigOptions& options) {
  if (options.all == !options.names.empty()) {
    throw UsageError(options.all ? "ssh-config: give either NAMEs or --all, not both"
                                 : "ssh-config: name the VMs, or use --all for every running one");
  }
  return {parse_vm_names(options.names), options.all};
}

RmRequest validate_rm_options(const RmOptions& options) {
  if (options.all == !options.names.empty()) {
    throw UsageError(options.all ? "rm: give either NAMEs or --all, not both"
                                 : "rm: name the VMs to remove, or use --all");
  }
  return {parse_vm_names(options.names), options.all, options.force, options.forget};
}

LogsRequest validate_logs_options(const LogsOptions& options) {
  if (options.console && options.virtiofsd) {
    throw UsageError("--console and --virtiofsd exclude each other: pick one log");
  }
  if (options.virtiofsd && options.follow) {
    throw UsageError("--follow works for the journal and the console: drop it with --virtiofsd");
  }
  const LogSource source = options.console     ? LogSource::console
                           : options.virtiofsd ? LogSource::virtiofsd
                                               : LogSource::journal;
  return {VmName::parse(options.name), source, options.follow};
}

ImagesRequest validate_images_options(const ImagesOptions& options) {
  return {parse_output_format(options.format), options.quiet};
}

ImagesPullRequest validate_images_pull_options(const ImagesPullOptions& options) {
  check_image_reference(options.image);
  if (options.authfile) {
    check_authfile_option(*options.authfile);
  }
  return {options.image,
          {options.authfile.value_or(""), options.tls_verify,
           options.arch ? parse_arch_option(*options.arch) : std::string()},
          options.quiet};
}

} // namespace bcvk
