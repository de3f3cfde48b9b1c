// Every spec a user writes on the command line, each through its parser: the first byte picks the
// parser, the rest is the text. A parser may refuse (bcvk::Error); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bcvk/util/error.hpp"
#include "selector_input.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/vm/kernel_cmdline.hpp"
#include "bcvk/vm/names.hpp"
#include "bcvk/vm/port_spec.hpp"
#include "bcvk/vm/run_options.hpp"
#include "bcvk/vm/ssh_forward.hpp"
#include "bcvk/vm/verb_options.hpp"

using namespace bcvk;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::read_selected(data, size, [](unsigned selector, const std::string& text) {
    switch (selector % 15) {
    case 0:
      parse_size("--memory", text);
      break;
    case 1:
      parse_bind("--bind", text, false);
      break;
    case 2:
      parse_disk_file(text);
      break;
    case 3:
      parse_serial_out(text);
      break;
    case 4:
      to_string(parse_port(text));
      break;
    case 5:
      parse_key_value("--label", text);
      break;
    case 6:
      parse_key_value("--env", text);
      break;
    case 7:
      check_kernel_argument("--karg", text);
      split_kernel_cmdline(kernel_cmdline({text}));
      break;
    case 8:
      parse_forward(ForwardDirection::local, text);
      break;
    case 9:
      parse_forward(ForwardDirection::remote, text);
      break;
    case 10:
      parse_network(text);
      break;
    case 11:
      parse_vm_names({text});
      break;
    case 12:
      check_guest_mount_path("--bind", text);
      break;
    case 13:
      parse_filter(text);
      break;
    case 14:
      parse_output_format(text);
      break;
    }
  });
}
