#pragma once
// SHA-256 as image digests spell it ("sha256:<hex>"), from libcrypto.
#include <cstddef>
#include <string>

#include "bcvk/util/handle.hpp"

struct evp_md_ctx_st;

namespace bcvk {

// A running SHA-256, fed as bytes arrive.
class Sha256 {
public:
  Sha256();
  void update(const void* data, std::size_t length);
  // "sha256:<64 hex digits>" of everything fed; the object is spent afterwards.
  std::string finish();

private:
  static void free_context(evp_md_ctx_st* ctx);
  Handle<evp_md_ctx_st, free_context> m_ctx;
};

// "sha256:<hex>" of `data`.
std::string sha256_digest(const std::string& data);

} // namespace bcvk
