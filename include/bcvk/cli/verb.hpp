#pragma once
// Declaring a verb's subcommand together with the options it fills.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace bcvk {

template <typename Options> struct VerbCommand {
  CLI::App* cmd;
  std::shared_ptr<Options> options; // shared with the callback, which runs after parsing
};

template <typename Options>
VerbCommand<Options> add_verb(CLI::App& parent, const std::string& name, const std::string& description) {
  return {parent.add_subcommand(name, description), std::make_shared<Options>()};
}

} // namespace bcvk
