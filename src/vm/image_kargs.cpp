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

void check_image_karg(const std::string& file, const std::string& arg) {
  const bool control = std::any_of(arg.begin(), arg.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  if (arg.empty() || control || split_kernel_cmdline(quote_karg(arg)).size() != 1 ||
      std::count(arg.begin(), arg.end(), '"') % 2 != 0) {
    throw Error(file + ": invalid kernel argument '" + printable(arg) +
                "': each entry of 'kargs' must be one argument without control characters");
  }
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
    check_image_karg(file, arg);
  }
  return kargs;
}

bool is_bcvk_owned_karg(const std::string& arg) {
  const std::string key = arg.substr(0, arg.find('='));
  return key == "root" || key == "rootfstype" || key == "rootflags";
}

} // namespace bcvk
