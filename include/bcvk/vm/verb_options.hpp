#pragma once
// The options of the verbs other than run, as typed and as validated. Each validate_* function
// checks everything up front, before any verb touches libvirt, podman or the state directory, and
// throws UsageError naming the option and the fix. Pure.
#include <optional>
#include <string>
#include <vector>

#include "bcvk/vm/names.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/ssh_forward.hpp"

namespace bcvk {

enum class OutputFormat { table, json };
// Parses --format; throws UsageError on anything but table or json.
OutputFormat parse_output_format(const std::string& text);

struct SshOptions {
  std::string name;
  std::vector<std::string> command; // empty: interactive shell
  std::vector<std::string> local_forwards;
  std::vector<std::string> remote_forwards;
  bool force_tty = false;
  unsigned timeout_seconds = 240;
};
struct SshRequest {
  VmName name;
  std::vector<std::string> command;
  std::vector<ForwardSpec> forwards; // -L ones first, then -R ones
  bool force_tty = false;
  unsigned timeout_seconds = 240;
};
SshRequest validate_ssh_options(const SshOptions& options);

struct SshConfigOptions {
  std::vector<std::string> names;
  bool all = false;
};
struct SshConfigRequest {
  std::vector<VmName> names; // empty with `all`: every running VM with keys
  bool all = false;
};
SshConfigRequest validate_ssh_config_options(const SshConfigOptions& options);

// --filter label=KEY or label=KEY=VALUE.
struct LabelFilter {
  std::string key;
  std::optional<std::string> value;
  bool matches(const std::vector<KeyValue>& labels) const;
};
LabelFilter parse_filter(const std::string& text);

struct PsOptions {
  bool all = false;
  bool quiet = false;
  bool size = false;
  std::string format = "table";
  std::vector<std::string> filters;
};
struct PsRequest {
  bool all = false;
  bool quiet = false;
  OutputFormat format = OutputFormat::table;
  std::vector<LabelFilter> filters; // all must match
  bool size = false;                // the table's SIZE column
};
PsRequest validate_ps_options(const PsOptions& options);

inline constexpr unsigned k_max_stats_interval = 3600;
struct StatsOptions {
  std::vector<std::string> names;
  bool all = false;
  bool no_stream = false;
  std::string format = "table";
  unsigned interval_seconds = 2;
};
struct StatsRequest {
  std::vector<VmName> names{}; // empty: every running VM (with all: every VM)
  bool all = false;
  bool no_stream = false;
  OutputFormat format = OutputFormat::table;
  unsigned interval_seconds = 2;
};
StatsRequest validate_stats_options(const StatsOptions& options);

inline constexpr unsigned k_max_stop_timeout = 3600;
struct StopOptions {
  std::vector<std::string> names;
  unsigned timeout_seconds = 60;
  bool force = false;
};
struct StopRequest {
  std::vector<VmName> names;
  unsigned timeout_seconds = 60;
  bool force = false;
};
StopRequest validate_stop_options(const StopOptions& options);

struct RmOptions {
  std::vector<std::string> names;
  bool all = false;
  bool force = false;
  bool forget = false;
};
struct RmRequest {
  std::vector<VmName> names; // empty with `all`
  bool all = false;
  bool force = false;
  bool forget = false; // libvirt silent on the recorded URI: decide by the host's processes
};
RmRequest validate_rm_options(const RmOptions& options);

struct LogsOptions {
  std::string name;
  bool follow = false;
  bool console = false;
  bool virtiofsd = false;
};
enum class LogSource { journal, console, virtiofsd };
struct LogsRequest {
  VmName name;
  LogSource source = LogSource::journal;
  bool follow = false;
};
LogsRequest validate_logs_options(const LogsOptions& options);

struct ImagesOptions {
  std::string format = "table";
  bool quiet = false;
};
struct ImagesRequest {
  OutputFormat format = OutputFormat::table;
  bool quiet = false;
};
ImagesRequest validate_images_options(const ImagesOptions& options);

// `images pull IMAGE`: the registry options of `run`, and -q to print only the image ID.
struct ImagesPullOptions {
  std::string image;
  std::optional<std::string> authfile;
  bool tls_verify = true;
  std::optional<std::string> arch;
  bool quiet = false;
};
struct ImagesPullRequest {
  std::string image;
  RegistryAccess registry;
  bool quiet = false;
};
ImagesPullRequest validate_images_pull_options(const ImagesPullOptions& options);

} // namespace bcvk
