#include "node/attestation/simulated_nsm.h"

#include <sodium.h>

#include <chrono>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/attestation/nsm_codec.h"
#include "node/attestation/x509_util.h"

namespace nitro_tss::attestation {
namespace {

absl::Status Error(NsmErrorCode code, const std::string& context) {
  return NsmErrorToStatus(code, context);
}

}  // namespace

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<std::vector<uint8_t>> SignCoseSign1(
    absl::Span<const uint8_t> payload, EVP_PKEY* leaf_key, bool tagged,
    absl::Span<const uint8_t> protected_header) {
  ParsedCoseSign1 cose;
  cose.tagged = tagged;
  cose.protected_header.assign(protected_header.begin(),
                               protected_header.end());
  cose.payload.assign(payload.begin(), payload.end());
  const std::vector<uint8_t> tbs = cose.SigStructure();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t sig_len = 0;
  std::vector<uint8_t> der;
  bool ok =
      ctx != nullptr &&
      EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, leaf_key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &sig_len, tbs.data(), tbs.size()) == 1;
  if (ok) {
    der.resize(sig_len);
    ok = EVP_DigestSign(ctx, der.data(), &sig_len, tbs.data(), tbs.size()) == 1;
    der.resize(sig_len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok || !DerEcdsaSignatureToRaw(der, &cose.signature)) {
    return absl::InternalError("nsm: ES384 signing failed");
  }
  return EncodeCoseSign1(cose);
}

SimulatedNsm::SimulatedNsm(DevCa ca, SimulatedNsmConfig config)
    : ca_(std::move(ca)), config_(std::move(config)) {}

absl::StatusOr<std::unique_ptr<SimulatedNsm>> SimulatedNsm::Boot(
    const DevCa& ca, SimulatedNsmConfig config) {
  if (sodium_init() < 0) return absl::InternalError("nsm: sodium_init failed");
  if (!config.clock) config.clock = WallClockMs;
  if (config.instance_id.empty()) {
    return absl::InvalidArgumentError("nsm: empty instance id");
  }
  std::unique_ptr<SimulatedNsm> nsm(new SimulatedNsm(ca, std::move(config)));
  const SimulatedNsmConfig& c = nsm->config_;
  uint8_t enclave_id[8];
  randombytes_buf(enclave_id, sizeof(enclave_id));
  nsm->module_id_ = absl::StrCat(
      c.instance_id, "-enc",
      absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(enclave_id), sizeof(enclave_id))));
  const std::vector<uint8_t> zero(kSha384Bytes, 0);
  for (auto& pcr : nsm->pcrs_) pcr = zero;
  if (!c.debug_mode) {
    const BootMeasurements m = c.measurements.has_value()
                                   ? *c.measurements
                                   : MeasureEnclaveImage(c.image);
    if (m.pcr0.size() != kSha384Bytes || m.pcr1.size() != kSha384Bytes ||
        m.pcr2.size() != kSha384Bytes) {
      return absl::InvalidArgumentError("nsm: measurements must be 48 bytes");
    }
    nsm->pcrs_[0] = m.pcr0;
    nsm->pcrs_[1] = m.pcr1;
    nsm->pcrs_[2] = m.pcr2;
  }
  if (c.iam_role_arn.has_value()) nsm->pcrs_[3] = MeasureRaw(*c.iam_role_arn);
  nsm->pcrs_[4] = MeasureRaw(c.instance_id);
  if (c.signing_certificate_der.has_value()) {
    nsm->pcrs_[8] = MeasureSigningCertificate(*c.signing_certificate_der);
  }
  for (int i = 0; i < kNsmFirstApplicationPcr; ++i) nsm->locked_[i] = true;
  auto instance_ca = ca.IssueInstanceCa(c.instance_id, c.clock());
  if (!instance_ca.ok()) return instance_ca.status();
  nsm->instance_ca_ = std::move(*instance_ca);
  return nsm;
}

absl::StatusOr<std::vector<uint8_t>> SimulatedNsm::GetAttestationDocument(
    const std::optional<std::vector<uint8_t>>& user_data,
    const std::optional<std::vector<uint8_t>>& nonce,
    const std::optional<std::vector<uint8_t>>& public_key) {
  for (const auto* field : {&user_data, &nonce, &public_key}) {
    if (field->has_value() && (*field)->size() > kMaxOptionalFieldBytes) {
      return Error(NsmErrorCode::kInputTooLarge, "Attestation");
    }
  }
  const int64_t now = config_.clock();
  auto leaf =
      DevCa::IssueEnclaveLeaf(instance_ca_, module_id_, ca_.region(), now);
  if (!leaf.ok()) return leaf.status();
  AttestationDocument doc;
  doc.module_id = module_id_;
  doc.digest = "SHA384";
  doc.timestamp_ms = static_cast<uint64_t>(now);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < kNsmMaxPcrs; ++i) {
      if (i < kNsmFirstApplicationPcr || locked_[i]) doc.pcrs[i] = pcrs_[i];
    }
  }
  doc.certificate = CertificateToDer(leaf->cert.get());
  doc.cabundle = ca_.CabundlePrefix();
  doc.cabundle.push_back(CertificateToDer(instance_ca_.cert.get()));
  doc.public_key = public_key;
  doc.user_data = user_data;
  doc.nonce = nonce;
  return SignCoseSign1(EncodeAttestationPayload(doc), leaf->key.get());
}

absl::StatusOr<PcrDescription> SimulatedNsm::DescribePcr(uint16_t index) {
  if (index >= kNsmMaxPcrs) {
    return Error(NsmErrorCode::kInvalidIndex, "DescribePCR");
  }
  std::lock_guard<std::mutex> lock(mu_);
  return PcrDescription{locked_[index], pcrs_[index]};
}

absl::StatusOr<std::vector<uint8_t>> SimulatedNsm::ExtendPcr(
    uint16_t index, absl::Span<const uint8_t> data) {
  if (index >= kNsmMaxPcrs) {
    return Error(NsmErrorCode::kInvalidIndex, "ExtendPCR");
  }
  if (data.size() > kNsmMaxRequestBytes) {
    return Error(NsmErrorCode::kInputTooLarge, "ExtendPCR");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (locked_[index]) return Error(NsmErrorCode::kReadOnlyIndex, "ExtendPCR");
  pcrs_[index] = ExtendPcrValue(pcrs_[index], data);
  return pcrs_[index];
}

absl::Status SimulatedNsm::LockPcr(uint16_t index) {
  if (index >= kNsmMaxPcrs)
    return Error(NsmErrorCode::kInvalidIndex, "LockPCR");
  std::lock_guard<std::mutex> lock(mu_);
  locked_[index] = true;
  return absl::OkStatus();
}

absl::Status SimulatedNsm::LockPcrs(uint16_t range) {
  if (range > kNsmMaxPcrs)
    return Error(NsmErrorCode::kInvalidIndex, "LockPCRs");
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < range; ++i) locked_[i] = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> SimulatedNsm::GetRandom() {
  std::vector<uint8_t> out(kNsmRandomBytes);
  randombytes_buf(out.data(), out.size());
  return out;
}

absl::StatusOr<NsmDescription> SimulatedNsm::DescribeNsm() {
  NsmDescription d;
  d.version_major = 1;
  d.version_minor = 0;
  d.version_patch = 0;
  d.module_id = module_id_;
  d.max_pcrs = kNsmMaxPcrs;
  d.digest = "SHA384";
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < kNsmMaxPcrs; ++i) {
    if (locked_[i]) d.locked_pcrs.push_back(static_cast<uint16_t>(i));
  }
  return d;
}

absl::StatusOr<std::vector<uint8_t>> SimulatedNsm::HandleRawRequest(
    absl::Span<const uint8_t> raw) {
  NsmResponse resp;
  auto req = DecodeNsmRequest(raw);
  if (!req.ok()) {
    resp.error = raw.size() > kNsmMaxRequestBytes
                     ? NsmErrorCode::kInputTooLarge
                     : NsmErrorCode::kInvalidArgument;
    return EncodeNsmResponse(resp);
  }
  resp.operation = req->operation;
  absl::Status status;
  switch (req->operation) {
    case NsmOperation::kAttestation: {
      auto doc =
          GetAttestationDocument(req->user_data, req->nonce, req->public_key);
      status = doc.status();
      if (doc.ok()) resp.document = std::move(*doc);
      break;
    }
    case NsmOperation::kDescribePcr: {
      auto pcr = DescribePcr(req->index);
      status = pcr.status();
      if (pcr.ok()) resp.pcr = std::move(*pcr);
      break;
    }
    case NsmOperation::kExtendPcr: {
      auto value = ExtendPcr(req->index, req->data);
      status = value.status();
      if (value.ok()) resp.pcr.value = std::move(*value);
      break;
    }
    case NsmOperation::kLockPcr:
      status = LockPcr(req->index);
      break;
    case NsmOperation::kLockPcrs:
      status = LockPcrs(req->range);
      break;
    case NsmOperation::kGetRandom: {
      auto random = GetRandom();
      status = random.status();
      if (random.ok()) resp.random = std::move(*random);
      break;
    }
    case NsmOperation::kDescribeNsm: {
      auto d = DescribeNsm();
      status = d.status();
      if (d.ok()) resp.description = std::move(*d);
      break;
    }
  }
  if (!status.ok()) resp.error = StatusToNsmError(status);
  std::vector<uint8_t> out = EncodeNsmResponse(resp);
  if (!resp.random.empty()) {
    sodium_memzero(resp.random.data(), resp.random.size());
  }
  return out;
}

}  // namespace nitro_tss::attestation
