#include "bcvk/instance/services.hpp"

#include "bcvk/instance/recovery.hpp"

namespace bcvk {

Services::Services(const std::string& uri, Recover recover) : conn(Connection::open(uri)) {
  if (recover == Recover::yes) {
    collect_garbage(conn, store);
  }
}

} // namespace bcvk
