#pragma once
// Shell completion computed from the command-line definitions: the shells' scripts are thin
// wrappers that ask `bcvk __complete WORDS...` for candidates, so every verb, option and value
// bcvk knows is offered without a second list to keep in step.
#include <string>
#include <string_view>
#include <vector>

#include "bcvk/verbs/completion_sources.hpp"

namespace CLI {
class App;
}

namespace bcvk {

// First line of the answer when the shell should complete a file name itself.
inline constexpr std::string_view k_complete_files = "__files__";

// Candidates for the last of `words` (the words after "bcvk"; the last is the one being completed,
// possibly empty), each starting with it.
std::vector<std::string> complete_words(const CLI::App& root, const std::vector<std::string>& words,
                                        const CompletionSources& sources);

// The long options whose values completion offers (or completes as file names): each is checked
// against the command line by a test.
std::vector<std::string> options_with_completed_values();

// The completion script for `shell` (bash, zsh or fish); throws UsageError for another shell.
std::string completion_script(std::string_view shell);

} // namespace bcvk
