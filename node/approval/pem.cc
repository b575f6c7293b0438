#include "node/approval/pem.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <memory>

#include "absl/status/status.h"

namespace nitro_tss::approval {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

bool IsWhitespace(char c) {
  return c == '\n' || c == '\r' || c == ' ' || c == '\t';
}

}  // namespace

absl::StatusOr<PemBlock> ReadSinglePemBlock(absl::Span<const uint8_t> pem) {
  // (BIO_new_mem_buf refuses an empty buffer, which is simply not PEM.)
  if (pem.empty()) return absl::InvalidArgumentError("malformed PEM");
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("malformed PEM");
  }
  PemBlock block;
  block.label = name;
  block.has_headers = header[0] != '\0';
  block.der.assign(data, data + len);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_clear_free(data, static_cast<size_t>(len));
  char rest[256];
  int n;
  bool trailing = false;
  while (!trailing && (n = BIO_read(bio.get(), rest, sizeof(rest))) > 0) {
    for (int i = 0; i < n; ++i) {
      if (!IsWhitespace(rest[i])) {
        trailing = true;
        break;
      }
    }
  }
  OPENSSL_cleanse(rest, sizeof(rest));
  ERR_clear_error();
  if (trailing) {
    OPENSSL_cleanse(block.der.data(), block.der.size());
    return absl::InvalidArgumentError("bytes after the PEM block");
  }
  return block;
}

}  // namespace nitro_tss::approval
