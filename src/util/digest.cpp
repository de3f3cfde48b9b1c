#include "bcvk/util/digest.hpp"

#include <openssl/evp.h>

#include <array>

#include "bcvk/util/error.hpp"

namespace bcvk {

void Sha256::free_context(evp_md_ctx_st* ctx) {
  EVP_MD_CTX_free(ctx);
}

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
  if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw Error("cannot set up SHA-256 (libcrypto)");
  }
}

void Sha256::update(const void* data, std::size_t length) {
  if (EVP_DigestUpdate(m_ctx.get(), data, length) != 1) {
    throw Error("cannot compute SHA-256 (libcrypto)");
  }
}

std::string Sha256::finish() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned length = 0;
  if (EVP_DigestFinal_ex(m_ctx.get(), digest.data(), &length) != 1) {
    throw Error("cannot finish SHA-256 (libcrypto)");
  }
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < length; ++i) {
    out += k_digits[digest[i] >> 4];
    out += k_digits[digest[i] & 0xf];
  }
  return out;
}

std::string sha256_digest(const std::string& data) {
  Sha256 digest;
  digest.update(data.data(), data.size());
  return digest.finish();
}

} // namespace bcvk
