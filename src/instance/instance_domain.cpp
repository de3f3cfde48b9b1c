#include "bcvk/instance/instance_domain.hpp"

#include <spdlog/spdlog.h>

#include "bcvk/util/error.hpp"

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
    // Damaged: the name is all there is to go by.
  }
  record.name = dir.name();
  return record;
}

bool instance_domain_active(const std::map<std::string, std::string>& active, const InstanceRecord& record) {
  const auto it = active.find(record.name);
  return it != active.end() && is_instance_domain(record, it->second);
}

} // namespace bcvk
