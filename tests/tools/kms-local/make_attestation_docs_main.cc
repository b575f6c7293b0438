// tss-kms-local-testdocs: writes the attestation material the attested
// tss-kms-local tests need into an output directory, using the project's
// simulated NSM and development CA:
//   root.pem             the DevCa root (tss-kms-local --attestation-root)
//   recipient.key.pem    the RSA-2048 private key of the recipient
//   pcr0.hex             PCR0 (lower-case hex) of the "good" image
//   good.cbor            production-mode document of the good image, with
//                        the recipient public key
//   wrong_image.cbor     same, another image (other PCR0)
//   debug.cbor           the good image in debug mode (PCR0..2 zero)
//   tampered.cbor        good.cbor with one payload byte flipped
//   other_root.cbor      the good image attested under another DevCa
//   stale.cbor           the good image, stamped 10 minutes ago
//   no_public_key.cbor   the good image without public_key
// Usage: tss-kms-local-testdocs --out DIR   (exit 0 ok, 1 failure, 2 usage)
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/simulated_nsm.h"

namespace att = nitro_tss::attestation;

namespace {

att::EnclaveImageParts Image(const std::string& version) {
  att::EnclaveImageParts img;
  img.kernel = std::vector<uint8_t>(4096, 0x4b);
  const std::string cmdline = "console=ttyS0 reboot=k panic=30";
  img.cmdline.assign(cmdline.begin(), cmdline.end());
  img.ramdisks.push_back(std::vector<uint8_t>(2048, 0x42));
  const std::string app = "tss-enclave " + version;
  img.ramdisks.push_back(std::vector<uint8_t>(app.begin(), app.end()));
  return img;
}

bool Write(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int Fail(const std::string& what, const absl::Status& s) {
  std::cerr << "tss-kms-local-testdocs: " << what << ": " << s << "\n";
  return 1;
}

absl::StatusOr<std::vector<uint8_t>> Document(
    const att::DevCa& ca, att::SimulatedNsmConfig config,
    const std::optional<std::vector<uint8_t>>& public_key) {
  auto nsm = att::SimulatedNsm::Boot(ca, std::move(config));
  if (!nsm.ok()) return nsm.status();
  return (*nsm)->GetAttestationDocument(std::nullopt, std::nullopt, public_key);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--help") {
    std::cout << "Usage: tss-kms-local-testdocs --out DIR\n";
    return 0;
  }
  if (argc != 3 || std::string(argv[1]) != "--out") {
    std::cerr << "Usage: tss-kms-local-testdocs --out DIR\n";
    return 2;
  }
  const std::string dir = argv[2];
  const int64_t now = att::WallClockMs();
  auto ca = att::DevCa::Generate(now);
  if (!ca.ok()) return Fail("DevCa", ca.status());
  auto other_ca = att::DevCa::Generate(now);
  if (!other_ca.ok()) return Fail("DevCa", other_ca.status());

  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  if (rsa == nullptr) return Fail("RSA", absl::InternalError("keygen"));
  unsigned char* der = nullptr;
  const int der_len = i2d_PUBKEY(rsa, &der);
  std::vector<uint8_t> spki(der, der + der_len);
  OPENSSL_free(der);
  FILE* kf = std::fopen((dir + "/recipient.key.pem").c_str(), "w");
  if (kf == nullptr ||
      !PEM_write_PrivateKey(kf, rsa, nullptr, nullptr, 0, nullptr, nullptr)) {
    return Fail("writing key", absl::InternalError(dir));
  }
  std::fclose(kf);
  EVP_PKEY_free(rsa);
  { std::ofstream(dir + "/root.pem") << ca->RootPem(); }

  att::SimulatedNsmConfig good;
  good.image = Image("v1");
  good.instance_id = "i-0123456789abcdef0";
  auto good_nsm = att::SimulatedNsm::Boot(*ca, good);
  if (!good_nsm.ok()) return Fail("boot", good_nsm.status());
  auto pcr = (*good_nsm)->DescribePcr(0);
  if (!pcr.ok()) return Fail("PCR0", pcr.status());
  {
    std::ofstream(dir + "/pcr0.hex") << absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(pcr->value.data()),
                          pcr->value.size()));
  }
  auto good_doc =
      (*good_nsm)->GetAttestationDocument(std::nullopt, std::nullopt, spki);
  if (!good_doc.ok()) return Fail("good", good_doc.status());
  std::vector<uint8_t> tampered = *good_doc;
  tampered[tampered.size() / 2] ^= 0x01;

  att::SimulatedNsmConfig wrong = good;
  wrong.image = Image("v2-evil");
  att::SimulatedNsmConfig debug = good;
  debug.debug_mode = true;
  att::SimulatedNsmConfig stale = good;
  stale.clock = [now] { return now - 10 * 60 * 1000; };

  auto wrong_doc = Document(*ca, wrong, spki);
  auto debug_doc = Document(*ca, debug, spki);
  auto other_doc = Document(*other_ca, good, spki);
  auto stale_doc = Document(*ca, stale, spki);
  auto nokey_doc = Document(*ca, good, std::nullopt);
  for (const auto* d :
       {&wrong_doc, &debug_doc, &other_doc, &stale_doc, &nokey_doc}) {
    if (!d->ok()) return Fail("document", d->status());
  }
  if (!Write(dir + "/good.cbor", *good_doc) ||
      !Write(dir + "/tampered.cbor", tampered) ||
      !Write(dir + "/wrong_image.cbor", *wrong_doc) ||
      !Write(dir + "/debug.cbor", *debug_doc) ||
      !Write(dir + "/other_root.cbor", *other_doc) ||
      !Write(dir + "/stale.cbor", *stale_doc) ||
      !Write(dir + "/no_public_key.cbor", *nokey_doc)) {
    return Fail("writing documents", absl::InternalError(dir));
  }
  return 0;
}
