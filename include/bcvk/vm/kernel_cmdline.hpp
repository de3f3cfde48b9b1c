#pragma once
// The kernel command line of a guest: bcvk's base arguments and the user's --karg. Pure.
#include <string>
#include <string_view>
#include <vector>

#include "bcvk/vm/image_kargs.hpp"
#include "bcvk/vm/run_options.hpp"

namespace bcvk {

// The kernel arguments bcvk always passes before the serial console: virtiofs root, writable.
inline constexpr const char* k_root_kargs = "rootfstype=virtiofs root=rootfs rw";

// x86 kernels keep at most this many bytes of the command line (COMMAND_LINE_SIZE less the NUL).
inline constexpr std::size_t k_max_kernel_cmdline = 2047;

// One argument as it goes on the command line: quoted (KEY="VALUE") when it holds white space.
std::string quote_karg(const std::string& arg);

// Splits a command line into arguments the way the kernel does (white space outside double
// quotes; the kernel's white space includes the byte 0xa0). An unbalanced quote leaves its
// argument open to the end, as in the kernel.
std::vector<std::string> split_kernel_cmdline(const std::string& cmdline);

// Throws UsageError "SOURCE: kernel argument 'ARG' ..." unless `arg` stays exactly one argument to
// the kernel: non-empty, no control characters, valid UTF-8, balanced double quotes. SOURCE names
// where it came from (--karg, or an image's kargs.d file).
void check_kernel_argument(const std::string& source, const std::string& arg);

// The root arguments, the serial console (the guest machine's device: ttyS0, ttyAMA0), then each
// extra argument in order; one with white space gets quoted. With a display the kernel also writes
// to tty0, named first so that the serial console stays /dev/console.
std::string kernel_cmdline(const std::vector<std::string>& extra, bool display = false,
                           std::string_view console = "ttyS0");

// The extra kernel arguments, in this order: the image's own (kargs.d); bcvk's defaults for what
// the image ships (selinux=0 for an SELinux image: a virtiofs root carries no labels; cloud-init
// off, or pointed at the NoCloud seed, --cloud-init's or the image's own, so it never waits for a
// cloud; with --cloud-init the image's own datasource arguments are dropped); Ignition's first-boot
// arguments with --ignition; every --karg. A default is left out when a --karg sets the same thing. (-e values never go
// here: the command line is readable by every local user.)
std::vector<std::string> guest_kargs(const RunConfig& config, const ImageBootFacts& image);

} // namespace bcvk
