// NSM request encoding / response decoding (byte-exact, as the Nitro driver
// expects), the ioctl number, and NsmDevice end-to-end over a SimulatedNsm
// transport.
#include "node/attestation/nsm_codec.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/nsm_device.h"
#include "node/attestation/simulated_nsm.h"
#include "node/attestation/verifier.h"

namespace nitro_tss::attestation {
namespace {

std::string HexOf(const std::vector<uint8_t>& v) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
}
std::vector<uint8_t> FromHex(const std::string& hex) {
  const std::string b = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(b.begin(), b.end());
}

TEST(NsmCodecTest, IoctlNumberMatchesDriver) {
  EXPECT_EQ(NsmIoctlRequestNumber(), 0xC0200A00ul);
}

TEST(NsmCodecTest, RequestsEncodeExactly) {
  NsmRequest r;
  r.operation = NsmOperation::kDescribeNsm;
  EXPECT_EQ(HexOf(EncodeNsmRequest(r)), "6b44657363726962654e534d");
  r.operation = NsmOperation::kGetRandom;
  EXPECT_EQ(HexOf(EncodeNsmRequest(r)), "6947657452616e646f6d");
  r.operation = NsmOperation::kDescribePcr;
  r.index = 16;
  // {"DescribePCR": {"index": 16}}
  EXPECT_EQ(HexOf(EncodeNsmRequest(r)),
            "a16b4465736372696265504352a165696e64657810");
  r.operation = NsmOperation::kExtendPcr;
  r.index = 17;
  r.data = {0xaa, 0xbb};
  // {"ExtendPCR": {"index": 17, "data": h'aabb'}}
  EXPECT_EQ(HexOf(EncodeNsmRequest(r)),
            "a169457874656e64504352a265696e6465781164646174614"
            "2aabb");
  r.operation = NsmOperation::kLockPcrs;
  r.range = 16;
  EXPECT_EQ(HexOf(EncodeNsmRequest(r)), "a1684c6f636b50435273a16572616e676510");
  r = NsmRequest();
  r.operation = NsmOperation::kAttestation;
  r.nonce = std::vector<uint8_t>{1, 2};
  // {"Attestation": {"user_data": null, "nonce": h'0102',
  //                  "public_key": null}}
  EXPECT_EQ(HexOf(EncodeNsmRequest(r)),
            "a16b4174746573746174696f6ea369757365725f64617461f6656e6f6e63"
            "6542010"
            "26a7075626c69635f6b6579f6");
}

TEST(NsmCodecTest, RequestsRoundTrip) {
  NsmRequest r;
  r.operation = NsmOperation::kAttestation;
  r.user_data = std::vector<uint8_t>(100, 3);
  r.public_key = std::vector<uint8_t>(5, 4);
  auto decoded = DecodeNsmRequest(EncodeNsmRequest(r));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->operation, NsmOperation::kAttestation);
  EXPECT_EQ(decoded->user_data, r.user_data);
  EXPECT_FALSE(decoded->nonce.has_value());
  EXPECT_EQ(decoded->public_key, r.public_key);
  // Over 4 KiB is refused.
  std::vector<uint8_t> big(kNsmMaxRequestBytes + 1, 0);
  EXPECT_FALSE(DecodeNsmRequest(big).ok());
}

TEST(NsmCodecTest, ResponsesDecode) {
  // {"Attestation": {"document": h'0102'}}
  auto att = DecodeNsmResponse(
      FromHex("a16b4174746573746174696f6ea168646f63756d656e74420102"));
  ASSERT_TRUE(att.ok()) << att.status();
  EXPECT_EQ(att->operation, NsmOperation::kAttestation);
  EXPECT_EQ(att->document, std::vector<uint8_t>({1, 2}));
  // {"DescribePCR": {"lock": true, "data": h'00'}}
  auto pcr =
      DecodeNsmResponse(FromHex("a16b446573637269626550435"
                                "2a2646c6f636bf56464617461410"
                                "0"));
  ASSERT_TRUE(pcr.ok()) << pcr.status();
  EXPECT_TRUE(pcr->pcr.locked);
  EXPECT_EQ(pcr->pcr.value, std::vector<uint8_t>({0}));
  // "LockPCR"
  auto lock = DecodeNsmResponse(FromHex("674c6f636b504352"));
  ASSERT_TRUE(lock.ok());
  EXPECT_EQ(lock->operation, NsmOperation::kLockPcr);
  // {"Error": "InvalidIndex"}
  auto err =
      DecodeNsmResponse(FromHex("a1654572726f726c496e76616c6964496e646578"));
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->error, NsmErrorCode::kInvalidIndex);
  EXPECT_EQ(NsmErrorToStatus(err->error, "DescribePCR").code(),
            absl::StatusCode::kOutOfRange);
  // DescribeNSM round trip.
  NsmResponse d;
  d.operation = NsmOperation::kDescribeNsm;
  d.description = {1, 2, 3, "mod", 32, {0, 1, 2}, "SHA384"};
  auto dd = DecodeNsmResponse(EncodeNsmResponse(d));
  ASSERT_TRUE(dd.ok()) << dd.status();
  EXPECT_EQ(dd->description.module_id, "mod");
  EXPECT_EQ(dd->description.version_patch, 3);
  EXPECT_EQ(dd->description.locked_pcrs, std::vector<uint16_t>({0, 1, 2}));
}

TEST(NsmCodecTest, MalformedResponsesRejected) {
  const char* bad[] = {
      "",                                        // empty
      "a1654572726f726c4e6f537563684572726f72",  // {"Error": "NoSuchError"}
      "6744657363726962",                        // unknown unit "Describ"
      "a16b4174746573746174696f6ea168646f63756d656e74420102ff",  // trailing
      "a16b4174746573746174696f6ea168646f63756d656e74430102",    // truncated
      // {"Attestation": {"document": h'01', "document": h'01'}}
      "a16b4174746573746174696f6ea268646f63756d656e74410168646f63756d656e74"
      "4101",
      // {"Attestation": {"documenu": h'01'}}
      "a16b4174746573746174696f6ea168646f63756d656e75410"
      "1",
      // {"DescribePCR": {"lock": 1, "data": h'00'}} (lock not a bool)
      "a16b4465736372696265504352a2646c6f636b01646461746141"
      "00",
      "bf",  // indefinite map
  };
  for (const char* hex : bad) {
    auto r = DecodeNsmResponse(FromHex(hex));
    EXPECT_FALSE(r.ok()) << hex;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().substr(0, 5), "nsm: ") << r.status();
    }
  }
  std::vector<uint8_t> big(kNsmMaxResponseBytes + 1, 0);
  EXPECT_FALSE(DecodeNsmResponse(big).ok());
}

TEST(NsmDeviceTest, OpenMissingDeviceIsUnavailable) {
  auto dev = NsmDevice::Open("/nonexistent/nsm");
  EXPECT_EQ(dev.status().code(), absl::StatusCode::kUnavailable);
}

TEST(NsmDeviceTest, EndToEndOverSimulatedTransport) {
  constexpr int64_t kNow = 1767225600000;
  auto ca = DevCa::Generate(kNow);
  ASSERT_TRUE(ca.ok());
  SimulatedNsmConfig config;
  config.clock = [] { return kNow; };
  auto sim = SimulatedNsm::Boot(*ca, config);
  ASSERT_TRUE(sim.ok());
  SimulatedNsm* s = sim->get();
  size_t max_request = 0;
  NsmDevice device([s, &max_request](absl::Span<const uint8_t> req) {
    max_request = std::max(max_request, req.size());
    return s->HandleRawRequest(req);
  });
  auto doc = device.GetAttestationDocument(
      std::nullopt, std::vector<uint8_t>{9, 9, 9}, std::nullopt);
  ASSERT_TRUE(doc.ok()) << doc.status();
  AttestationPolicy policy;
  policy.expected_nonce = std::vector<uint8_t>{9, 9, 9};
  EXPECT_TRUE(
      VerifyAttestationDocument(*doc, {ca->RootDer(), kNow}, policy).ok());
  auto pcr = device.ExtendPcr(20, std::vector<uint8_t>{1});
  ASSERT_TRUE(pcr.ok());
  EXPECT_EQ(pcr->size(), 48u);
  auto described = device.DescribePcr(20);
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->value, *pcr);
  EXPECT_FALSE(described->locked);
  EXPECT_TRUE(device.LockPcr(20).ok());
  auto locked = device.ExtendPcr(20, std::vector<uint8_t>{1});
  EXPECT_EQ(locked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(locked.status().message(), "nsm: ExtendPCR: ReadOnlyIndex");
  EXPECT_EQ(device.DescribePcr(40).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(device.LockPcrs(24).ok());
  auto random = device.GetRandom();
  ASSERT_TRUE(random.ok());
  EXPECT_EQ(random->size(), 256u);
  auto desc = device.DescribeNsm();
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->module_id, s->module_id());
  EXPECT_EQ(desc->locked_pcrs.size(), 24u);
  EXPECT_EQ(desc->digest, "SHA384");
  // Oversized inputs are rejected before reaching the device or by it.
  auto too_big = device.GetAttestationDocument(std::vector<uint8_t>(1025, 1),
                                               std::nullopt, std::nullopt);
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kResourceExhausted);
  auto way_too_big =
      device.ExtendPcr(16, std::vector<uint8_t>(kNsmMaxRequestBytes, 1));
  EXPECT_EQ(way_too_big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_LE(max_request, kNsmMaxRequestBytes);
}

TEST(NsmDeviceTest, MismatchedResponseRejected) {
  NsmDevice device([](absl::Span<const uint8_t>) {
    return absl::StatusOr<std::vector<uint8_t>>(
        std::vector<uint8_t>{0x67, 'L', 'o', 'c', 'k', 'P', 'C', 'R'});
  });
  auto r = device.GetRandom();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace nitro_tss::attestation
