#include "bcvk/instance/services.hpp"

#include "bcvk/instance/recovery.hpp"
#include "bcvk/util/log.hpp"

namespace bcvk {
namespace {

Connection connect(const std::string& uri) {
  log_stage("libvirt connect");
  return Connection::open(uri);
}

} // namespace

Services::Services(const std::string& uri, Recover recover) : conn(connect(uri)) {
  if (recover == Recover::yes) {
    log_stage("crash recovery");
    recovered_removals = collect_garbage(conn, store);
  }
}

} // namespace bcvk
