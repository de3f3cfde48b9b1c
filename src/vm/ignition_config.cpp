#include "bcvk/vm/ignition_config.hpp"

#include <nlohmann/json.hpp>

#include <regex>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

bool image_declares_ignition(const std::map<std::string, std::string>& labels) {
  return labels.count("coreos.ignition") != 0 || labels.count("com.coreos.osname") != 0;
}

void check_ignition_config(const std::string& shown, const std::string& text) {
  const std::string where = "--ignition: " + printable(shown);
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is where the parser stopped; its what() repeats the library's prefix.
    throw UsageError(where + " is not JSON (at byte " + std::to_string(e.byte) +
                     "): give an Ignition config (Butane makes one: butane --strict CONFIG.bu > CONFIG.ign)");
  }
  const auto* version = config.is_object() && config.contains("ignition") && config["ignition"].is_object() &&
                                config["ignition"].contains("version")
                            ? &config["ignition"]["version"]
                            : nullptr;
  if (version == nullptr) {
    throw UsageError(where + " has no ignition.version, so it is no Ignition config: give one, e.g. " +
                     R"({"ignition": {"version": "3.4.0"}})");
  }
  static const std::regex k_version(R"([0-9]+\.[0-9]+\.[0-9]+(-experimental)?)");
  if (!version->is_string() || !std::regex_match(version->get<std::string>(), k_version)) {
    throw UsageError(where + ": ignition.version " + printable(version->dump().substr(0, 40)) +
                     " is not a version such as \"3.4.0\": give the config spec version it follows");
  }
}

std::vector<std::string> ignition_kargs() {
  return {"ignition.platform.id=qemu", k_ignition_first_boot_karg};
}

} // namespace bcvk
