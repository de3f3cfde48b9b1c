#include "bcvk/verbs/each_vm.hpp"

#include <iostream>

#include "bcvk/util/error.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/verbs/error_report.hpp"

namespace bcvk {

int for_each_vm(const std::vector<VmName>& names, const std::function<void(const VmName&)>& act,
                SignalCatcher& signals) {
  int status = k_exit_ok;
  for (const auto& vm : names) {
    signals.checkpoint(); // a Ctrl-C during the previous VM ends the command here
    try {
      act(vm);
      std::cout << vm.str() << std::endl;
    } catch (const Interrupted&) {
      throw; // the user wants the whole command to end, not the next VM
    } catch (const Error& e) {
      std::cerr << error_report(e);
      status = k_exit_bcvk_error;
    }
  }
  signals.checkpoint();
  return status;
}

} // namespace bcvk
