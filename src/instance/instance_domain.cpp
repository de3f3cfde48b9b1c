#include "bcvk/instance/instance_domain.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <spdlog/spdlog.h>

#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

bool is_instance_domain(const InstanceRecord& record, const std::string& domain_uuid) {
  return record.domain_uuid.empty() || record.domain_uuid == domain_uuid;
}

bool is_instance_connection(const InstanceRecord& record, const std::string& conn_uri) {
  return record.uri.empty() || record.uri == conn_uri;
}

std::optional<Domain> instance_domain(const Connection& conn, const std::string& name, const InstanceRecord& record) {
  if (!is_instance_connection(record, conn.uri())) {
    return std::nullopt;
  }
  auto domain = conn.find(name);
  if (domain && !is_instance_domain(record, domain->uuid())) {
    spdlog::debug("domain {} on {} is another VM (UUID {}, not the instance's {}): left alone", name, conn.uri(),
                  domain->uuid(), record.domain_uuid);
    return std::nullopt;
  }
  return domain;
}

InstanceRecord record_for_lookup(const InstanceDir& dir) {
  InstanceRecord record;
  try {
    if (auto state = dir.load_if_written()) {
      record = *state;
    }
  } catch (const Error&) {
    // Damaged: the domain bcvk saved still names the UUID it was created with.
    try {
      record = InstanceRecord{};
      record.domain_uuid = domain_uuid_of(read_text_file(dir.domain_xml_file())).value_or("");
    } catch (const Error&) {
      // No readable domain either: the name is all there is to go by.
    }
  }
  record.name = dir.name();
  return record;
}

std::string random_domain_uuid() {
  std::array<std::uint8_t, 16> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    throw Error(std::string("cannot draw random bytes for the VM's UUID: ") + std::strerror(errno));
  }
  return uuid_from_bytes(bytes);
}

bool instance_domain_active(const std::map<std::string, std::string>& active, const InstanceRecord& record) {
  const auto it = active.find(record.name);
  return it != active.end() && is_instance_domain(record, it->second);
}

} // namespace bcvk
