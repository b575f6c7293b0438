#include "node/eif/eif.h"

#include <cbor.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace nitro_tss::eif {
namespace {

// Header field offsets.
constexpr size_t kOffVersion = 4;
constexpr size_t kOffFlags = 6;
constexpr size_t kOffDefaultMemory = 8;
constexpr size_t kOffDefaultCpus = 16;
constexpr size_t kOffReserved = 24;
constexpr size_t kOffSectionCount = 26;
constexpr size_t kOffSectionOffsets = 28;
constexpr size_t kOffSectionSizes = kOffSectionOffsets + 8 * kEifMaxSections;
constexpr size_t kOffUnused = kOffSectionSizes + 8 * kEifMaxSections;
constexpr size_t kOffCrc = kOffUnused + 4;
static_assert(kOffCrc + 4 == kEifHeaderSize);

constexpr char kMagic[4] = {'.', 'e', 'i', 'f'};

uint16_t ReadU16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t ReadU32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
         uint32_t{p[3]};
}
uint64_t ReadU64(const uint8_t* p) {
  return uint64_t{ReadU32(p)} << 32 | uint64_t{ReadU32(p + 4)};
}
void PutU16(std::string& out, uint16_t v) {
  out.push_back(char(v >> 8));
  out.push_back(char(v));
}
void PutU32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(char(v >> s));
}
void PutU64(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(char(v >> s));
}
void SetU32(std::string& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = char(v >> (24 - 8 * i));
}
void SetU64(std::string& out, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[at + i] = char(v >> (56 - 8 * i));
}

const std::array<uint32_t, 256>& CrcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint64_t LimitFor(EifSectionType type, const EifParseLimits& limits) {
  switch (type) {
    case EifSectionType::kKernel:
      return limits.max_kernel_bytes;
    case EifSectionType::kCmdline:
      return limits.max_cmdline_bytes;
    case EifSectionType::kRamdisk:
      return limits.max_ramdisk_bytes;
    case EifSectionType::kSignature:
      return limits.max_signature_bytes;
    case EifSectionType::kMetadata:
      return limits.max_metadata_bytes;
  }
  return 0;
}

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("EIF: ", what));
}

struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

class Sha384 {
 public:
  Sha384() : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha384(), nullptr);
  }
  void Update(absl::string_view data) {
    EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
  }
  Pcr Final() {
    Pcr out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), out.data(), &len);
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter> ctx_;
};

Pcr ExtendFreshPcr(const Pcr& digest) {
  Sha384 h;
  Pcr zero{};
  h.Update(absl::string_view(reinterpret_cast<const char*>(zero.data()),
                             zero.size()));
  h.Update(absl::string_view(reinterpret_cast<const char*>(digest.data()),
                             digest.size()));
  return h.Final();
}

struct CborDeleter {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};

// Reads a byte string or (serde_cbor's Vec<u8>) an array of uint8.
absl::StatusOr<std::string> CborBytes(const cbor_item_t* item) {
  if (cbor_isa_bytestring(item) && cbor_bytestring_is_definite(item)) {
    return std::string(
        reinterpret_cast<const char*>(cbor_bytestring_handle(item)),
        cbor_bytestring_length(item));
  }
  if (cbor_isa_array(item) && cbor_array_is_definite(item)) {
    std::string out;
    cbor_item_t** elems = cbor_array_handle(item);
    for (size_t i = 0; i < cbor_array_size(item); ++i) {
      if (!cbor_isa_uint(elems[i]) || cbor_get_int(elems[i]) > 255) {
        return Invalid("signature: byte array element is not a uint8");
      }
      out.push_back(char(cbor_get_int(elems[i])));
    }
    return out;
  }
  return Invalid("signature: expected a byte string or an array of bytes");
}

absl::StatusOr<std::string> SigningCertificate(absl::string_view section) {
  cbor_load_result result{};
  std::unique_ptr<cbor_item_t, CborDeleter> root(cbor_load(
      reinterpret_cast<cbor_data>(section.data()), section.size(), &result));
  if (root == nullptr || result.error.code != CBOR_ERR_NONE) {
    return Invalid("signature section is not well-formed CBOR");
  }
  if (result.read != section.size()) {
    return Invalid("signature section has trailing bytes after its CBOR item");
  }
  if (!cbor_isa_array(root.get()) || !cbor_array_is_definite(root.get()) ||
      cbor_array_size(root.get()) < 1) {
    return Invalid("signature section is not a non-empty CBOR array");
  }
  const cbor_item_t* first = cbor_array_handle(root.get())[0];
  if (!cbor_isa_map(first) || !cbor_map_is_definite(first)) {
    return Invalid("signature entry is not a CBOR map");
  }
  const cbor_pair* pairs = cbor_map_handle(first);
  std::optional<std::string> cert;
  for (size_t i = 0; i < cbor_map_size(first); ++i) {
    const cbor_item_t* key = pairs[i].key;
    if (!cbor_isa_string(key) || !cbor_string_is_definite(key)) {
      return Invalid("signature entry has a non-text key");
    }
    absl::string_view name(
        reinterpret_cast<const char*>(cbor_string_handle(key)),
        cbor_string_length(key));
    if (name == "signing_certificate") {
      if (cert.has_value()) {
        return Invalid("signature entry repeats signing_certificate");
      }
      absl::StatusOr<std::string> der = CborBytes(pairs[i].value);
      if (!der.ok()) return der.status();
      cert = *std::move(der);
    }
  }
  if (!cert.has_value() || cert->empty()) {
    return Invalid("signature entry has no signing_certificate");
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(cert->data());
  X509* x509 = d2i_X509(nullptr, &p, static_cast<long>(cert->size()));
  bool consumed =
      x509 != nullptr &&
      p == reinterpret_cast<const unsigned char*>(cert->data()) + cert->size();
  X509_free(x509);
  if (!consumed) {
    return Invalid("signing_certificate is not a single DER certificate");
  }
  return *std::move(cert);
}

void CborHead(std::string& out, uint8_t major, uint64_t value) {
  uint8_t m = uint8_t(major << 5);
  if (value < 24) {
    out.push_back(char(m | value));
  } else if (value <= 0xff) {
    out.push_back(char(m | 24));
    out.push_back(char(value));
  } else if (value <= 0xffff) {
    out.push_back(char(m | 25));
    PutU16(out, uint16_t(value));
  } else if (value <= 0xffffffffu) {
    out.push_back(char(m | 26));
    PutU32(out, uint32_t(value));
  } else {
    out.push_back(char(m | 27));
    PutU64(out, value);
  }
}

void CborByteArray(std::string& out, absl::string_view bytes) {
  CborHead(out, 4, bytes.size());
  for (char c : bytes) CborHead(out, 0, uint8_t(c));
}

void CborText(std::string& out, absl::string_view text) {
  CborHead(out, 3, text.size());
  out.append(text.data(), text.size());
}

}  // namespace

const char* EifSectionTypeName(EifSectionType type) {
  switch (type) {
    case EifSectionType::kKernel:
      return "kernel";
    case EifSectionType::kCmdline:
      return "cmdline";
    case EifSectionType::kRamdisk:
      return "ramdisk";
    case EifSectionType::kSignature:
      return "signature";
    case EifSectionType::kMetadata:
      return "metadata";
  }
  return "unknown";
}

uint32_t Crc32Update(uint32_t crc, const uint8_t* data, size_t size) {
  const auto& table = CrcTable();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) {
    crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

absl::StatusOr<EifImage> ParseEif(absl::string_view bytes,
                                  const EifParseLimits& limits) {
  if (bytes.size() > limits.max_image_bytes) {
    return Invalid(absl::StrCat("image of ", bytes.size(),
                                " bytes exceeds the limit of ",
                                limits.max_image_bytes));
  }
  if (bytes.size() < kEifHeaderSize) {
    return Invalid(absl::StrCat("image of ", bytes.size(),
                                " bytes is shorter than the 548-byte header"));
  }
  const uint8_t* h = reinterpret_cast<const uint8_t*>(bytes.data());
  if (std::memcmp(h, kMagic, 4) != 0) {
    return Invalid("bad magic (expected \".eif\")");
  }
  EifImage image;
  image.version = ReadU16(h + kOffVersion);
  if (image.version != kEifVersion) {
    return Invalid(
        absl::StrCat("unsupported version ", image.version, " (expected 4)"));
  }
  image.flags = ReadU16(h + kOffFlags);
  if ((image.flags & ~kEifFlagArm64) != 0) {
    return Invalid(
        absl::StrCat("unknown header flags 0x", absl::Hex(image.flags)));
  }
  image.default_memory = ReadU64(h + kOffDefaultMemory);
  image.default_cpus = ReadU64(h + kOffDefaultCpus);
  if (ReadU16(h + kOffReserved) != 0) {
    return Invalid("reserved header field is not zero");
  }
  const uint16_t count = ReadU16(h + kOffSectionCount);
  if (count == 0 || count > kEifMaxSections) {
    return Invalid(absl::StrCat("section count ", count, " is outside 1..32"));
  }
  for (size_t i = count; i < kEifMaxSections; ++i) {
    if (ReadU64(h + kOffSectionOffsets + 8 * i) != 0 ||
        ReadU64(h + kOffSectionSizes + 8 * i) != 0) {
      return Invalid(absl::StrCat("section table entry ", i,
                                  " past the section count is not zero"));
    }
  }
  if (ReadU32(h + kOffUnused) != 0) {
    return Invalid("unused header field is not zero");
  }
  image.crc32 = ReadU32(h + kOffCrc);

  uint32_t crc = Crc32Update(0, h, kOffCrc);
  uint64_t expected_offset = kEifHeaderSize;
  int kernels = 0, cmdlines = 0, ramdisks = 0, signatures = 0, metadata = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint64_t offset = ReadU64(h + kOffSectionOffsets + 8 * i);
    const uint64_t size = ReadU64(h + kOffSectionSizes + 8 * i);
    if (offset < expected_offset) {
      return Invalid(absl::StrCat("section ", i, " at offset ", offset,
                                  " overlaps the previous data (expected ",
                                  expected_offset, ")"));
    }
    if (offset > expected_offset) {
      return Invalid(absl::StrCat("gap before section ", i, " at offset ",
                                  offset, " (expected ", expected_offset, ")"));
    }
    if (bytes.size() - offset < kEifSectionHeaderSize) {
      return Invalid(absl::StrCat("section ", i,
                                  " header runs past the end of the image"));
    }
    const uint8_t* sh = h + offset;
    const uint16_t raw_type = ReadU16(sh);
    const uint16_t section_flags = ReadU16(sh + 2);
    const uint64_t section_size = ReadU64(sh + 4);
    if (raw_type < 1 || raw_type > 5) {
      return Invalid(
          absl::StrCat("section ", i, " has unknown type ", raw_type));
    }
    const auto type = static_cast<EifSectionType>(raw_type);
    if (section_flags != 0) {
      return Invalid(absl::StrCat("section ", i, " has non-zero flags"));
    }
    if (section_size != size) {
      return Invalid(absl::StrCat("section ", i, " header size ", section_size,
                                  " differs from the header table size ",
                                  size));
    }
    if (size > LimitFor(type, limits)) {
      return Invalid(absl::StrCat(EifSectionTypeName(type), " section ", i,
                                  " of ", size, " bytes exceeds the limit of ",
                                  LimitFor(type, limits)));
    }
    const uint64_t data_offset = offset + kEifSectionHeaderSize;
    if (bytes.size() - data_offset < size) {
      return Invalid(
          absl::StrCat("section ", i, " data runs past the end of the image"));
    }
    switch (type) {
      case EifSectionType::kKernel:
        if (++kernels > 1) return Invalid("more than one kernel section");
        break;
      case EifSectionType::kCmdline:
        if (++cmdlines > 1) return Invalid("more than one cmdline section");
        if (kernels == 0) return Invalid("cmdline section before the kernel");
        break;
      case EifSectionType::kRamdisk:
        if (kernels == 0 || cmdlines == 0) {
          return Invalid("ramdisk section before the kernel and cmdline");
        }
        ++ramdisks;
        break;
      case EifSectionType::kSignature:
        if (++signatures > 1) return Invalid("more than one signature section");
        break;
      case EifSectionType::kMetadata:
        if (++metadata > 1) return Invalid("more than one metadata section");
        break;
    }
    crc = Crc32Update(crc, sh, kEifSectionHeaderSize + size);
    image.sections.push_back(
        EifSection{type, offset, std::string(bytes.substr(data_offset, size))});
    expected_offset = data_offset + size;
  }
  if (expected_offset != bytes.size()) {
    return Invalid(absl::StrCat(bytes.size() - expected_offset,
                                " trailing bytes after the last section"));
  }
  if (kernels != 1) return Invalid("no kernel section");
  if (cmdlines != 1) return Invalid("no cmdline section");
  if (ramdisks == 0) return Invalid("no ramdisk section");
  if (crc != image.crc32) {
    return absl::DataLossError(absl::StrCat(
        "EIF: CRC32 mismatch: header says 0x", absl::Hex(image.crc32),
        ", content is 0x", absl::Hex(crc)));
  }
  return image;
}

Pcr MeasureIntoFreshPcr(absl::string_view data) {
  Sha384 h;
  h.Update(data);
  return ExtendFreshPcr(h.Final());
}

absl::StatusOr<EifPcrs> ComputeEifPcrs(const EifImage& image) {
  Sha384 image_hash, bootstrap_hash, app_hash;
  bool seen_ramdisk = false;
  EifPcrs pcrs;
  for (const EifSection& s : image.sections) {
    switch (s.type) {
      case EifSectionType::kKernel:
      case EifSectionType::kCmdline:
        image_hash.Update(s.data);
        bootstrap_hash.Update(s.data);
        break;
      case EifSectionType::kRamdisk:
        image_hash.Update(s.data);
        (seen_ramdisk ? app_hash : bootstrap_hash).Update(s.data);
        seen_ramdisk = true;
        break;
      case EifSectionType::kSignature: {
        absl::StatusOr<std::string> cert = SigningCertificate(s.data);
        if (!cert.ok()) return cert.status();
        pcrs.pcr8 = MeasureIntoFreshPcr(*cert);
        break;
      }
      case EifSectionType::kMetadata:
        break;
    }
  }
  if (!seen_ramdisk) return Invalid("no ramdisk section");
  pcrs.pcr0 = ExtendFreshPcr(image_hash.Final());
  pcrs.pcr1 = ExtendFreshPcr(bootstrap_hash.Final());
  pcrs.pcr2 = ExtendFreshPcr(app_hash.Final());
  return pcrs;
}

absl::StatusOr<std::string> BuildEif(const EifBuildSpec& spec) {
  if (spec.kernel.empty()) return Invalid("build: the kernel is empty");
  if (spec.ramdisks.empty()) return Invalid("build: at least one ramdisk");
  if ((spec.flags & ~kEifFlagArm64) != 0) {
    return Invalid("build: unknown header flags");
  }
  std::vector<std::pair<EifSectionType, const std::string*>> sections;
  sections.emplace_back(EifSectionType::kKernel, &spec.kernel);
  sections.emplace_back(EifSectionType::kCmdline, &spec.cmdline);
  if (spec.metadata) {
    sections.emplace_back(EifSectionType::kMetadata, &*spec.metadata);
  }
  for (const std::string& r : spec.ramdisks) {
    sections.emplace_back(EifSectionType::kRamdisk, &r);
  }
  if (spec.signature) {
    sections.emplace_back(EifSectionType::kSignature, &*spec.signature);
  }
  if (sections.size() > kEifMaxSections) {
    return Invalid(absl::StrCat("build: ", sections.size(),
                                " sections exceed the maximum of 32"));
  }
  std::string out;
  out.append(kMagic, 4);
  PutU16(out, kEifVersion);
  PutU16(out, spec.flags);
  PutU64(out, spec.default_memory);
  PutU64(out, spec.default_cpus);
  PutU16(out, 0);
  PutU16(out, uint16_t(sections.size()));
  out.resize(kEifHeaderSize, '\0');
  uint64_t offset = kEifHeaderSize;
  for (size_t i = 0; i < sections.size(); ++i) {
    const std::string& data = *sections[i].second;
    SetU64(out, kOffSectionOffsets + 8 * i, offset);
    SetU64(out, kOffSectionSizes + 8 * i, data.size());
    PutU16(out, static_cast<uint16_t>(sections[i].first));
    PutU16(out, 0);
    PutU64(out, data.size());
    out.append(data);
    offset += kEifSectionHeaderSize + data.size();
  }
  const uint8_t* p = reinterpret_cast<const uint8_t*>(out.data());
  uint32_t crc = Crc32Update(0, p, kOffCrc);
  crc = Crc32Update(crc, p + kEifHeaderSize, out.size() - kEifHeaderSize);
  SetU32(out, kOffCrc, crc);
  return out;
}

absl::StatusOr<std::string> EncodeSignatureSection(
    absl::string_view certificate_der, absl::string_view signature) {
  if (certificate_der.empty()) {
    return Invalid("signature section: empty certificate");
  }
  std::string out;
  CborHead(out, 4, 1);  // array(1)
  CborHead(out, 5, 2);  // map(2)
  CborText(out, "signing_certificate");
  CborByteArray(out, certificate_der);
  CborText(out, "signature");
  CborByteArray(out, signature);
  return out;
}

}  // namespace nitro_tss::eif
