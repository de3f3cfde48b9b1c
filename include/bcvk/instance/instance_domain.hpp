#pragma once
// Which libvirt domain is an instance's: the one it was created as, never whatever domain carries
// its name now. A kept instance `web` and an unrelated VM later created as `web` (by virsh, or on
// another connection) must never be confused: stopping, removing or recovering the instance acts
// on its own domain only.
#include <map>
#include <optional>
#include <string>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/vm/instance_record.hpp"

namespace bcvk {

// Whether `record` and a domain with its name and `domain_uuid` are the same VM: the recorded UUID
// matches (an instance kept by an older bcvk recorded none: the name alone counts). Pure.
bool is_instance_domain(const InstanceRecord& record, const std::string& domain_uuid);

// Whether `conn_uri` is the connection the instance was created on (any, when none is recorded).
bool is_instance_connection(const InstanceRecord& record, const std::string& conn_uri);

// The domain of instance `name` (its directory's name) on `conn`: nullopt when `conn` is not the
// instance's connection, when no domain has the name there, or when the one that has is another VM.
std::optional<Domain> instance_domain(const Connection& conn, const std::string& name, const InstanceRecord& record);

// The record to find an instance's domain by, from its directory: what its state says; without a
// readable state (killed before its first write, or damaged) the name and the UUID its saved
// domain XML gives, or the name alone.
InstanceRecord record_for_lookup(const InstanceDir& dir);

// A new domain's UUID, drawn before the domain exists and recorded with the instance, so that
// nothing bcvk does later can mistake another domain that takes the name for this one.
std::string random_domain_uuid();

// Whether the instance's domain is among `active` (Connection::active_domains of its connection).
bool instance_domain_active(const std::map<std::string, std::string>& active, const InstanceRecord& record);

} // namespace bcvk
