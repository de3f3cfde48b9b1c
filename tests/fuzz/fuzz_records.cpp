// What bcvk reads back from disk or from a user's key files: the instance state JSON and OpenSSH
// public keys. The first byte picks the reader; refusing (bcvk::Error) is fine.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/ssh/keys.hpp"
#include "bcvk/util/error.hpp"
#include "selector_input.hpp"

using namespace bcvk;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::read_selected(data, size, [](unsigned selector, const std::string& text) {
    if (selector % 2 == 0) {
      state_from_json(text);
    } else {
      parse_public_key(text);
    }
  });
}
