#include "bcvk/vm/cloud_init_seed.hpp"

#include <yaml.h>

#include <algorithm>
#include <memory>
#include <new>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {
namespace {

constexpr const char* k_vendor_data = "vendor-data";
constexpr const char* k_network_config = "network-config";

struct YamlParser {
  yaml_parser_t parser{};
  YamlParser() {
    if (yaml_parser_initialize(&parser) == 0) {
      throw std::bad_alloc();
    }
  }
  ~YamlParser() { yaml_parser_delete(&parser); }
  YamlParser(const YamlParser&) = delete;
  YamlParser& operator=(const YamlParser&) = delete;
};

struct YamlDocument {
  yaml_document_t document{};
  bool loaded = false;
  YamlDocument() = default;
  ~YamlDocument() {
    if (loaded) {
      yaml_document_delete(&document);
    }
  }
  YamlDocument(const YamlDocument&) = delete;
  YamlDocument& operator=(const YamlDocument&) = delete;
};

// The first line, without a trailing carriage return: cloud-init matches user data by it.
std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

// Why cloud-init would not run `text` as user (or vendor) data, or "" when it would.
std::string user_data_problem(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return ""; // empty user data: nothing to do, which cloud-init accepts
  }
  if (text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x1f && static_cast<unsigned char>(text[1]) == 0x8b) {
    return ""; // gzip: cloud-init unpacks it
  }
  const std::string line = first_line(text);
  const std::string kind = line.substr(0, line.find_first_of(" \t"));
  if (kind == "#cloud-config" || kind == "#cloud-config-archive") {
    // A cloud-config is a mapping; an archive is a list of parts.
    if (auto why = yaml_problem(text, kind == "#cloud-config"); !why.empty()) {
      return "its " + kind + " does not parse: " + why;
    }
    return "";
  }
  for (const char* header : {"#!", "#include", "#cloud-config-jsonp", "#cloud-boothook", "#part-handler",
                             "#upstart-job", "Content-Type:", "MIME-Version:", "## template: jinja"}) {
    if (line.starts_with(header)) {
      return "";
    }
  }
  return "its first line, '" + printable(line.substr(0, 40)) +
         "', is none that cloud-init runs (cloud-init would ignore the file): start it with #cloud-config or #!";
}

} // namespace

std::vector<std::string> nocloud_seed_names() {
  return {k_seed_meta_data, k_network_config, k_seed_user_data, k_vendor_data};
}

std::string yaml_problem(const std::string& text, bool mapping) {
  YamlParser p;
  yaml_parser_set_input_string(&p.parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  YamlDocument doc;
  if (yaml_parser_load(&p.parser, &doc.document) == 0) {
    const auto& mark = p.parser.problem_mark;
    return std::string(p.parser.problem != nullptr ? p.parser.problem : "invalid YAML") + " at line " +
           std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
  }
  doc.loaded = true;
  const yaml_node_t* root = yaml_document_get_root_node(&doc.document);
  if (mapping && root != nullptr && root->type != YAML_MAPPING_NODE) {
    return "it is not a mapping of keys to values";
  }
  // cloud-init reads one document (PyYAML's safe_load refuses a second).
  YamlDocument next;
  if (yaml_parser_load(&p.parser, &next.document) == 0) {
    return "invalid YAML after the first document";
  }
  next.loaded = true;
  if (yaml_document_get_root_node(&next.document) != nullptr) {
    return "it holds more than one YAML document ('---'): cloud-init reads exactly one";
  }
  return "";
}

void check_cloud_init_seed(const std::string& shown_dir, const std::vector<SeedFile>& seed) {
  const auto given = [&seed](const char* name) {
    return std::any_of(seed.begin(), seed.end(), [name](const SeedFile& f) { return f.name == name; });
  };
  for (const char* name : {k_seed_meta_data, k_seed_user_data}) {
    if (!given(name)) {
      throw UsageError("--cloud-init: " + printable(shown_dir) + " has no " + name + " file: a NoCloud seed needs " +
                       "user-data and meta-data (either may be empty; meta-data usually holds 'instance-id: NAME')");
    }
  }
  for (const auto& file : seed) {
    const std::string shown = printable(shown_dir) + "/" + file.name;
    std::string why;
    if (file.name == k_seed_meta_data || file.name == k_network_config) {
      // An empty file is an empty mapping to cloud-init.
      if (file.content.find_first_not_of(" \t\r\n") != std::string::npos) {
        why = yaml_problem(file.content, true);
      }
    } else {
      why = user_data_problem(file.content);
    }
    if (!why.empty()) {
      throw UsageError("--cloud-init: " + shown + ": " + why);
    }
  }
}

std::vector<GuestFile> cloud_init_seed_files(const std::vector<SeedFile>& seed) {
  std::vector<GuestFile> files;
  for (const auto& file : seed) {
    files.push_back({std::string(k_nocloud_seed_dir) + "/" + file.name, file.content, 0600, false});
  }
  return files;
}

GuestFile keep_host_key_drop_in() {
  return {k_keep_host_key_drop_in,
          "# bcvk made this VM's SSH host key and checks it on every connection: keep it.\n"
          "ssh_deletekeys: false\n",
          0644, false};
}

std::vector<std::string> cloud_init_seed_removals() {
  return {k_nocloud_seed_dir};
}

} // namespace bcvk
