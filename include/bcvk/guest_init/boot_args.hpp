#pragma once
// What bcvk's minimal initramfs reads from the kernel command line: how to mount the root, which
// init to hand over to, and the parameters given to the modules it loads (modprobe's job in an
// image's own initramfs). Header-only and pure: the guest init is a static program of its own,
// built apart from bcvk, and these functions are unit-tested on the host.
#include <string>
#include <string_view>
#include <vector>

namespace bcvk::guest_init {

struct BootArgs {
  std::string root;        // root= (the virtiofs tag)
  std::string root_fstype; // rootfstype=
  std::string root_flags;  // rootflags= (mount data)
  bool read_only = true;   // the last of "ro" and "rw" wins; read-only when neither, as in the kernel
  std::string init;        // init=, empty for the usual places
  // "module.param=value" arguments, as given (module names with '-' read as '_').
  std::vector<std::string> module_args;
};

// The kernel's white space on its command line (isspace() in lib/ctype.c, with Latin-1's 0xa0).
inline bool is_kernel_space(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == ' ' || (u >= '\t' && u <= '\r') || u == 0xa0;
}

// The command line split into arguments as the kernel splits it (white space outside double
// quotes), the quotes still in place. An unbalanced quote leaves its argument open to the end.
inline std::vector<std::string> split_kernel_words(std::string_view cmdline) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && is_kernel_space(cmdline[i])) {
      ++i;
    }
    if (i == cmdline.size()) {
      break;
    }
    bool in_quote = false;
    const std::size_t start = i;
    for (; i < cmdline.size() && (in_quote || !is_kernel_space(cmdline[i])); ++i) {
      in_quote = cmdline[i] == '"' ? !in_quote : in_quote;
    }
    words.emplace_back(cmdline.substr(start, i - start));
  }
  return words;
}

// An argument's quotes removed as the kernel's next_arg() removes them: one opening the argument,
// one opening its value (after the first '='), and the closing one.
inline std::string unquote_kernel_word(std::string word) {
  const bool quoted = !word.empty() && word.front() == '"';
  if (quoted) {
    word.erase(0, 1);
  }
  const auto eq = word.find('=');
  if (eq != std::string::npos && eq + 1 < word.size() && word[eq + 1] == '"') {
    word.erase(eq + 1, 1);
    if (!word.empty() && word.back() == '"') {
      word.pop_back();
    }
  } else if (quoted && !word.empty() && word.back() == '"') {
    word.pop_back();
  }
  return word;
}

// The kernel's own arguments, unquoted: those after "--" are the init's, and left out.
inline std::vector<std::string> kernel_words(std::string_view cmdline) {
  std::vector<std::string> words;
  for (auto& word : split_kernel_words(cmdline)) {
    if (word == "--") {
      break;
    }
    words.push_back(unquote_kernel_word(std::move(word)));
  }
  return words;
}

inline BootArgs parse_boot_args(std::string_view cmdline) {
  BootArgs args;
  for (const auto& word : kernel_words(cmdline)) {
    const auto eq = word.find('=');
    const std::string key = word.substr(0, eq);
    const std::string value = eq == std::string::npos ? std::string() : word.substr(eq + 1);
    if (key == "root") {
      args.root = value;
    } else if (key == "rootfstype") {
      args.root_fstype = value;
    } else if (key == "rootflags") {
      args.root_flags = value;
    } else if (word == "ro") {
      args.read_only = true;
    } else if (word == "rw") {
      args.read_only = false;
    } else if (key == "init") {
      args.init = value;
    } else if (const auto dot = key.find('.'); dot != std::string::npos && dot > 0 && dot + 1 < key.size()) {
      args.module_args.push_back(word);
    }
  }
  return args;
}

// A module's name as the kernel knows it: '-' and '_' are the same.
inline std::string module_key(std::string_view name) {
  std::string key(name);
  for (auto& c : key) {
    c = c == '-' ? '_' : c;
  }
  return key;
}

// The parameter string finit_module takes for `module` ("a=1 b=\"x y\""), from the command
// line's "module.param=value" arguments; empty when there are none.
inline std::string module_params(const BootArgs& args, std::string_view module) {
  const std::string wanted = module_key(module);
  std::string params;
  for (const auto& arg : args.module_args) {
    const auto dot = arg.find('.');
    if (module_key(std::string_view(arg).substr(0, dot)) != wanted) {
      continue;
    }
    std::string param = arg.substr(dot + 1);
    // A value with a space was quoted on the command line; the module's parser wants it quoted too.
    if (const auto eq = param.find('='); eq != std::string::npos && param.find(' ') != std::string::npos) {
      param = param.substr(0, eq + 1) + '"' + param.substr(eq + 1) + '"';
    }
    params.append(params.empty() ? "" : " ").append(param);
  }
  return params;
}

// The module's name from its path or file name ("kernel/drivers/virtio/virtio_pci.ko",
// "virtio-rng.ko.xz" -> "virtio_rng").
inline std::string module_name_of_file(std::string_view path) {
  const std::string_view file = path.substr(path.rfind('/') + 1);
  return module_key(file.substr(0, file.find(".ko")));
}

// Whether the kernel has to decompress the module (finit_module's MODULE_INIT_COMPRESSED_FILE).
inline bool is_compressed_module(std::string_view file) {
  return !(file.size() >= 3 && file.substr(file.size() - 3) == ".ko");
}

} // namespace bcvk::guest_init
