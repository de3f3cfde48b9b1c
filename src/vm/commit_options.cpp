#include "bcvk/vm/commit_options.hpp"

#include <cctype>
#include <regex>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/pull_options.hpp"

namespace bcvk {
namespace {

// The distribution reference grammar (the one podman and skopeo parse with).
const std::regex& domain_pattern() {
  static const std::regex pattern(
      R"(([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(\.([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*(:[0-9]+)?)");
  return pattern;
}

const std::regex& path_component_pattern() {
  static const std::regex pattern(R"([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)");
  return pattern;
}

const std::regex& tag_pattern() {
  static const std::regex pattern(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
  return pattern;
}

UsageError bad_name(const std::string& image, const std::string& why) {
  return UsageError("IMAGE: '" + printable(image) + "' " + why);
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// One word of a LABEL instruction, its quotes removed; `i` moves past it.
std::string next_word(const std::string& text, std::size_t& i, const std::string& change) {
  std::string word;
  bool quoted = false;
  for (; i < text.size() && (quoted || !is_space(text[i])); ++i) {
    const char c = text[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (quoted) {
    throw UsageError("--change '" + printable(change) + "': a '\"' is not closed: close it, e.g. LABEL k=\"a b\"");
  }
  return word;
}

} // namespace

std::string normalise_new_image_name(const std::string& image) {
  check_image_reference(image);
  if (image.find('@') != std::string::npos) {
    throw bad_name(image, "names a digest: a new image has none yet; name it with a tag, e.g. localhost/mybootc:v2");
  }
  std::string rest = image;
  std::string domain;
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    const std::string first = rest.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost") {
      if (!std::regex_match(first, domain_pattern())) {
        throw bad_name(image, "has no valid registry name before the first '/': use e.g. registry.example:5000/name");
      }
      domain = first;
      rest = rest.substr(slash + 1);
    }
  }
  std::string tag = "latest";
  if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!std::regex_match(tag, tag_pattern())) {
      throw bad_name(image, "has a tag that is not one: use letters, digits, '_', '.' and '-', at most 128, e.g. :v2");
    }
  }
  if (rest.empty()) {
    throw bad_name(image, "names no repository: name one, e.g. localhost/mybootc");
  }
  for (std::size_t start = 0;;) {
    const auto slash = rest.find('/', start);
    const std::string component = rest.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!std::regex_match(component, path_component_pattern())) {
      throw bad_name(image, "is not a repository name: use lower-case letters, digits and single '.', '_' or '-' "
                            "between them, e.g. localhost/my-bootc");
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  const std::string name = (domain.empty() ? std::string("localhost") : domain) + "/" + rest;
  if (name.size() > 255) {
    throw bad_name(image, "is longer than the 255 characters a repository name may have: shorten it");
  }
  return name + ":" + tag;
}

std::vector<KeyValue> parse_label_change(const std::string& change) {
  std::size_t i = 0;
  while (i < change.size() && is_space(change[i])) {
    ++i;
  }
  std::string instruction;
  while (i < change.size() && !is_space(change[i])) {
    instruction += static_cast<char>(std::toupper(static_cast<unsigned char>(change[i++])));
  }
  if (instruction != "LABEL") {
    throw UsageError("--change '" + printable(change) +
                     "': only LABEL is supported (a bootc image boots systemd, not an entry point): set other "
                     "instructions in a Containerfile FROM the committed image");
  }
  std::vector<KeyValue> labels;
  while (true) {
    while (i < change.size() && is_space(change[i])) {
      ++i;
    }
    if (i >= change.size()) {
      break;
    }
    // The '=' that separates key and value must be outside quotes: found on the raw text.
    const std::size_t start = i;
    std::string word = next_word(change, i, change);
    const std::string raw = change.substr(start, i - start);
    bool quoted = false;
    std::size_t equals = std::string::npos;
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '\\') {
        ++k;
      } else if (raw[k] == '"') {
        quoted = !quoted;
      } else if (raw[k] == '=' && !quoted) {
        equals = k;
        break;
      }
    }
    if (equals == std::string::npos) {
      throw UsageError("--change '" + printable(change) + "': '" + printable(word) +
                       "' is not KEY=VALUE: write LABEL key=value");
    }
    std::size_t key_end = 0;
    std::string key = next_word(raw.substr(0, equals), key_end, change);
    std::size_t value_end = 0;
    std::string value = next_word(raw.substr(equals + 1), value_end, change);
    if (key.empty()) {
      throw UsageError("--change '" + printable(change) + "': a label needs a key: write LABEL key=value");
    }
    for (const std::string* text : {&key, &value}) {
      for (const char c : *text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          throw UsageError("--change '" + printable(change) + "': labels cannot hold control characters: remove them");
        }
      }
    }
    labels.push_back({std::move(key), std::move(value)});
  }
  if (labels.empty()) {
    throw UsageError("--change '" + printable(change) + "': LABEL sets nothing: write LABEL key=value");
  }
  return labels;
}

CommitRequest validate_commit_options(const CommitOptions& options) {
  VmName name = VmName::parse(options.name);
  std::string image = normalise_new_image_name(options.image);
  std::vector<KeyValue> labels;
  for (const auto& change : options.changes) {
    for (auto& label : parse_label_change(change)) {
      labels.push_back(std::move(label));
    }
  }
  ImageFormat format = ImageFormat::oci;
  if (options.format == "docker") {
    format = ImageFormat::docker;
  } else if (options.format != "oci") {
    throw UsageError("--format '" + printable(options.format) + "': the image format is 'oci' or 'docker'");
  }
  return CommitRequest{std::move(name), std::move(image), options.message, options.author, std::move(labels),
                       format,          options.quiet,    options.replace, options.stop};
}

} // namespace bcvk
