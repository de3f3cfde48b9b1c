#include "bcvk/vm/image_kargs.hpp"

#include <toml++/toml.h>

#include <algorithm>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {
namespace {

std::vector<std::string> string_array(const std::string& file, const toml::table& table, const char* key) {
  const toml::node* node = table.get(key);
  const toml::array* array = node != nullptr ? node->as_array() : nullptr;
  if (array == nullptr) {
    throw Error(file + ": '" + key + "' must be an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& item : *array) {
    const auto value = item.value<std::string>();
    if (!item.is_string() || !value) {
      throw Error(file + ": every entry of '" + key + "' must be a string");
    }
    out.push_back(*value);
  }
  return out;
}

} // namespace

std::vector<std::string> kargs_from_toml(const std::string& file, const std::string& text, const std::string& arch) {
  toml::table table;
  try {
    table = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw Error(file + ": invalid TOML at line " + std::to_string(where.line) + ", column " +
                std::to_string(where.column) + ": " + std::string(e.description()));
  }
  if (table.contains("match-architectures")) {
    const auto arches = string_array(file, table, "match-architectures");
    if (std::find(arches.begin(), arches.end(), arch) == arches.end()) {
      return {};
    }
  }
  if (!table.contains("kargs")) {
    throw Error(file + ": no 'kargs' array: write kargs = [\"name=value\", ...]");
  }
  auto kargs = string_array(file, table, "kargs");
  for (const auto& arg : kargs) {
    check_kernel_argument(file, arg);
  }
  return kargs;
}

std::optional<std::string> why_image_karg_is_ignored(const std::string& arg) {
  const std::string key = arg.substr(0, arg.find('='));
  if (key == "root" || key == "rootfstype" || key == "rootflags") {
    return "bcvk boots the image's root over virtiofs";
  }
  if (arg == "--") {
    return "it would hand bcvk's own arguments after it to init";
  }
  return std::nullopt;
}

} // namespace bcvk
