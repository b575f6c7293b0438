// Enclave Image File (EIF) reader, writer and PCR measurement.
//
// An EIF is what `nitro-cli run-enclave` boots. Layout (all integers
// big-endian):
//
//   header (548 bytes):
//     magic ".eif" | u16 version | u16 flags | u64 default_memory (bytes) |
//     u64 default_cpus | u16 reserved | u16 section_count |
//     u64 section_offsets[32] | u64 section_sizes[32] | u32 unused |
//     u32 crc32
//   then for each section: a 12-byte section header
//     u16 type | u16 flags | u64 size
//   followed by `size` data bytes.
//
// CRC32 coverage (as computed by aws-nitro-enclaves-image-format's EifBuilder
// and checked by its EifReader and by QEMU's nitro-enclave machine): the
// IEEE 802.3 CRC-32 (reflected polynomial 0xEDB88320, initial value 0, i.e.
// zlib's crc32()) over the first 544 header bytes (everything except the
// crc32 field itself), then, for every section in section-table order, its
// 12-byte section header followed by its data. The CRC is an integrity check
// against corruption only; it is not a security boundary (PCRs are).
//
// PCRs (what the Nitro hypervisor reports in attestation documents):
//   PCR0 = SHA384(0^48 || SHA384(kernel || cmdline || every ramdisk))
//   PCR1 = SHA384(0^48 || SHA384(kernel || cmdline || first ramdisk))
//   PCR2 = SHA384(0^48 || SHA384(every ramdisk after the first))
//   PCR8 = SHA384(0^48 || SHA384(DER of the signing certificate)), only when a
//          signature section is present.
// Section headers, metadata and the signature are not measured. Sections are
// measured in file order.
#ifndef NITRO_TSS_NODE_EIF_EIF_H_
#define NITRO_TSS_NODE_EIF_EIF_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::eif {

inline constexpr size_t kEifHeaderSize = 548;
inline constexpr size_t kEifSectionHeaderSize = 12;
inline constexpr size_t kEifMaxSections = 32;
inline constexpr uint16_t kEifVersion = 4;
// Header flag bit 0: the image is for an arm64 (Graviton) parent.
inline constexpr uint16_t kEifFlagArm64 = 0x1;
inline constexpr size_t kSha384Size = 48;

enum class EifSectionType : uint16_t {
  kKernel = 1,
  kCmdline = 2,
  kRamdisk = 3,
  kSignature = 4,
  kMetadata = 5,
};

// "kernel", "cmdline", "ramdisk", "signature", "metadata".
const char* EifSectionTypeName(EifSectionType type);

// Upper bounds enforced by ParseEif before anything is copied.
struct EifParseLimits {
  uint64_t max_image_bytes = uint64_t{2} << 30;  // 2 GiB
  uint64_t max_kernel_bytes = uint64_t{256} << 20;
  uint64_t max_cmdline_bytes = 64 << 10;
  uint64_t max_ramdisk_bytes = uint64_t{1} << 30;
  uint64_t max_signature_bytes = 64 << 10;
  uint64_t max_metadata_bytes = 1 << 20;
};

struct EifSection {
  EifSectionType type;
  uint64_t offset = 0;  // of the section header within the file
  std::string data;
};

struct EifImage {
  uint16_t version = kEifVersion;
  uint16_t flags = 0;
  uint64_t default_memory = 0;
  uint64_t default_cpus = 0;
  uint32_t crc32 = 0;
  std::vector<EifSection> sections;  // in file order
};

using Pcr = std::array<uint8_t, kSha384Size>;

struct EifPcrs {
  Pcr pcr0{};
  Pcr pcr1{};
  Pcr pcr2{};
  std::optional<Pcr> pcr8;  // present iff the image has a signature section
};

// Updates a running IEEE CRC-32 (zlib crc32() semantics: pass 0 to start).
uint32_t Crc32Update(uint32_t crc, const uint8_t* data, size_t size);

// Parses and validates an EIF held in memory. Rejects (InvalidArgument, with
// the offending field in the message): a short buffer or one above
// limits.max_image_bytes; wrong magic; version != 4; unknown header flag
// bits; non-zero reserved/unused fields; a section count of 0 or above 32;
// non-zero offset/size table entries past the section count; sections that
// are not contiguous from byte 548 (gaps, overlaps, trailing bytes); a
// section header whose size differs from the table, with non-zero flags or an
// unknown type; a section above its per-type limit; not exactly one kernel,
// exactly one cmdline, at least one ramdisk, at most one signature and at
// most one metadata section; a cmdline or ramdisk before the kernel, or a
// ramdisk before the cmdline; a CRC32 mismatch (DataLoss).
absl::StatusOr<EifImage> ParseEif(absl::string_view bytes,
                                  const EifParseLimits& limits = {});

// Computes the PCRs a Nitro enclave booted from `image` reports. `image` must
// come from ParseEif (or satisfy the same section rules). Fails if a signature
// section is present but is not a CBOR array whose first element is a map
// holding "signing_certificate" (byte string or array of uint8) with a DER
// certificate OpenSSL can parse.
absl::StatusOr<EifPcrs> ComputeEifPcrs(const EifImage& image);

// SHA384(0^48 || SHA384(data)): the value of a fresh PCR extended once with
// the SHA-384 digest of `data`.
Pcr MeasureIntoFreshPcr(absl::string_view data);

// What BuildEif writes.
struct EifBuildSpec {
  std::string kernel;
  std::string cmdline;
  std::vector<std::string> ramdisks;     // at least one
  std::optional<std::string> metadata;   // written after the cmdline
  std::optional<std::string> signature;  // raw section bytes, written last
  uint16_t flags = 0;                    // kEifFlagArm64 or 0
  // nitro-cli's EifBuilder defaults: 1 GiB (stored in bytes) and 2 vCPUs.
  uint64_t default_memory = uint64_t{1} << 30;
  uint64_t default_cpus = 2;
};

// Serializes an EIF (version 4, sections kernel, cmdline, [metadata],
// ramdisks..., [signature]) with a correct CRC32. Fails if the kernel is
// empty, there is no ramdisk, more than 32 sections would be written, or a
// flag other than kEifFlagArm64 is set. The result parses with ParseEif.
absl::StatusOr<std::string> BuildEif(const EifBuildSpec& spec);

// Encodes a signature section in the nitro-cli layout: a CBOR array holding
// one map {"signing_certificate": bytes, "signature": bytes} where both are
// encoded as arrays of uint8 (serde_cbor's encoding of Vec<u8>). `signature`
// is stored as given (nitro-cli stores a COSE_Sign1 over PCR0); it is not
// verified by ComputeEifPcrs.
absl::StatusOr<std::string> EncodeSignatureSection(
    absl::string_view certificate_der, absl::string_view signature);

}  // namespace nitro_tss::eif

#endif  // NITRO_TSS_NODE_EIF_EIF_H_
