#include "bcvk/cli/completion.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/instance_type.hpp"
#include "bcvk/vm/pull_options.hpp"

namespace bcvk {
namespace {

enum class ValueKind { none, listed, files };

struct OptionValues {
  const char* long_name;
  ValueKind kind;
  std::vector<std::string> (*listed)();
  const char* verb = nullptr; // only this verb's option of that name; nullptr: every verb's
};

std::vector<std::string> network_modes() {
  return {"isolated", "none", "user", "bridge="};
}
std::vector<std::string> instance_type_names() {
  std::vector<std::string> names;
  for (const auto& type : instance_types()) {
    names.emplace_back(type.name);
  }
  return names;
}
std::vector<std::string> graphics_modes() {
  return {"none", "vnc", "spice"};
}
std::vector<std::string> initramfs_kinds() {
  return {"minimal", "image"};
}
std::vector<std::string> pull_policies() {
  return k_pull_policies;
}
std::vector<std::string> architectures() {
  return {"amd64", "arm64", "x86_64", "aarch64"};
}
std::vector<std::string> formats() {
  return {"table", "json"};
}
std::vector<std::string> image_formats() {
  return {"oci", "docker"};
}
std::vector<std::string> log_levels() {
  return {"trace", "debug", "info", "warn", "error", "off"};
}
std::vector<std::string> connections() {
  return {"qemu:///system", "qemu:///session"};
}

const std::vector<OptionValues>& option_values() {
  // clang-format off
  static const std::vector<OptionValues> table{
      {"network", ValueKind::listed, network_modes},
      {"itype", ValueKind::listed, instance_type_names},
      {"graphics", ValueKind::listed, graphics_modes},
      {"initramfs", ValueKind::listed, initramfs_kinds},
      {"format", ValueKind::listed, image_formats, "commit"},
      {"format", ValueKind::listed, formats},
      {"pull", ValueKind::listed, pull_policies},
      {"authfile", ValueKind::files, nullptr},
      {"arch", ValueKind::listed, architectures},
      {"log-level", ValueKind::listed, log_levels},
      {"connect", ValueKind::listed, connections},
      {"bind", ValueKind::files, nullptr},
      {"ro-bind", ValueKind::files, nullptr},
      {"mount-disk-file", ValueKind::files, nullptr},
      {"systemd-units", ValueKind::files, nullptr},
      {"cloud-init", ValueKind::files, nullptr},
      {"ignition", ValueKind::files, nullptr},
      {"virtio-serial-out", ValueKind::files, nullptr},
  };
  // clang-format on
  return table;
}

// The values of `option` of `command`: the verb's own entry first (listed before the others).
const OptionValues* values_of(const CLI::App& command, const CLI::Option& option) {
  for (const auto& entry : option_values()) {
    const auto& names = option.get_lnames();
    if (std::find(names.begin(), names.end(), entry.long_name) != names.end() &&
        (entry.verb == nullptr || command.get_name() == entry.verb)) {
      return &entry;
    }
  }
  return nullptr;
}

bool visible(const CLI::App* app) {
  return !app->get_group().empty();
}

std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
  std::vector<const CLI::App*> out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (visible(sub)) {
      out.push_back(sub);
    }
  }
  return out;
}

// The option `word` names on `app` or a command above it (global options work after verbs too).
const CLI::Option* find_option(const CLI::App& app, const std::string& word) {
  const std::string name = word.substr(0, word.find('='));
  for (const CLI::App* at = &app; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      if (option->nonpositional() && option->check_name(name)) {
        return option;
      }
    }
  }
  return nullptr;
}

bool takes_value(const CLI::Option& option) {
  return option.get_type_size() != 0;
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* at = &app; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      if (!option->nonpositional()) {
        continue;
      }
      for (const auto& l : option->get_lnames()) {
        names.push_back("--" + l);
      }
      for (const auto& s : option->get_snames()) {
        names.push_back("-" + s);
      }
    }
  }
  return names;
}

// What a positional argument of `app` holds, by the name the command line gives it.
std::vector<std::string> positional_values(const CLI::App& app, std::size_t index, const CompletionSources& sources) {
  std::vector<const CLI::Option*> positionals;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional()) {
      positionals.push_back(option);
    }
  }
  if (positionals.empty()) {
    return {};
  }
  const CLI::Option* at = index < positionals.size() ? positionals[index] : positionals.back();
  if (index >= positionals.size() && at->get_items_expected_max() <= 1) {
    return {};
  }
  const std::string name = at->get_name();
  if (name == "NAME") {
    return sources.instances ? sources.instances() : std::vector<std::string>{};
  }
  if (name == "IMAGE") {
    return sources.images ? sources.images() : std::vector<std::string>{};
  }
  return {};
}

std::vector<std::string> with_prefix(std::vector<std::string> candidates, const std::string& prefix) {
  std::erase_if(candidates, [&prefix](const std::string& c) { return !c.starts_with(prefix); });
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  return candidates;
}

} // namespace

std::vector<std::string> complete_words(const CLI::App& root, const std::vector<std::string>& words,
                                        const CompletionSources& sources) {
  const std::string current = words.empty() ? "" : words.back();
  const CLI::App* command = &root;
  const CLI::Option* awaiting_value = nullptr;
  bool only_positionals = false;
  std::size_t positional = 0;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& word = words[i];
    if (awaiting_value != nullptr) {
      awaiting_value = nullptr;
      continue;
    }
    if (!only_positionals && word == "--") {
      only_positionals = true;
      continue;
    }
    if (!only_positionals && word.size() > 1 && word.front() == '-') {
      const CLI::Option* option = find_option(*command, word);
      if (option != nullptr && takes_value(*option) && word.find('=') == std::string::npos) {
        awaiting_value = option;
      }
      continue;
    }
    const CLI::App* sub = nullptr;
    if (positional == 0 && !only_positionals) {
      for (const CLI::App* candidate : visible_subcommands(*command)) {
        if (candidate->check_name(word)) {
          sub = candidate;
        }
      }
    }
    if (sub != nullptr) {
      command = sub;
    } else {
      ++positional;
    }
  }

  if (awaiting_value != nullptr) {
    const OptionValues* values = values_of(*command, *awaiting_value);
    if (values != nullptr && values->kind == ValueKind::files) {
      return {std::string(k_complete_files)};
    }
    return values != nullptr ? with_prefix(values->listed(), current) : std::vector<std::string>{};
  }
  if (!only_positionals && current.starts_with("--") && current.find('=') != std::string::npos) {
    // --option=VALUE in one word: the value part, offered with its option in front.
    const CLI::Option* option = find_option(*command, current);
    const OptionValues* values = option != nullptr ? values_of(*command, *option) : nullptr;
    if (values == nullptr) {
      return {};
    }
    if (values->kind == ValueKind::files) {
      return {std::string(k_complete_files)};
    }
    const std::string head = current.substr(0, current.find('=') + 1);
    std::vector<std::string> out;
    for (const auto& value : with_prefix(values->listed(), current.substr(head.size()))) {
      out.push_back(head + value);
    }
    return out;
  }
  if (!only_positionals && current.starts_with("-")) {
    return with_prefix(option_names(*command), current);
  }
  if (positional == 0 && !only_positionals) {
    std::vector<std::string> names;
    for (const CLI::App* sub : visible_subcommands(*command)) {
      names.push_back(sub->get_name());
    }
    if (!names.empty()) {
      return with_prefix(names, current);
    }
  }
  return with_prefix(positional_values(*command, positional, sources), current);
}

std::vector<std::string> options_with_completed_values() {
  std::vector<std::string> names;
  for (const auto& entry : option_values()) {
    names.emplace_back(entry.long_name);
  }
  return names;
}

std::string completion_script(std::string_view shell) {
  if (shell == "bash") {
    return R"(# bash completion for bcvk; generated by `bcvk completion bash`.
# The candidates come from bcvk itself (`bcvk __complete WORDS...`), so they always match the
# installed version: verbs, options, option values, VM names and local bootc images.
_bcvk() {
  # The words as bcvk sees them: the line up to the cursor split at white space only (bash's own
  # COMP_WORDS also splits at ':' and '=', breaking qemu:///system and --opt=value apart).
  local line=${COMP_LINE:0:COMP_POINT}
  local -a words
  read -r -a words <<<"$line"
  if [[ -z $line || $line == *[[:space:]] ]]; then
    words+=("")
  fi
  local cur=${words[${#words[@]}-1]}
  # bash replaces only its own current word, which starts after the last ':' or '=' it split at.
  local word=${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\n'
  local -a replies
  replies=($("${words[0]}" __complete "${words[@]:1}" 2>/dev/null))
  if [[ ${replies[0]} == __files__ ]]; then
    [[ $word == [:=] ]] && word=""
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$word"))
    return 0
  fi
  local prefix=${cur%"$word"}
  COMPREPLY=("${replies[@]#"$prefix"}")
  if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
    compopt -o nospace 2>/dev/null
  fi
  return 0
}
complete -F _bcvk bcvk
)";
  }
  if (shell == "zsh") {
    return R"(#compdef bcvk
# zsh completion for bcvk; generated by `bcvk completion zsh`.
# The candidates come from bcvk itself (`bcvk __complete WORDS...`), so they always match the
# installed version: verbs, options, option values, VM names and local bootc images.
_bcvk() {
  local -a replies
  replies=("${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ "${replies[1]}" == __files__ ]]; then
    _files
    return
  fi
  replies=(${replies:#})
  (( ${#replies} )) || return 1
  if (( ${#replies} == 1 )) && [[ "${replies[1]}" == *= ]]; then
    compadd -S '' -- "${replies[@]}"
  else
    compadd -- "${replies[@]}"
  fi
}
if [[ "${funcstack[1]}" == _bcvk ]]; then
  _bcvk "$@"
else
  compdef _bcvk bcvk
fi
)";
  }
  if (shell == "fish") {
    return R"(# fish completion for bcvk; generated by `bcvk completion fish`.
# The candidates come from bcvk itself (`bcvk __complete WORDS...`), so they always match the
# installed version: verbs, options, option values, VM names and local bootc images.
function __bcvk_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l replies ($words[1] __complete $words[2..-1] "$current" 2>/dev/null)
    if test "$replies[1]" = __files__
        __fish_complete_path "$current"
        return
    end
    if set -q replies[1]
        printf '%s\n' $replies
    end
end
complete -c bcvk -f -a '(__bcvk_complete)'
)";
  }
  throw UsageError("completion: unknown shell '" + std::string(shell) + "': use bash, zsh or fish");
}

} // namespace bcvk
