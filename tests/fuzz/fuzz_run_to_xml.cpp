// A whole `bcvk ephemeral run` command line (arguments separated by NUL bytes) through parsing,
// validation, planning and rendering: whatever is accepted must become a domain that parses and
// validates against libvirt's RelaxNG schema, so no input can leave the XML unescaped.
#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "../common/fixed_facts.hpp"
#include "bcvk/cli/cli.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/xml.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/vm/plan.hpp"

using namespace bcvk;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const xml::RelaxNgSchema schema("/usr/share/libvirt/schemas/domain.rng");
  std::vector<std::string> args{""};
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.emplace_back();
    } else {
      args.back() += static_cast<char>(data[i]);
    }
  }
  args.push_back("localhost/fuzz-image"); // the image is positional and last
  std::string xml_text;
  try {
    RunConfig config = parse_run_arguments(args, 4);
    // The host layer resolves host paths (realpath) before planning; here they are made absolute
    // and normal the same way, without a host.
    const auto resolved = [](std::string& path) {
      path = (std::filesystem::path("/resolved") / path).lexically_normal().string();
    };
    for (auto& bind : config.binds) {
      resolved(bind.host_path);
    }
    for (auto& disk : config.disks) {
      resolved(disk.path);
    }
    for (auto& out : config.serial_outputs) {
      resolved(out.path);
    }
    LaunchFacts facts = golden::fixed_facts(config);
    // Both network backends: passt (libvirt >= 9.2) and QEMU's user stack through <qemu:commandline>.
    facts.backend = size % 2 == 0 ? NetworkBackend::passt : NetworkBackend::qemu_user;
    xml_text = render_domain_xml(plan_instance(config, facts).spec);
  } catch (const Error&) {
    return 0;
  } catch (const CLI::Error&) {
    return 0;
  }
  const xml::Doc doc = xml::parse(xml_text, "the rendered domain"); // throws (a finding) if malformed
  if (const std::string problems = schema.errors(doc.get()); !problems.empty()) {
    std::cerr << "domain XML does not validate: " << problems << "\n" << xml_text << "\n";
    std::abort();
  }
  return 0;
}
