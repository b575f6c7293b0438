// The AWS Nitro Enclaves Root G1 certificate, built in so that production
// verification pins it without reading files.
#ifndef NITRO_TSS_NODE_ATTESTATION_AWS_ROOT_H_
#define NITRO_TSS_NODE_ATTESTATION_AWS_ROOT_H_

#include <cstdint>
#include <vector>

namespace nitro_tss::attestation {

// PEM of AWS Nitro Enclaves Root G1 (CN=aws.nitro-enclaves, P-384, valid
// 2019-10-28..2049-10-28). DER SHA-256 fingerprint:
// 641A0321A3E244EFE456463195D606317ED7CDCC3C1756E09893F3C68F79BB5B.
extern const char kAwsNitroRootG1Pem[];

// The DER encoding of kAwsNitroRootG1Pem. Never fails (the constant is
// checked by tests); returns a copy.
std::vector<uint8_t> AwsNitroRootG1Der();

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_AWS_ROOT_H_
