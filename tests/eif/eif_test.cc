// Tests for the EIF reader/writer and PCR computation (node/eif).
#include "node/eif/eif.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/escaping.h"
#include "node/attestation/measurement.h"
#include "node/eif/eif_command.h"

namespace nitro_tss::eif {
namespace {

using ::testing::HasSubstr;

// Bit-at-a-time CRC-32 (IEEE, reflected), written independently of the
// table-driven implementation under test.
uint32_t ReferenceCrc32(absl::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) {
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
  }
  return crc ^ 0xFFFFFFFFu;
}

// Independent PCR: SHA384(0^48 || SHA384(data)) with OpenSSL one-shot calls.
std::string ReferencePcrHex(const std::string& data) {
  unsigned char inner[SHA384_DIGEST_LENGTH];
  SHA384(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         inner);
  unsigned char buf[2 * SHA384_DIGEST_LENGTH] = {0};
  std::memcpy(buf + SHA384_DIGEST_LENGTH, inner, SHA384_DIGEST_LENGTH);
  unsigned char outer[SHA384_DIGEST_LENGTH];
  SHA384(buf, sizeof(buf), outer);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char*>(outer), sizeof(outer)));
}

std::string HexOf(const Pcr& pcr) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(pcr.data()), pcr.size()));
}

void PutU16At(std::string& s, size_t at, uint16_t v) {
  s[at] = char(v >> 8);
  s[at + 1] = char(v);
}
void PutU32At(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = char(v >> (24 - 8 * i));
}
void PutU64At(std::string& s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[at + i] = char(v >> (56 - 8 * i));
}
uint64_t GetU64At(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | uint8_t(s[at + i]);
  return v;
}

// Header offsets, restated from the format description.
constexpr size_t kVersion = 4, kFlags = 6, kMemory = 8, kCpus = 16,
                 kReserved = 24, kCount = 26, kOffsets = 28, kSizes = 28 + 256,
                 kUnused = 28 + 512, kCrc = 28 + 512 + 4;

// Recomputes the header CRC the way the format defines it, so tests can
// break exactly one other field.
void FixCrc(std::string& eif) {
  std::string covered = eif.substr(0, kCrc) + eif.substr(kEifHeaderSize);
  PutU32At(eif, kCrc, ReferenceCrc32(covered));
}

EifBuildSpec SampleSpec() {
  EifBuildSpec spec;
  spec.kernel = std::string(3000, 'K') + "bzImage-bytes";
  spec.cmdline = "reboot=k panic=30 pci=off nomodules console=ttyS0";
  spec.ramdisks = {std::string(5000, 'B') + "bootstrap-initrd",
                   std::string(7000, 'A') + "app-initrd-1", "app-initrd-2"};
  spec.metadata = R"({"ImageName":"nitro-tss-enclave"})";
  spec.default_memory = 2048;
  spec.default_cpus = 2;
  return spec;
}

std::string SampleEif() {
  absl::StatusOr<std::string> eif = BuildEif(SampleSpec());
  EXPECT_TRUE(eif.ok()) << eif.status();
  return *eif;
}

size_t SectionOffset(const std::string& eif, size_t i) {
  return GetU64At(eif, kOffsets + 8 * i);
}

TEST(Crc32, KnownVectorAndIncremental) {
  const std::string check = "123456789";
  EXPECT_EQ(Crc32Update(0, reinterpret_cast<const uint8_t*>(check.data()),
                        check.size()),
            0xCBF43926u);
  uint32_t crc =
      Crc32Update(0, reinterpret_cast<const uint8_t*>(check.data()), 4);
  crc = Crc32Update(crc, reinterpret_cast<const uint8_t*>(check.data()) + 4, 5);
  EXPECT_EQ(crc, 0xCBF43926u);
  EXPECT_EQ(ReferenceCrc32(check), 0xCBF43926u);
}

TEST(EifWriter, HeaderLayoutAndCrcCoverage) {
  const std::string eif = SampleEif();
  ASSERT_GE(eif.size(), kEifHeaderSize);
  EXPECT_EQ(eif.substr(0, 4), ".eif");
  EXPECT_EQ(uint8_t(eif[kVersion]) << 8 | uint8_t(eif[kVersion + 1]), 4);
  EXPECT_EQ(GetU64At(eif, kMemory), 2048u);
  EXPECT_EQ(GetU64At(eif, kCpus), 2u);
  EXPECT_EQ(uint8_t(eif[kCount + 1]), 6);  // kernel cmdline meta 3 ramdisks
  EXPECT_EQ(SectionOffset(eif, 0), kEifHeaderSize);
  // The CRC covers header bytes [0, 544) and every section header + data.
  const std::string covered = eif.substr(0, kCrc) + eif.substr(kEifHeaderSize);
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored = stored << 8 | uint8_t(eif[kCrc + i]);
  EXPECT_EQ(stored, ReferenceCrc32(covered));
}

TEST(EifReader, RoundTripsTheWriter) {
  const EifBuildSpec spec = SampleSpec();
  absl::StatusOr<EifImage> image = ParseEif(SampleEif());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->version, 4);
  EXPECT_EQ(image->flags, 0);
  EXPECT_EQ(image->default_memory, 2048u);
  EXPECT_EQ(image->default_cpus, 2u);
  ASSERT_EQ(image->sections.size(), 6u);
  EXPECT_EQ(image->sections[0].type, EifSectionType::kKernel);
  EXPECT_EQ(image->sections[0].data, spec.kernel);
  EXPECT_EQ(image->sections[1].type, EifSectionType::kCmdline);
  EXPECT_EQ(image->sections[1].data, spec.cmdline);
  EXPECT_EQ(image->sections[2].type, EifSectionType::kMetadata);
  EXPECT_EQ(image->sections[2].data, *spec.metadata);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(image->sections[3 + i].type, EifSectionType::kRamdisk);
    EXPECT_EQ(image->sections[3 + i].data, spec.ramdisks[i]);
  }
}

TEST(EifPcrs, MatchIndependentComputationOverRawBytes) {
  const EifBuildSpec spec = SampleSpec();
  absl::StatusOr<EifImage> image = ParseEif(SampleEif());
  ASSERT_TRUE(image.ok()) << image.status();
  absl::StatusOr<EifPcrs> pcrs = ComputeEifPcrs(*image);
  ASSERT_TRUE(pcrs.ok()) << pcrs.status();
  const std::string all = spec.kernel + spec.cmdline + spec.ramdisks[0] +
                          spec.ramdisks[1] + spec.ramdisks[2];
  EXPECT_EQ(HexOf(pcrs->pcr0), ReferencePcrHex(all));
  EXPECT_EQ(HexOf(pcrs->pcr1),
            ReferencePcrHex(spec.kernel + spec.cmdline + spec.ramdisks[0]));
  EXPECT_EQ(HexOf(pcrs->pcr2),
            ReferencePcrHex(spec.ramdisks[1] + spec.ramdisks[2]));
  EXPECT_FALSE(pcrs->pcr8.has_value());
}

TEST(EifPcrs, MetadataIsNotMeasuredButEveryMeasuredByteIs) {
  EifBuildSpec spec = SampleSpec();
  const EifPcrs base = *ComputeEifPcrs(*ParseEif(*BuildEif(spec)));
  spec.metadata = "different metadata";
  const EifPcrs meta = *ComputeEifPcrs(*ParseEif(*BuildEif(spec)));
  EXPECT_EQ(base.pcr0, meta.pcr0);
  EXPECT_EQ(base.pcr1, meta.pcr1);
  EXPECT_EQ(base.pcr2, meta.pcr2);
  spec.ramdisks[2] += "x";
  const EifPcrs app = *ComputeEifPcrs(*ParseEif(*BuildEif(spec)));
  EXPECT_NE(base.pcr0, app.pcr0);
  EXPECT_EQ(base.pcr1, app.pcr1);  // bootstrap unchanged
  EXPECT_NE(base.pcr2, app.pcr2);
  spec.cmdline += " quiet";
  const EifPcrs cmd = *ComputeEifPcrs(*ParseEif(*BuildEif(spec)));
  EXPECT_NE(app.pcr1, cmd.pcr1);
  EXPECT_EQ(app.pcr2, cmd.pcr2);
}

// The simulated NSM (node/attestation) measures images with its own code;
// an enclave booted from an EIF must report what `tssctl eif pcrs` prints.
TEST(EifPcrs, AgreeWithTheSimulatedNsmMeasurement) {
  const EifBuildSpec spec = SampleSpec();
  const EifPcrs pcrs = *ComputeEifPcrs(*ParseEif(*BuildEif(spec)));
  attestation::EnclaveImageParts parts;
  parts.kernel.assign(spec.kernel.begin(), spec.kernel.end());
  parts.cmdline.assign(spec.cmdline.begin(), spec.cmdline.end());
  for (const std::string& r : spec.ramdisks) {
    parts.ramdisks.emplace_back(r.begin(), r.end());
  }
  const attestation::BootMeasurements m =
      attestation::MeasureEnclaveImage(parts);
  EXPECT_EQ(std::vector<uint8_t>(pcrs.pcr0.begin(), pcrs.pcr0.end()), m.pcr0);
  EXPECT_EQ(std::vector<uint8_t>(pcrs.pcr1.begin(), pcrs.pcr1.end()), m.pcr1);
  EXPECT_EQ(std::vector<uint8_t>(pcrs.pcr2.begin(), pcrs.pcr2.end()), m.pcr2);
}

TEST(EifPcrs, SingleRamdiskGivesMeasurementOfNothingInPcr2) {
  EifBuildSpec spec = SampleSpec();
  spec.ramdisks.resize(1);
  const EifPcrs pcrs = *ComputeEifPcrs(*ParseEif(*BuildEif(spec)));
  EXPECT_EQ(HexOf(pcrs.pcr2), ReferencePcrHex(""));
  EXPECT_EQ(pcrs.pcr0, pcrs.pcr1);
}

std::string AwsRootDer() {
  FILE* f = std::fopen(
      "../shared/testdata/nitro/aws_nitro_enclaves_root_g1.pem", "r");
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return "";
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<char*>(der), len);
  OPENSSL_free(der);
  X509_free(cert);
  return out;
}

TEST(EifPcrs, Pcr8IsTheMeasurementOfTheSigningCertificate) {
  const std::string der = AwsRootDer();
  ASSERT_FALSE(der.empty());
  EifBuildSpec spec = SampleSpec();
  spec.signature = *EncodeSignatureSection(der, "cose-sign1-placeholder");
  absl::StatusOr<EifImage> image = ParseEif(*BuildEif(spec));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->sections.back().type, EifSectionType::kSignature);
  absl::StatusOr<EifPcrs> pcrs = ComputeEifPcrs(*image);
  ASSERT_TRUE(pcrs.ok()) << pcrs.status();
  ASSERT_TRUE(pcrs->pcr8.has_value());
  EXPECT_EQ(HexOf(*pcrs->pcr8), ReferencePcrHex(der));
}

TEST(EifPcrs, RejectsSignatureSectionWithoutCertificate) {
  EifBuildSpec spec = SampleSpec();
  spec.signature = *EncodeSignatureSection("not a certificate", "sig");
  absl::StatusOr<EifImage> image = ParseEif(*BuildEif(spec));
  ASSERT_TRUE(image.ok());
  EXPECT_THAT(ComputeEifPcrs(*image).status().message(),
              HasSubstr("not a single DER certificate"));
  spec.signature = std::string("\xa0", 1);  // empty map, not an array
  image = ParseEif(*BuildEif(spec));
  ASSERT_TRUE(image.ok());
  EXPECT_THAT(ComputeEifPcrs(*image).status().message(),
              HasSubstr("not a non-empty CBOR array"));
  spec.signature = std::string("\xff", 1);
  image = ParseEif(*BuildEif(spec));
  ASSERT_TRUE(image.ok());
  EXPECT_THAT(ComputeEifPcrs(*image).status().message(),
              HasSubstr("not well-formed CBOR"));
}

// Each case breaks exactly one thing (CRC recomputed unless the CRC is the
// thing under test) and expects that specific error.
struct Malformation {
  const char* name;
  std::function<void(std::string&)> mutate;
  const char* error;
  bool fix_crc = true;
};

void PrintTo(const Malformation& m, std::ostream* os) { *os << m.name; }

class EifMalformed : public ::testing::TestWithParam<Malformation> {};

TEST_P(EifMalformed, IsRejectedWithSpecificError) {
  std::string eif = SampleEif();
  GetParam().mutate(eif);
  if (GetParam().fix_crc && eif.size() >= kEifHeaderSize) FixCrc(eif);
  absl::StatusOr<EifImage> image = ParseEif(eif);
  ASSERT_FALSE(image.ok()) << GetParam().name;
  EXPECT_THAT(std::string(image.status().message()),
              HasSubstr(GetParam().error))
      << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    AllFields, EifMalformed,
    ::testing::Values(
        Malformation{"Truncated", [](std::string& e) { e.resize(547); },
                     "shorter than the 548-byte header", false},
        Malformation{"Magic", [](std::string& e) { e[1] = 'E'; }, "bad magic"},
        Malformation{"Version",
                     [](std::string& e) { PutU16At(e, kVersion, 3); },
                     "unsupported version 3"},
        Malformation{"Flags", [](std::string& e) { PutU16At(e, kFlags, 2); },
                     "unknown header flags"},
        Malformation{"Reserved",
                     [](std::string& e) { PutU16At(e, kReserved, 1); },
                     "reserved header field"},
        Malformation{"ZeroSections",
                     [](std::string& e) { PutU16At(e, kCount, 0); },
                     "section count 0"},
        Malformation{"TooManySections",
                     [](std::string& e) { PutU16At(e, kCount, 33); },
                     "section count 33"},
        Malformation{"StaleTableEntry",
                     [](std::string& e) { PutU64At(e, kSizes + 8 * 31, 1); },
                     "entry 31 past the section count"},
        Malformation{"Unused", [](std::string& e) { PutU32At(e, kUnused, 7); },
                     "unused header field"},
        Malformation{"Overlap",
                     [](std::string& e) {
                       PutU64At(e, kOffsets + 8, SectionOffset(e, 1) - 1);
                     },
                     "overlaps the previous data"},
        Malformation{"Gap",
                     [](std::string& e) {
                       PutU64At(e, kOffsets + 8, SectionOffset(e, 1) + 1);
                     },
                     "gap before section 1"},
        Malformation{"TableSizeMismatch",
                     [](std::string& e) {
                       PutU64At(e, kSizes, GetU64At(e, kSizes) + 1);
                     },
                     "differs from the header table size"},
        Malformation{
            "SectionFlags",
            [](std::string& e) { PutU16At(e, SectionOffset(e, 1) + 2, 1); },
            "section 1 has non-zero flags"},
        Malformation{
            "UnknownType",
            [](std::string& e) { PutU16At(e, SectionOffset(e, 2), 9); },
            "unknown type 9"},
        Malformation{
            "InvalidTypeZero",
            [](std::string& e) { PutU16At(e, SectionOffset(e, 2), 0); },
            "unknown type 0"},
        Malformation{
            "TwoKernels",
            [](std::string& e) { PutU16At(e, SectionOffset(e, 1), 1); },
            "more than one kernel"},
        Malformation{
            "CmdlineFirst",
            [](std::string& e) { PutU16At(e, SectionOffset(e, 0), 2); },
            "cmdline section before the kernel"},
        Malformation{
            "TwoMetadata",
            [](std::string& e) { PutU16At(e, SectionOffset(e, 1), 5); },
            "more than one metadata"},
        Malformation{"TwoSignatures",
                     [](std::string& e) {
                       for (int i = 3; i < 6; ++i) {
                         PutU16At(e, SectionOffset(e, i), 4);
                       }
                     },
                     "more than one signature"},
        Malformation{"TrailingBytes", [](std::string& e) { e += "x"; },
                     "1 trailing bytes"},
        Malformation{"DataTruncated",
                     [](std::string& e) { e.resize(e.size() - 1); },
                     "section 5 data runs past the end"},
        Malformation{"CrcField", [](std::string& e) { e[kCrc + 3] ^= 1; },
                     "CRC32 mismatch", false},
        Malformation{"MeasuredByteFlipped",
                     [](std::string& e) { e[kEifHeaderSize + 20] ^= 0x40; },
                     "CRC32 mismatch", false},
        Malformation{"DefaultMemoryFlipped",
                     [](std::string& e) { e[kMemory + 7] ^= 1; },
                     "CRC32 mismatch", false}),
    [](const ::testing::TestParamInfo<Malformation>& info) {
      return std::string(info.param.name);
    });

// Seeds written by an independent Python writer (struct + zlib.crc32), so
// accepting them cross-checks the CRC coverage and the layout.
TEST(EifReader, AcceptsImagesFromAnIndependentWriter) {
  const std::string dir = "tests/fuzz/eif/corpus/eif_parse_fuzz/";
  for (const char* name :
       {"valid_two_ramdisks.eif", "valid_one_ramdisk_arm64.eif"}) {
    std::ifstream in(dir + name, std::ios::binary);
    ASSERT_TRUE(in) << name;
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    absl::StatusOr<EifImage> image = ParseEif(bytes);
    ASSERT_TRUE(image.ok()) << name << ": " << image.status();
    ASSERT_TRUE(ComputeEifPcrs(*image).ok()) << name;
  }
  std::ifstream in(dir + "valid_two_ramdisks.eif", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  const EifPcrs pcrs = *ComputeEifPcrs(*ParseEif(bytes));
  EXPECT_EQ(HexOf(pcrs.pcr0), ReferencePcrHex("kernelconsole=ttyS0bootapp"));
  EXPECT_EQ(HexOf(pcrs.pcr1), ReferencePcrHex("kernelconsole=ttyS0boot"));
  EXPECT_EQ(HexOf(pcrs.pcr2), ReferencePcrHex("app"));
}

TEST(EifReader, CrcMismatchIsDataLoss) {
  std::string eif = SampleEif();
  eif.back() ^= 1;
  EXPECT_EQ(ParseEif(eif).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EifReader, RequiresKernelCmdlineAndRamdisk) {
  // Build valid one-ramdisk images and retype sections so exactly one
  // required section kind disappears.
  EifBuildSpec spec = SampleSpec();
  spec.metadata.reset();
  spec.ramdisks.resize(1);
  std::string eif = *BuildEif(spec);
  std::string no_ramdisk = eif;
  PutU16At(no_ramdisk, SectionOffset(no_ramdisk, 2), 5);
  FixCrc(no_ramdisk);
  EXPECT_THAT(ParseEif(no_ramdisk).status().message(),
              HasSubstr("no ramdisk section"));
  std::string no_cmdline = eif;
  PutU16At(no_cmdline, SectionOffset(no_cmdline, 1), 5);
  FixCrc(no_cmdline);
  EXPECT_THAT(ParseEif(no_cmdline).status().message(),
              HasSubstr("ramdisk section before the kernel and cmdline"));
}

TEST(EifReader, EnforcesSizeLimits) {
  const std::string eif = SampleEif();
  EifParseLimits limits;
  limits.max_image_bytes = eif.size() - 1;
  EXPECT_THAT(ParseEif(eif, limits).status().message(),
              HasSubstr("exceeds the limit"));
  limits = EifParseLimits();
  limits.max_cmdline_bytes = 8;
  EXPECT_THAT(ParseEif(eif, limits).status().message(),
              HasSubstr("cmdline section 1 of"));
  limits = EifParseLimits();
  limits.max_ramdisk_bytes = 1000;
  EXPECT_THAT(ParseEif(eif, limits).status().message(),
              HasSubstr("ramdisk section 3 of"));
  // A table size near 2^64 must not wrap around the bounds check.
  std::string huge = eif;
  PutU64At(huge, kSizes, ~uint64_t{0} - 5);
  PutU64At(huge, kEifHeaderSize + 4, ~uint64_t{0} - 5);
  FixCrc(huge);
  EXPECT_FALSE(ParseEif(huge).ok());
}

TEST(EifWriter, RejectsIncompleteSpecs) {
  EifBuildSpec spec = SampleSpec();
  spec.kernel.clear();
  EXPECT_FALSE(BuildEif(spec).ok());
  spec = SampleSpec();
  spec.ramdisks.clear();
  EXPECT_FALSE(BuildEif(spec).ok());
  spec = SampleSpec();
  spec.ramdisks.assign(31, "r");
  EXPECT_THAT(BuildEif(spec).status().message(), HasSubstr("exceed"));
  spec = SampleSpec();
  spec.flags = 4;
  EXPECT_FALSE(BuildEif(spec).ok());
  spec = SampleSpec();
  spec.flags = kEifFlagArm64;
  absl::StatusOr<EifImage> arm = ParseEif(*BuildEif(spec));
  ASSERT_TRUE(arm.ok());
  EXPECT_EQ(arm->flags, kEifFlagArm64);
}

// ---- CLI ----

class EifCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("eif_cmd_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunEifCommand(args, out_, err_);
  }
  std::filesystem::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(EifCommandTest, PcrsPrintsJson) {
  const EifBuildSpec spec = SampleSpec();
  const std::string path = Write("a.eif", SampleEif());
  ASSERT_EQ(Run({"pcrs", path}), kEifExitOk) << err_.str();
  const std::string json = out_.str();
  const std::string all = spec.kernel + spec.cmdline + spec.ramdisks[0] +
                          spec.ramdisks[1] + spec.ramdisks[2];
  EXPECT_THAT(json, HasSubstr("\"PCR0\":\"" + ReferencePcrHex(all) + "\""));
  EXPECT_THAT(
      json,
      HasSubstr("\"PCR2\":\"" +
                ReferencePcrHex(spec.ramdisks[1] + spec.ramdisks[2]) + "\""));
  EXPECT_THAT(json,
              HasSubstr("\"sections\":[{\"type\":\"kernel\",\"offset\":548"));
  EXPECT_THAT(json, HasSubstr("\"default_memory\":2048"));
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.substr(json.size() - 2), "}\n");
}

TEST_F(EifCommandTest, ExitCodes) {
  EXPECT_EQ(Run({"--help"}), kEifExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("tssctl eif pcrs FILE"));
  EXPECT_EQ(Run({}), kEifExitUsage);
  EXPECT_EQ(Run({"pcrs"}), kEifExitUsage);
  EXPECT_EQ(Run({"frobnicate"}), kEifExitUsage);
  EXPECT_EQ(Run({"pcrs", (dir_ / "missing.eif").string()}), kEifExitUsage);
  std::string bad = SampleEif();
  bad[600] ^= 1;
  EXPECT_EQ(Run({"pcrs", Write("bad.eif", bad)}), kEifExitFailure);
  EXPECT_THAT(err_.str(), HasSubstr("CRC32 mismatch"));
  EXPECT_TRUE(out_.str().empty());
  EXPECT_EQ(Run({"build", "--kernel"}), kEifExitUsage);
  EXPECT_EQ(Run({"build", "--bogus", "x"}), kEifExitUsage);
}

TEST_F(EifCommandTest, BuildThenPcrsAgree) {
  const std::string kernel = Write("kernel", "kernel-bytes");
  const std::string boot = Write("boot.cpio", "bootstrap-ramdisk");
  const std::string app = Write("app.cpio", "application-ramdisk");
  const std::string out = (dir_ / "built.eif").string();
  ASSERT_EQ(Run({"build", "--kernel", kernel, "--cmdline", "console=ttyS0",
                 "--ramdisk", boot, "--ramdisk", app, "--memory", "512",
                 "--cpus", "2", "--out", out}),
            kEifExitOk)
      << err_.str();
  const std::string built_json = out_.str();
  EXPECT_THAT(built_json, HasSubstr("\"default_memory\":536870912,"));
  EXPECT_THAT(built_json, HasSubstr("\"default_cpus\":2,"));
  EXPECT_THAT(built_json, HasSubstr(ReferencePcrHex("kernel-bytesconsole=ttyS0"
                                                    "bootstrap-ramdisk")));
  ASSERT_EQ(Run({"pcrs", out}), kEifExitOk) << err_.str();
  EXPECT_EQ(out_.str(), built_json);
  // Issue 13: --output text (common/cli.h) prints "path: value" lines.
  ASSERT_EQ(Run({"pcrs", out, "--output", "text"}), kEifExitOk) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\ndefault_cpus: 2\n"));
  EXPECT_THAT(out_.str(), HasSubstr("sections[0].type: "));
  EXPECT_EQ(Run({"pcrs", out, "--output", "yaml"}), kEifExitUsage);
  EXPECT_EQ(Run({"build", "--kernel", (dir_ / "nope").string(), "--cmdline", "",
                 "--ramdisk", boot, "--out", out}),
            kEifExitUsage);
  EXPECT_EQ(Run({"build", "--kernel", kernel, "--cmdline",
                 std::string(70000, 'c'), "--ramdisk", boot, "--out", out}),
            kEifExitFailure);
}

}  // namespace
}  // namespace nitro_tss::eif
