// Strict decoding of the channel wire formats (node/channel/wire.h).
#include "node/channel/wire.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>

#include "node/channel/errors.h"

namespace nitro_tss::channel {
namespace {

using ::testing::HasSubstr;

std::string ReadSeed(const std::string& name) {
  std::ifstream in("tests/fuzz/channel/corpus/channel_envelope_fuzz/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

v1::Envelope ValidDirect() {
  v1::Envelope e;
  e.set_version(1);
  e.set_kind(v1::ENVELOPE_KIND_DIRECT);
  e.set_session_id("session-0001");
  e.set_sender(1);
  e.set_receiver(2);
  e.set_round(0);
  e.set_sequence(1);
  e.set_body(std::string(16, 'c'));
  return e;
}

v1::Envelope ValidBroadcast() {
  v1::Envelope e = ValidDirect();
  e.set_kind(v1::ENVELOPE_KIND_BROADCAST);
  e.clear_receiver();
  e.set_body("payload");
  e.set_signature(std::string(64, 's'));
  return e;
}

void ExpectError(const absl::Status& status, ChannelError error,
                 const std::string& fragment) {
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(GetChannelError(status), error)
      << status << " expected " << ChannelErrorName(error);
  EXPECT_THAT(std::string(status.message()), HasSubstr(fragment)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("channel: "));
}

TEST(ChannelWire, SeedsFromAnIndependentEncoderDecode) {
  EXPECT_TRUE(DecodeEnvelope(ReadSeed("direct.bin")).ok());
  EXPECT_TRUE(DecodeEnvelope(ReadSeed("broadcast.bin")).ok());
  EXPECT_TRUE(DecodeHello(ReadSeed("hello.bin")).ok());
  EXPECT_TRUE(DecodeHandshakeAttestation(ReadSeed("attestation.bin")).ok());
  EXPECT_TRUE(DecodeBinding(ReadSeed("binding.bin")).ok());
  ExpectError(DecodeEnvelope(ReadSeed("direct_dup_field.bin")).status(),
              ChannelError::kMalformed, "not canonically encoded");
  ExpectError(DecodeEnvelope(ReadSeed("direct_unknown_field.bin")).status(),
              ChannelError::kMalformed, "has unknown fields");
}

TEST(ChannelWire, EnvelopeRoundTrips) {
  absl::StatusOr<v1::Envelope> d =
      DecodeEnvelope(EncodeCanonical(ValidDirect()));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->receiver(), 2u);
  absl::StatusOr<v1::Envelope> b =
      DecodeEnvelope(EncodeCanonical(ValidBroadcast()));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(b->has_receiver());
}

TEST(ChannelWire, RejectsEmptyGarbageAndOversize) {
  ExpectError(DecodeEnvelope("").status(), ChannelError::kMalformed, "empty");
  ExpectError(DecodeEnvelope("\xff\xff\xff").status(), ChannelError::kMalformed,
              "does not parse");
  v1::Envelope big = ValidBroadcast();
  big.set_body(std::string(101, 'x'));
  ExpectError(DecodeEnvelope(EncodeCanonical(big), 100).status(),
              ChannelError::kTooLarge, "above the limit");
  big.set_body(std::string(1000, 'x'));
  ExpectError(DecodeEnvelope(EncodeCanonical(big), 100).status(),
              ChannelError::kTooLarge, "exceeds the limit");
}

struct EnvelopeCase {
  const char* name;
  std::function<v1::Envelope()> make;
  ChannelError error;
  const char* fragment;
};

void PrintTo(const EnvelopeCase& c, std::ostream* os) { *os << c.name; }

class EnvelopeField : public ::testing::TestWithParam<EnvelopeCase> {};

TEST_P(EnvelopeField, IsRejected) {
  ExpectError(DecodeEnvelope(EncodeCanonical(GetParam().make())).status(),
              GetParam().error, GetParam().fragment);
}

#define ENVELOPE_CASE(name, base, mutation, error, fragment) \
  EnvelopeCase {                                             \
    name,                                                    \
        [] {                                                 \
          v1::Envelope e = base();                           \
          mutation;                                          \
          return e;                                          \
        },                                                   \
        ChannelError::error, fragment                        \
  }

INSTANTIATE_TEST_SUITE_P(
    EveryField, EnvelopeField,
    ::testing::Values(
        ENVELOPE_CASE("NoVersion", ValidDirect, e.clear_version(), kMalformed,
                      "missing version"),
        ENVELOPE_CASE("Version2", ValidDirect, e.set_version(2), kWrongVersion,
                      "unsupported version 2"),
        ENVELOPE_CASE("NoKind", ValidDirect, e.clear_kind(), kMalformed,
                      "kind must be"),
        ENVELOPE_CASE("KindUnspecified", ValidDirect,
                      e.set_kind(v1::ENVELOPE_KIND_UNSPECIFIED), kMalformed,
                      "kind must be"),
        ENVELOPE_CASE("KindUnknown", ValidDirect,
                      e.set_kind(static_cast<v1::EnvelopeKind>(7)), kMalformed,
                      "kind must be"),
        ENVELOPE_CASE("NoSession", ValidDirect, e.clear_session_id(),
                      kMalformed, "session_id"),
        ENVELOPE_CASE("EmptySession", ValidDirect, e.set_session_id(""),
                      kMalformed, "session_id"),
        ENVELOPE_CASE("LongSession", ValidDirect,
                      e.set_session_id(std::string(65, 's')), kMalformed,
                      "session_id"),
        ENVELOPE_CASE("NoSender", ValidDirect, e.clear_sender(), kMalformed,
                      "sender"),
        ENVELOPE_CASE("SenderZero", ValidDirect, e.set_sender(0), kMalformed,
                      "sender"),
        ENVELOPE_CASE("NoRound", ValidDirect, e.clear_round(), kMalformed,
                      "missing round"),
        ENVELOPE_CASE("NoSequence", ValidDirect, e.clear_sequence(), kMalformed,
                      "sequence"),
        ENVELOPE_CASE("SequenceZero", ValidDirect, e.set_sequence(0),
                      kMalformed, "sequence"),
        ENVELOPE_CASE("NoBody", ValidDirect, e.clear_body(), kMalformed,
                      "missing body"),
        ENVELOPE_CASE("DirectNoReceiver", ValidDirect, e.clear_receiver(),
                      kMalformed, "receiver"),
        ENVELOPE_CASE("DirectToSelf", ValidDirect, e.set_receiver(1),
                      kMalformed, "receiver equals sender"),
        ENVELOPE_CASE("DirectShortBody", ValidDirect,
                      e.set_body(std::string(15, 'c')), kMalformed,
                      "shorter than the AEAD tag"),
        ENVELOPE_CASE("DirectWithSignature", ValidDirect,
                      e.set_signature(std::string(64, 's')), kMalformed,
                      "carries a signature"),
        ENVELOPE_CASE("BroadcastWithReceiver", ValidBroadcast,
                      e.set_receiver(3), kMalformed, "names a receiver"),
        ENVELOPE_CASE("BroadcastNoSignature", ValidBroadcast,
                      e.clear_signature(), kMalformed, "signature must be 64"),
        ENVELOPE_CASE("BroadcastShortSignature", ValidBroadcast,
                      e.set_signature(std::string(63, 's')), kMalformed,
                      "signature must be 64")),
    [](const ::testing::TestParamInfo<EnvelopeCase>& info) {
      return std::string(info.param.name);
    });

TEST(ChannelWire, HelloFields) {
  v1::HandshakeHello h;
  h.set_version(1);
  h.set_session_id("s");
  h.set_party_id(1);
  h.set_contribution(std::string(32, 'c'));
  ASSERT_TRUE(DecodeHello(EncodeCanonical(h)).ok());
  v1::HandshakeHello bad = h;
  bad.set_contribution(std::string(31, 'c'));
  ExpectError(DecodeHello(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "contribution must be 32 bytes");
  bad = h;
  bad.clear_party_id();
  ExpectError(DecodeHello(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "party_id");
  bad = h;
  bad.set_version(0);
  ExpectError(DecodeHello(EncodeCanonical(bad)).status(),
              ChannelError::kWrongVersion, "unsupported version 0");
}

TEST(ChannelWire, AttestationMessageFields) {
  v1::HandshakeAttestation a;
  a.set_version(1);
  a.set_session_id("s");
  a.set_party_id(2);
  a.set_attestation_document("doc");
  ASSERT_TRUE(DecodeHandshakeAttestation(EncodeCanonical(a)).ok());
  v1::HandshakeAttestation bad = a;
  bad.set_attestation_document("");
  ExpectError(DecodeHandshakeAttestation(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "attestation_document");
  bad.set_attestation_document(
      std::string(kMaxAttestationDocumentBytes + 1, 'd'));
  ExpectError(DecodeHandshakeAttestation(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "attestation_document");
}

TEST(ChannelWire, BindingFields) {
  v1::AttestationBinding b;
  b.set_protocol(kProtocolTag);
  b.set_session_id("s");
  b.set_party_id(3);
  b.set_signing_public_key(std::string(32, 'k'));
  b.set_identity_public_key(std::string(32, 'i'));
  b.set_identity_signature(std::string(64, 's'));
  ASSERT_TRUE(DecodeBinding(EncodeCanonical(b)).ok());
  v1::AttestationBinding bad = b;
  bad.set_protocol("nitro-tss/channel/v0");
  ExpectError(DecodeBinding(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "protocol");
  bad = b;
  bad.set_signing_public_key(std::string(33, 'k'));
  ExpectError(DecodeBinding(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "signing_public_key");
  bad = b;
  bad.clear_identity_public_key();
  ExpectError(DecodeBinding(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "identity_public_key");
  bad.set_identity_public_key(std::string(31, 'i'));
  ExpectError(DecodeBinding(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "identity_public_key");
  bad = b;
  bad.clear_identity_signature();
  ExpectError(DecodeBinding(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "identity_signature");
  bad.set_identity_signature(std::string(65, 's'));
  ExpectError(DecodeBinding(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "identity_signature");
  bad = b;
  bad.clear_session_id();
  ExpectError(DecodeBinding(EncodeCanonical(bad)).status(),
              ChannelError::kMalformed, "session_id");
}

}  // namespace
}  // namespace nitro_tss::channel
