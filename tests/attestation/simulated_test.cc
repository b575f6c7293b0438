// Simulated NSM documents through the production verifier, plus one negative
// test per parser/verifier/policy check.
#include <cstdio>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/attestation/cbor.h"
#include "node/attestation/cert_builder.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/errors.h"
#include "node/attestation/measurement.h"
#include "node/attestation/simulated_nsm.h"
#include "node/attestation/verifier.h"

namespace nitro_tss::attestation {
namespace {

constexpr int64_t kNow = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr char kInstanceId[] = "i-0123456789abcdef0";

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

EnclaveImageParts TestImage() {
  EnclaveImageParts image;
  image.kernel = Bytes("kernel bytes");
  image.cmdline = Bytes("console=ttyS0 reboot=k");
  image.ramdisks = {Bytes("bootstrap ramdisk"), Bytes("application ramdisk")};
  return image;
}

class SimulatedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = DevCa::Generate(kNow);
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_.emplace(std::move(*ca));
    SimulatedNsmConfig config;
    config.image = TestImage();
    config.instance_id = kInstanceId;
    config.clock = [this] { return now_; };
    auto nsm = SimulatedNsm::Boot(*ca_, config);
    ASSERT_TRUE(nsm.ok()) << nsm.status();
    nsm_ = std::move(*nsm);
  }

  VerifyOptions Options(int64_t at) const { return {ca_->RootDer(), at}; }

  AttestationPolicy Policy() const {
    const BootMeasurements m = MeasureEnclaveImage(TestImage());
    AttestationPolicy p;
    p.expected_pcrs = {{0, m.pcr0},
                       {1, m.pcr1},
                       {2, m.pcr2},
                       {4, MeasureRaw(std::string(kInstanceId))}};
    return p;
  }

  // A valid document's fields plus the leaf key that can sign them, so a
  // test can alter exactly one thing and re-sign.
  struct Forge {
    AttestationDocument fields;
    IssuedKeyPair instance;
    IssuedKeyPair leaf;
  };
  Forge MakeForge() {
    Forge f;
    auto instance = ca_->IssueInstanceCa(kInstanceId, now_);
    EXPECT_TRUE(instance.ok());
    f.instance = std::move(*instance);
    auto leaf = DevCa::IssueEnclaveLeaf(f.instance, "i-0123-encforged",
                                        ca_->region(), now_);
    EXPECT_TRUE(leaf.ok());
    f.leaf = std::move(*leaf);
    auto doc = ParseAttestationDocument(Document());
    EXPECT_TRUE(doc.ok());
    f.fields = *doc;
    f.fields.certificate = CertificateToDer(f.leaf.cert.get());
    f.fields.cabundle = ca_->CabundlePrefix();
    f.fields.cabundle.push_back(CertificateToDer(f.instance.cert.get()));
    return f;
  }
  std::vector<uint8_t> Sign(const Forge& f, absl::Span<const uint8_t> payload,
                            bool tagged = false) {
    auto doc = SignCoseSign1(payload, f.leaf.key.get(), tagged);
    EXPECT_TRUE(doc.ok());
    return *doc;
  }
  std::vector<uint8_t> SignFields(const Forge& f) {
    return Sign(f, EncodeAttestationPayload(f.fields));
  }

  std::vector<uint8_t> Document(
      std::optional<std::vector<uint8_t>> nonce = Bytes("nonce-1")) {
    auto doc = nsm_->GetAttestationDocument(Bytes("user data"), nonce,
                                            Bytes("public key DER"));
    EXPECT_TRUE(doc.ok()) << doc.status();
    return *doc;
  }

  void ExpectRejected(const std::vector<uint8_t>& doc, VerifyError error,
                      const std::string& message_prefix = "",
                      const AttestationPolicy* policy = nullptr) {
    auto result = VerifyAttestationDocument(doc, Options(now_),
                                            policy ? *policy : Policy());
    ASSERT_FALSE(result.ok())
        << "accepted; expected " << VerifyErrorName(error);
    EXPECT_EQ(GetVerifyError(result.status()), error) << result.status();
    EXPECT_TRUE(absl::StartsWith(result.status().message(), message_prefix))
        << result.status();
  }

  int64_t now_ = kNow;
  std::optional<DevCa> ca_;
  std::unique_ptr<SimulatedNsm> nsm_;
};

TEST_F(SimulatedTest, DocumentRoundTripsThroughVerifier) {
  const auto bytes = Document();
  // Exactly the Nitro envelope: untagged array, protected a1 01 38 22, {}.
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 7),
            std::vector<uint8_t>({0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0}));
  AttestationPolicy policy = Policy();
  policy.expected_nonce = Bytes("nonce-1");
  policy.expected_user_data = Bytes("user data");
  policy.expected_public_key = Bytes("public key DER");
  policy.max_age_ms = 60000;
  auto doc = VerifyAttestationDocument(bytes, Options(now_ + 1000), policy);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->module_id, nsm_->module_id());
  EXPECT_TRUE(absl::StartsWith(doc->module_id, "i-0123456789abcdef0-enc"));
  EXPECT_EQ(doc->digest, "SHA384");
  EXPECT_EQ(doc->timestamp_ms, static_cast<uint64_t>(kNow));
  EXPECT_EQ(doc->pcrs.size(), 16u);
  EXPECT_EQ(doc->pcrs.at(3), std::vector<uint8_t>(48, 0));
  EXPECT_EQ(doc->cabundle.size(), 4u);
  EXPECT_EQ(doc->cabundle[0], ca_->RootDer());
  // Payload re-encodes byte for byte (same key order as real documents).
  EXPECT_EQ(EncodeAttestationPayload(*doc), doc->cose.payload);
}

TEST_F(SimulatedTest, PcrExtendLockAndDocumentBinding) {
  auto d0 = nsm_->DescribePcr(0);
  ASSERT_TRUE(d0.ok());
  EXPECT_TRUE(d0->locked);
  EXPECT_EQ(d0->value, MeasureEnclaveImage(TestImage()).pcr0);
  EXPECT_EQ(nsm_->ExtendPcr(0, Bytes("x")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(nsm_->ExtendPcr(32, Bytes("x")).status().code(),
            absl::StatusCode::kOutOfRange);
  auto extended = nsm_->ExtendPcr(16, Bytes("app config"));
  ASSERT_TRUE(extended.ok());
  EXPECT_EQ(*extended,
            ExtendPcrValue(std::vector<uint8_t>(48, 0), Bytes("app config")));
  // Unlocked PCR16 is not in documents; once locked it is.
  auto before = ParseAttestationDocument(Document());
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->pcrs.count(16), 0u);
  ASSERT_TRUE(nsm_->LockPcr(16).ok());
  EXPECT_EQ(nsm_->ExtendPcr(16, Bytes("more")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  AttestationPolicy policy = Policy();
  policy.expected_pcrs[16] = *extended;
  auto after = VerifyAttestationDocument(Document(), Options(now_), policy);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->pcrs.size(), 17u);
  ASSERT_TRUE(nsm_->LockPcrs(20).ok());
  auto desc = nsm_->DescribeNsm();
  ASSERT_TRUE(desc.ok());
  EXPECT_EQ(desc->locked_pcrs.size(), 20u);
  EXPECT_EQ(desc->max_pcrs, 32);
  EXPECT_EQ(nsm_->LockPcrs(33).code(), absl::StatusCode::kOutOfRange);
  auto r1 = nsm_->GetRandom();
  auto r2 = nsm_->GetRandom();
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->size(), 256u);
  EXPECT_NE(*r1, *r2);
}

TEST_F(SimulatedTest, DebugModeReportsZeroPcrs) {
  SimulatedNsmConfig config;
  config.image = TestImage();
  config.debug_mode = true;
  config.clock = [this] { return now_; };
  auto nsm = SimulatedNsm::Boot(*ca_, config);
  ASSERT_TRUE(nsm.ok());
  auto doc =
      (*nsm)->GetAttestationDocument(std::nullopt, std::nullopt, std::nullopt);
  ASSERT_TRUE(doc.ok());
  const AttestationPolicy production;
  ExpectRejected(*doc, VerifyError::kDebugMode,
                 "attestation: debug-mode enclave", &production);
  AttestationPolicy debug;
  debug.allow_debug = true;
  auto ok = VerifyAttestationDocument(*doc, Options(now_), debug);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->pcrs.at(0), std::vector<uint8_t>(48, 0));
  EXPECT_EQ(ok->pcrs.at(2), std::vector<uint8_t>(48, 0));
}

TEST_F(SimulatedTest, DocumentFromAnotherRootRejected) {
  auto other = DevCa::Generate(kNow);
  ASSERT_TRUE(other.ok());
  auto result = VerifyAttestationDocument(
      Document(), VerifyOptions{other->RootDer(), now_}, Policy());
  EXPECT_EQ(GetVerifyError(result.status()), VerifyError::kUntrustedRoot);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(SimulatedTest, WrongPcrRejected) {
  AttestationPolicy policy = Policy();
  policy.expected_pcrs[2][0] ^= 1;
  ExpectRejected(Document(), VerifyError::kPcrMismatch,
                 "attestation: PCR2 mismatch", &policy);
  policy = Policy();
  policy.expected_pcrs[20] = std::vector<uint8_t>(48, 0);
  ExpectRejected(Document(), VerifyError::kPcrMismatch,
                 "attestation: PCR20 missing", &policy);
}

TEST_F(SimulatedTest, StaleNonceAndOldDocumentRejected) {
  AttestationPolicy policy = Policy();
  policy.expected_nonce = Bytes("nonce-2");
  ExpectRejected(Document(), VerifyError::kNonceMismatch,
                 "attestation: nonce mismatch", &policy);
  ExpectRejected(Document(std::nullopt), VerifyError::kNonceMismatch,
                 "attestation: nonce missing", &policy);
  policy = Policy();
  policy.max_age_ms = 30000;
  const auto doc = Document();
  now_ += 30000;
  EXPECT_TRUE(VerifyAttestationDocument(doc, Options(now_), policy).ok());
  now_ += 1;
  ExpectRejected(doc, VerifyError::kDocumentTooOld,
                 "attestation: document too old", &policy);
  // A document from the future fails the leaf validity first; the policy
  // check on its own rejects the timestamp.
  now_ = kNow - kMaxFutureSkewMs - 1;
  ExpectRejected(doc, VerifyError::kCertificateNotYetValid,
                 "attestation: certificate chain: leaf not valid before",
                 &policy);
  auto parsed = ParseAttestationDocument(doc);
  ASSERT_TRUE(parsed.ok());
  auto future = CheckAttestationPolicy(*parsed, policy, now_);
  EXPECT_EQ(GetVerifyError(future), VerifyError::kDocumentFromFuture);
  EXPECT_TRUE(CheckAttestationPolicy(*parsed, policy, now_ + 1).ok());
  policy = Policy();
  policy.expected_user_data = Bytes("other");
  now_ = kNow;
  ExpectRejected(doc, VerifyError::kUserDataMismatch,
                 "attestation: user_data mismatch", &policy);
  policy = Policy();
  policy.expected_public_key = Bytes("other");
  ExpectRejected(doc, VerifyError::kPublicKeyMismatch,
                 "attestation: public_key mismatch", &policy);
}

TEST_F(SimulatedTest, OversizedFieldsRejected) {
  // The NSM refuses to embed more than 1024 bytes...
  auto refused = nsm_->GetAttestationDocument(std::vector<uint8_t>(1025, 7),
                                              std::nullopt, std::nullopt);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  // ... and a correctly signed document carrying one is rejected.
  for (const char* field : {"user_data", "nonce", "public_key"}) {
    Forge f = MakeForge();
    std::vector<uint8_t> big(1025, 7);
    if (std::string(field) == "user_data") f.fields.user_data = big;
    if (std::string(field) == "nonce") f.fields.nonce = big;
    if (std::string(field) == "public_key") f.fields.public_key = big;
    ExpectRejected(SignFields(f), VerifyError::kFieldTooLarge,
                   absl::StrCat("attestation: payload: cbor: ", field,
                                ": byte string of 1025 bytes exceeds"));
  }
  Forge f = MakeForge();
  f.fields.certificate.resize(1025);
  ExpectRejected(SignFields(f), VerifyError::kFieldTooLarge,
                 "attestation: payload: cbor: certificate");
  f = MakeForge();
  f.fields.pcrs[5] = std::vector<uint8_t>(49, 0);
  ExpectRejected(SignFields(f), VerifyError::kFieldTooLarge,
                 "attestation: payload: PCR5 has 49 bytes");
  f = MakeForge();
  f.fields.module_id = "";
  ExpectRejected(SignFields(f), VerifyError::kFieldTooLarge,
                 "attestation: payload: module_id is empty");
  // Payload over 16384 bytes (cabundle padded with copies).
  f = MakeForge();
  while (EncodeAttestationPayload(f.fields).size() <= kMaxPayloadBytes) {
    f.fields.cabundle.push_back(f.fields.cabundle[1]);
  }
  ExpectRejected(SignFields(f), VerifyError::kFieldTooLarge,
                 "attestation: COSE_Sign1: cbor: payload: byte string of");
}

TEST_F(SimulatedTest, TruncatedCborRejected) {
  const auto doc = Document();
  for (size_t len = 0; len < doc.size(); ++len) {
    std::vector<uint8_t> cut(doc.begin(), doc.begin() + len);
    auto result = VerifyAttestationDocument(cut, Options(now_), Policy());
    ASSERT_FALSE(result.ok()) << "prefix of " << len << " bytes accepted";
    ASSERT_EQ(GetVerifyError(result.status()), VerifyError::kTruncated)
        << len << ": " << result.status();
  }
}

TEST_F(SimulatedTest, WrongAlgorithmRejected) {
  Forge f = MakeForge();
  const uint8_t es512[] = {0xa1, 0x01, 0x38, 0x23};  // {1: -36}
  auto doc = SignCoseSign1(EncodeAttestationPayload(f.fields), f.leaf.key.get(),
                           false, es512);
  ASSERT_TRUE(doc.ok());
  ExpectRejected(*doc, VerifyError::kUnsupportedAlgorithm,
                 "attestation: COSE_Sign1: protected header is not exactly");
  // Same algorithm, non-canonical header (extra entry) is rejected too.
  const uint8_t extra[] = {0xa2, 0x01, 0x38, 0x22, 0x04, 0x40};
  doc = SignCoseSign1(EncodeAttestationPayload(f.fields), f.leaf.key.get(),
                      false, extra);
  ASSERT_TRUE(doc.ok());
  ExpectRejected(*doc, VerifyError::kUnsupportedAlgorithm);
}

TEST_F(SimulatedTest, TaggedDocumentAccepted) {
  const auto untagged = Document();
  std::vector<uint8_t> tagged = {0xd2};  // tag 18
  tagged.insert(tagged.end(), untagged.begin(), untagged.end());
  auto doc = VerifyAttestationDocument(tagged, Options(now_), Policy());
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(doc->cose.tagged);
  // Other tags are not.
  tagged[0] = 0xd1;
  ExpectRejected(tagged, VerifyError::kMalformed,
                 "attestation: COSE_Sign1: unexpected tag 17");
}

TEST_F(SimulatedTest, NullAndAbsentOptionalFieldsAccepted) {
  auto doc =
      nsm_->GetAttestationDocument(std::nullopt, std::nullopt, std::nullopt);
  ASSERT_TRUE(doc.ok());
  auto parsed = VerifyAttestationDocument(*doc, Options(now_), Policy());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->user_data.has_value());
  EXPECT_FALSE(parsed->nonce.has_value());
  EXPECT_FALSE(parsed->public_key.has_value());
  // The payload really carries nulls: f6 after the "nonce" key.
  const auto& p = parsed->cose.payload;
  EXPECT_EQ(p.back(), 0xf6);
  // Omitted entirely (as the spec says) is accepted too.
  Forge f = MakeForge();
  cbor::Writer w;
  w.AppendMapHeader(6);
  // Keep the first six entries only (everything before "public_key").
  f.fields.public_key.reset();
  f.fields.user_data.reset();
  f.fields.nonce.reset();
  const std::vector<uint8_t> with_nulls = EncodeAttestationPayload(f.fields);
  // with_nulls = a9 <6 entries> 6a"public_key" f6 69"user_data" f6 65"nonce" f6
  const size_t tail = (1 + 10 + 1) + (1 + 9 + 1) + (1 + 5 + 1);
  std::vector<uint8_t> six(with_nulls.begin() + 1, with_nulls.end() - tail);
  w.AppendRaw(six);
  auto signed_doc = Sign(f, w.bytes());
  auto omitted = VerifyAttestationDocument(signed_doc, Options(now_), Policy());
  ASSERT_TRUE(omitted.ok()) << omitted.status();
  EXPECT_FALSE(omitted->nonce.has_value());
}

TEST_F(SimulatedTest, DuplicateKeyRejected) {
  Forge f = MakeForge();
  f.fields.nonce.reset();
  std::vector<uint8_t> payload = EncodeAttestationPayload(f.fields);
  // Replace the trailing "nonce": null with a second "digest": "SHA384".
  const size_t nonce_entry = 1 + 5 + 1;
  payload.resize(payload.size() - nonce_entry);
  cbor::Writer w;
  w.AppendText("digest");
  w.AppendText("SHA384");
  payload.insert(payload.end(), w.bytes().begin(), w.bytes().end());
  ExpectRejected(Sign(f, payload), VerifyError::kDuplicateKey,
                 "attestation: payload: duplicate key \"digest\"");
  // Duplicate PCR index inside the pcrs map.
  cbor::Writer pcrs;
  pcrs.AppendMapHeader(2);
  pcrs.AppendUnsigned(0);
  pcrs.AppendBytes(std::vector<uint8_t>(48, 1));
  pcrs.AppendUnsigned(0);
  pcrs.AppendBytes(std::vector<uint8_t>(48, 1));
  cbor::Writer doc;
  doc.AppendMapHeader(6);
  doc.AppendText("module_id");
  doc.AppendText("m");
  doc.AppendText("digest");
  doc.AppendText("SHA384");
  doc.AppendText("timestamp");
  doc.AppendUnsigned(kNow);
  doc.AppendText("pcrs");
  doc.AppendRaw(pcrs.bytes());
  doc.AppendText("certificate");
  doc.AppendBytes(f.fields.certificate);
  doc.AppendText("cabundle");
  doc.AppendArrayHeader(1);
  doc.AppendBytes(f.fields.cabundle[0]);
  ExpectRejected(Sign(f, doc.bytes()), VerifyError::kDuplicateKey,
                 "attestation: payload: duplicate PCR index 0");
}

TEST_F(SimulatedTest, UnknownFieldAndTypeErrorsRejected) {
  Forge f = MakeForge();
  f.fields.nonce.reset();
  std::vector<uint8_t> payload = EncodeAttestationPayload(f.fields);
  payload.resize(payload.size() - (1 + 5 + 1));
  cbor::Writer w;
  w.AppendText("noncf");
  w.AppendNull();
  payload.insert(payload.end(), w.bytes().begin(), w.bytes().end());
  ExpectRejected(Sign(f, payload), VerifyError::kUnknownField,
                 "attestation: payload: unknown key \"noncf\"");
  // A text string where the nonce bstr belongs.
  payload.resize(payload.size() - w.bytes().size());
  cbor::Writer t;
  t.AppendText("nonce");
  t.AppendText("abc");
  payload.insert(payload.end(), t.bytes().begin(), t.bytes().end());
  ExpectRejected(Sign(f, payload), VerifyError::kMalformed,
                 "attestation: payload: cbor: nonce: expected byte string");
  f = MakeForge();
  f.fields.digest = "SHA256";
  ExpectRejected(SignFields(f), VerifyError::kMalformed,
                 "attestation: payload: digest \"SHA256\" is not SHA384");
}

TEST_F(SimulatedTest, PayloadFieldChecks) {
  Forge f = MakeForge();
  f.fields.cabundle.clear();
  ExpectRejected(SignFields(f), VerifyError::kFieldTooLarge,
                 "attestation: payload: cabundle is empty");
  f = MakeForge();
  f.fields.pcrs.clear();
  ExpectRejected(SignFields(f), VerifyError::kMalformed,
                 "attestation: payload: pcrs map is empty");
  f = MakeForge();
  f.fields.pcrs[32] = std::vector<uint8_t>(48, 0);
  ExpectRejected(SignFields(f), VerifyError::kMalformed,
                 "attestation: payload: PCR index 32 out of range");
  f = MakeForge();
  f.fields.pcrs[7] = std::vector<uint8_t>(32, 0);  // SHA-256 size
  ExpectRejected(SignFields(f), VerifyError::kFieldTooLarge,
                 "attestation: payload: PCR7 has 32 bytes but digest SHA384");
  f = MakeForge();
  f.fields.timestamp_ms = 0;
  ExpectRejected(SignFields(f), VerifyError::kMalformed,
                 "attestation: payload: timestamp out of range");
  f = MakeForge();
  f.fields.certificate.clear();
  ExpectRejected(SignFields(f), VerifyError::kFieldTooLarge,
                 "attestation: payload: certificate has 0 bytes");
  // A mandatory field missing: drop "cabundle" by re-encoding by hand.
  f = MakeForge();
  cbor::Writer w;
  w.AppendMapHeader(5);
  w.AppendText("module_id");
  w.AppendText(f.fields.module_id);
  w.AppendText("digest");
  w.AppendText("SHA384");
  w.AppendText("timestamp");
  w.AppendUnsigned(f.fields.timestamp_ms);
  w.AppendText("pcrs");
  w.AppendMapHeader(1);
  w.AppendUnsigned(0);
  w.AppendBytes(f.fields.pcrs.at(0));
  w.AppendText("certificate");
  w.AppendBytes(f.fields.certificate);
  ExpectRejected(Sign(f, w.bytes()), VerifyError::kMalformed,
                 "attestation: payload: missing \"cabundle\"");
  // Policy: a document without PCR0 is refused whatever the pins.
  f = MakeForge();
  f.fields.pcrs.erase(0);
  const AttestationPolicy empty;
  ExpectRejected(SignFields(f), VerifyError::kPcrMismatch,
                 "attestation: PCR0 missing", &empty);
}

TEST_F(SimulatedTest, TrailingBytesRejected) {
  auto doc = Document();
  doc.push_back(0x00);
  ExpectRejected(doc, VerifyError::kTrailingBytes,
                 "attestation: COSE_Sign1: cbor: 1 trailing bytes");
  Forge f = MakeForge();
  std::vector<uint8_t> payload = EncodeAttestationPayload(f.fields);
  payload.push_back(0xf6);
  ExpectRejected(Sign(f, payload), VerifyError::kTrailingBytes,
                 "attestation: payload: cbor: 1 trailing bytes");
}

TEST_F(SimulatedTest, CoseEnvelopeChecks) {
  const auto good = Document();
  auto cose = ParseCoseSign1(good);
  ASSERT_TRUE(cose.ok());
  // Unprotected header not empty.
  std::vector<uint8_t> doc = good;
  ASSERT_EQ(doc[6], 0xa0);
  {
    cbor::Writer w;
    w.AppendArrayHeader(4);
    w.AppendBytes(cose->protected_header);
    w.AppendMapHeader(1);
    w.AppendUnsigned(4);
    w.AppendBytes({});
    w.AppendBytes(cose->payload);
    w.AppendBytes(cose->signature);
    ExpectRejected(w.bytes(), VerifyError::kFieldTooLarge,
                   "attestation: COSE_Sign1: cbor: unprotected header: map");
  }
  // Signature of the wrong size.
  {
    ParsedCoseSign1 c = *cose;
    c.signature.resize(95);
    ExpectRejected(EncodeCoseSign1(c), VerifyError::kFieldTooLarge,
                   "attestation: COSE_Sign1: signature has 95 bytes");
  }
  // Wrong array length; indefinite-length array; non-minimal length.
  {
    cbor::Writer w;
    w.AppendArrayHeader(3);
    w.AppendBytes(cose->protected_header);
    w.AppendMapHeader(0);
    w.AppendBytes(cose->payload);
    ExpectRejected(w.bytes(), VerifyError::kMalformed,
                   "attestation: COSE_Sign1: array has 3 elements");
    doc = good;
    doc[0] = 0x9f;
    ExpectRejected(doc, VerifyError::kMalformed,
                   "attestation: COSE_Sign1: cbor: COSE_Sign1: indefinite");
    doc = good;
    doc.erase(doc.begin());
    doc.insert(doc.begin(), {0x98, 0x04});
    ExpectRejected(doc, VerifyError::kMalformed,
                   "attestation: COSE_Sign1: cbor: COSE_Sign1: non-minimal");
  }
  // Valid structure, signature by another key.
  {
    ParsedCoseSign1 c = *cose;
    c.signature[10] ^= 0x01;
    ExpectRejected(EncodeCoseSign1(c), VerifyError::kBadSignature,
                   "attestation: COSE ES384 signature does not verify");
    c.signature.assign(96, 0);
    ExpectRejected(EncodeCoseSign1(c), VerifyError::kBadSignature,
                   "attestation: COSE signature is not a valid r || s");
  }
  ExpectRejected({}, VerifyError::kTruncated);
}

// ---- Certificate chain checks: each test breaks exactly one. ----

class ChainTest : public SimulatedTest {
 protected:
  // Builds root -> intermediate -> leaf chains from scratch with per-level
  // overrides, signs a valid payload with the leaf and verifies it.
  struct Level {
    CertificateSpec spec;
    EvpPkeyPtr key;
    X509Ptr cert;
  };
  std::vector<uint8_t> BuildDocument(
      const std::function<void(int level, CertificateSpec&)>& tweak,
      const char* leaf_curve = "P-384") {
    levels_.clear();
    levels_.resize(3);
    for (int i = 0; i < 3; ++i) {
      Level& l = levels_[i];
      l.key = GenerateEcKey(i == 2 ? leaf_curve : "P-384");
      CertificateSpec& s = l.spec;
      s.subject = {{"CN", absl::StrCat("level", i)}};
      s.subject_key = l.key.get();
      if (i > 0) {
        s.issuer_cert = levels_[i - 1].cert.get();
        s.issuer_key = levels_[i - 1].key.get();
      }
      s.not_before_ms = kNow - 3600000;
      s.not_after_ms = kNow + 3600000;
      s.is_ca = i < 2;
      s.pathlen = i == 1 ? 0 : -1;
      s.key_usage = i < 2 ? "critical,keyCertSign,cRLSign" : "digitalSignature";
      s.key_identifiers = i < 2;
      tweak(i, s);
      auto cert = IssueCertificate(s);
      EXPECT_TRUE(cert.ok()) << cert.status();
      l.cert = std::move(*cert);
    }
    AttestationDocument fields;
    auto base = ParseAttestationDocument(Document());
    EXPECT_TRUE(base.ok());
    fields = *base;
    fields.certificate = CertificateToDer(levels_[2].cert.get());
    fields.cabundle = {CertificateToDer(levels_[0].cert.get()),
                       CertificateToDer(levels_[1].cert.get())};
    auto doc =
        SignCoseSign1(EncodeAttestationPayload(fields), levels_[2].key.get());
    EXPECT_TRUE(doc.ok());
    return *doc;
  }
  VerifyOptions ChainOptions() const {
    return {CertificateToDer(levels_[0].cert.get()), now_};
  }
  void ExpectChain(const std::vector<uint8_t>& doc, VerifyError error,
                   const std::string& prefix) {
    auto result = VerifyAttestationDocument(doc, ChainOptions(), Policy());
    ASSERT_FALSE(result.ok())
        << "accepted; expected " << VerifyErrorName(error);
    EXPECT_EQ(GetVerifyError(result.status()), error) << result.status();
    EXPECT_TRUE(absl::StartsWith(result.status().message(), prefix))
        << result.status();
  }
  std::vector<Level> levels_;
};

TEST_F(ChainTest, BaselineChainVerifies) {
  auto doc = BuildDocument([](int, CertificateSpec&) {});
  auto result = VerifyAttestationDocument(doc, ChainOptions(), Policy());
  EXPECT_TRUE(result.ok()) << result.status();
}

TEST_F(ChainTest, LeafKeyNotP384) {
  auto doc = BuildDocument([](int, CertificateSpec&) {}, "P-256");
  ExpectChain(doc, VerifyError::kCertificateInvalid,
              "attestation: certificate chain: leaf key is not EC P-384");
}

TEST_F(ChainTest, SignatureAlgorithmNotSha384) {
  auto doc = BuildDocument([](int level, CertificateSpec& s) {
    if (level == 1) s.digest = EVP_sha256();
  });
  ExpectChain(doc, VerifyError::kCertificateInvalid,
              "attestation: certificate chain: cabundle[1] is not signed "
              "with ecdsa-with-SHA384");
}

TEST_F(ChainTest, IntermediateNotCa) {
  auto doc = BuildDocument([](int level, CertificateSpec& s) {
    if (level == 1) s.basic_constraints = false;
  });
  ExpectChain(doc, VerifyError::kCertificateInvalid,
              "attestation: certificate chain: cabundle[1] is not a CA");
}

TEST_F(ChainTest, IntermediateWithoutKeyCertSign) {
  auto doc = BuildDocument([](int level, CertificateSpec& s) {
    if (level == 1) s.key_usage = "critical,digitalSignature";
  });
  ExpectChain(doc, VerifyError::kCertificateInvalid,
              "attestation: certificate chain: cabundle[1] lacks keyCertSign");
}

TEST_F(ChainTest, PathLengthExceeded) {
  // Root with pathlen 0 cannot have an intermediate below it.
  auto doc = BuildDocument([](int level, CertificateSpec& s) {
    if (level == 0) s.pathlen = 0;
  });
  ExpectChain(doc, VerifyError::kCertificateInvalid,
              "attestation: certificate chain: root path length 0 exceeded");
}

TEST_F(ChainTest, LeafIsCa) {
  auto doc = BuildDocument([](int level, CertificateSpec& s) {
    if (level == 2) s.is_ca = true;
  });
  ExpectChain(doc, VerifyError::kCertificateInvalid,
              "attestation: certificate chain: leaf is a CA certificate");
}

TEST_F(ChainTest, LeafWithoutDigitalSignature) {
  auto doc = BuildDocument([](int level, CertificateSpec& s) {
    if (level == 2) s.key_usage = "keyAgreement";
  });
  ExpectChain(doc, VerifyError::kCertificateInvalid,
              "attestation: certificate chain: leaf lacks digitalSignature");
}

TEST_F(ChainTest, UnknownCriticalExtension) {
  auto doc = BuildDocument([](int level, CertificateSpec& s) {
    if (level == 2) s.unknown_critical_extension = true;
  });
  ExpectChain(doc, VerifyError::kCertificateInvalid,
              "attestation: certificate chain: leaf has an unknown critical");
}

TEST_F(ChainTest, IssuerNameMismatch) {
  // The leaf is signed by the intermediate's key but names another issuer.
  EvpPkeyPtr stranger_key = GenerateEcKey("P-384");
  CertificateSpec stranger_spec;
  stranger_spec.subject = {{"CN", "stranger"}};
  stranger_spec.subject_key = stranger_key.get();
  stranger_spec.not_before_ms = kNow - 1000;
  stranger_spec.not_after_ms = kNow + 1000;
  stranger_spec.is_ca = true;
  stranger_spec.key_usage = "critical,keyCertSign";
  auto stranger = IssueCertificate(stranger_spec);
  ASSERT_TRUE(stranger.ok());
  auto doc = BuildDocument([&](int level, CertificateSpec& s) {
    if (level == 2) {
      s.issuer_cert = stranger->get();
      s.key_identifiers = false;
    }
  });
  ExpectChain(doc, VerifyError::kChainBroken,
              "attestation: certificate chain: leaf was not issued by "
              "cabundle[1]");
}

TEST_F(ChainTest, CertificateSignatureByWrongKey) {
  EvpPkeyPtr wrong = GenerateEcKey("P-384");
  auto doc = BuildDocument([&](int level, CertificateSpec& s) {
    if (level == 2) s.issuer_key = wrong.get();
  });
  ExpectChain(doc, VerifyError::kChainBroken,
              "attestation: certificate chain: leaf signature does not "
              "verify with cabundle[1] key");
}

TEST_F(ChainTest, ExpiredIntermediateAndFutureRoot) {
  auto doc = BuildDocument([](int level, CertificateSpec& s) {
    if (level == 1) s.not_after_ms = kNow - 1000;
  });
  ExpectChain(doc, VerifyError::kCertificateExpired,
              "attestation: certificate chain: cabundle[1] expired at");
  doc = BuildDocument([](int level, CertificateSpec& s) {
    if (level == 0) s.not_before_ms = kNow + 1000;
  });
  ExpectChain(doc, VerifyError::kCertificateNotYetValid,
              "attestation: certificate chain: root not valid before");
}

TEST_F(ChainTest, PinnedRootNotSelfIssued) {
  // Pin the intermediate and present it as cabundle[0].
  auto base = BuildDocument([](int, CertificateSpec&) {});
  auto parsed = ParseAttestationDocument(base);
  ASSERT_TRUE(parsed.ok());
  AttestationDocument fields = *parsed;
  fields.cabundle = {CertificateToDer(levels_[1].cert.get())};
  auto doc =
      SignCoseSign1(EncodeAttestationPayload(fields), levels_[2].key.get());
  ASSERT_TRUE(doc.ok());
  auto result = VerifyAttestationDocument(
      *doc, {CertificateToDer(levels_[1].cert.get()), now_}, Policy());
  EXPECT_EQ(GetVerifyError(result.status()), VerifyError::kCertificateInvalid);
  EXPECT_EQ(result.status().message(),
            "attestation: certificate chain: root is not self-issued");
}

TEST_F(ChainTest, RootPinMismatchEvenWithValidChain) {
  auto doc = BuildDocument([](int, CertificateSpec&) {});
  auto result = VerifyAttestationDocument(
      doc, {CertificateToDer(levels_[1].cert.get()), now_}, Policy());
  EXPECT_EQ(GetVerifyError(result.status()), VerifyError::kUntrustedRoot);
  EXPECT_EQ(result.status().message(),
            "attestation: certificate chain: cabundle[0] is not the pinned "
            "root certificate");
}

TEST_F(ChainTest, UnparsableCabundleEntry) {
  auto base = BuildDocument([](int, CertificateSpec&) {});
  auto parsed = ParseAttestationDocument(base);
  ASSERT_TRUE(parsed.ok());
  AttestationDocument fields = *parsed;
  fields.cabundle.push_back({0x30, 0x03, 0x02, 0x01, 0x01});
  auto doc =
      SignCoseSign1(EncodeAttestationPayload(fields), levels_[2].key.get());
  ASSERT_TRUE(doc.ok());
  ExpectChain(*doc, VerifyError::kCertificateInvalid,
              "attestation: certificate chain: cabundle[2]: certificate is "
              "not valid DER");
}

TEST(DevCaTest, SaveAndLoadRoundTrip) {
  auto ca = DevCa::Generate(kNow, "eu-west-1");
  ASSERT_TRUE(ca.ok());
  const std::string dir = (std::filesystem::temp_directory_path() /
                           absl::StrCat("devca_test_", ::getpid()))
                              .string();
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(ca->SaveToDirectory(dir).ok());
  EXPECT_EQ(std::filesystem::status(dir + "/root.key.pem").permissions() &
                std::filesystem::perms::group_all,
            std::filesystem::perms::none);
  auto loaded = DevCa::LoadFromDirectory(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->RootDer(), ca->RootDer());
  EXPECT_EQ(loaded->CabundlePrefix(), ca->CabundlePrefix());
  EXPECT_EQ(loaded->region(), "eu-west-1");
  // A loaded CA issues documents that verify against the original root.
  SimulatedNsmConfig config;
  config.clock = [] { return kNow; };
  auto nsm = SimulatedNsm::Boot(*loaded, config);
  ASSERT_TRUE(nsm.ok());
  auto doc =
      (*nsm)->GetAttestationDocument(std::nullopt, std::nullopt, std::nullopt);
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(VerifyAttestationDocument(*doc, {ca->RootDer(), kNow}, {}).ok());
  // Swapped key files are detected.
  std::filesystem::copy_file(dir + "/regional.key.pem", dir + "/zonal.key.pem",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_FALSE(DevCa::LoadFromDirectory(dir).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nitro_tss::attestation
