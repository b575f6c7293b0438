#include "tools/tssctl/attestation_command.h"

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/json.h"
#include "node/attestation/aws_root.h"
#include "node/attestation/document.h"
#include "node/attestation/errors.h"
#include "node/attestation/verifier.h"
#include "node/attestation/x509_util.h"

namespace nitro_tss::tssctl {
namespace {

namespace att = nitro_tss::attestation;
using json::Value;

constexpr size_t kMaxDocumentFileBytes = att::kMaxDocumentBytes;
constexpr size_t kMaxPemFileBytes = 64 * 1024;

constexpr char kVerifyDescription[] =
    "Verifies a raw (CBOR COSE_Sign1) Nitro attestation document: the ES384\n"
    "signature, the certificate chain to the pinned root, certificate\n"
    "validity at the verification time, then the policy given by the flags.\n"
    "Prints the decoded document and the verdict as JSON.";

struct VerifyFlags {
  std::string document;
  std::string root;
  int64_t at_ms = 0;
  std::vector<std::string> pcrs;
  bool allow_any_image = false;
  bool allow_debug = false;
  std::string nonce;
  int64_t max_age_ms = 0;
  CLI::Option* root_opt = nullptr;
  CLI::Option* at_opt = nullptr;
  CLI::Option* nonce_opt = nullptr;
  CLI::Option* max_age_opt = nullptr;
};

absl::StatusOr<std::vector<uint8_t>> LoadPemCertificateDer(
    const std::string& path) {
  auto pem = ReadFileLimited(path, kMaxPemFileBytes);
  if (!pem.ok()) return pem.status();
  BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
  X509* cert =
      bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' holds no PEM certificate"));
  }
  att::X509Ptr owned(cert);
  return att::CertificateToDer(cert);
}

Value OptionalHex(const std::optional<std::vector<uint8_t>>& v) {
  return v.has_value() ? Value::String(EncodeHex(*v)) : Value::Null();
}

std::string NameOf(X509_NAME* name) {
  char buf[512] = {0};
  X509_NAME_oneline(name, buf, sizeof(buf));
  return buf;
}

Value CertificateJson(const std::vector<uint8_t>& der) {
  Value c = Value::MakeObject();
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(der.data(), der.size(), digest);
  c.Set("sha256", Value::String(EncodeHex(
                      std::vector<uint8_t>(digest, digest + sizeof(digest)))));
  auto cert = att::ParseDerCertificate(der);
  if (!cert.ok()) {
    c.Set("parse_error", Value::String(std::string(cert.status().message())));
    return c;
  }
  c.Set("subject", Value::String(NameOf(X509_get_subject_name(cert->get()))));
  c.Set("issuer", Value::String(NameOf(X509_get_issuer_name(cert->get()))));
  auto nb = att::Asn1TimeToUnixMs(X509_get0_notBefore(cert->get()));
  auto na = att::Asn1TimeToUnixMs(X509_get0_notAfter(cert->get()));
  if (nb.ok()) c.Set("not_before", Value::String(att::FormatUnixMs(*nb)));
  if (na.ok()) c.Set("not_after", Value::String(att::FormatUnixMs(*na)));
  return c;
}

Value DocumentJson(const att::AttestationDocument& doc) {
  Value d = Value::MakeObject();
  d.Set("module_id", Value::String(doc.module_id));
  d.Set("digest", Value::String(doc.digest));
  d.Set("timestamp_ms", Value::Int(static_cast<int64_t>(doc.timestamp_ms)));
  d.Set(
      "timestamp",
      Value::String(att::FormatUnixMs(static_cast<int64_t>(doc.timestamp_ms))));
  d.Set("tagged", Value::Bool(doc.cose.tagged));
  Value pcrs = Value::MakeObject();
  for (const auto& [index, value] : doc.pcrs) {
    pcrs.Set(absl::StrCat(index), Value::String(EncodeHex(value)));
  }
  d.Set("pcrs", std::move(pcrs));
  d.Set("certificate", CertificateJson(doc.certificate));
  Value bundle = Value::MakeArray();
  for (const auto& cert : doc.cabundle) bundle.Append(CertificateJson(cert));
  d.Set("cabundle", std::move(bundle));
  d.Set("public_key", OptionalHex(doc.public_key));
  d.Set("user_data", OptionalHex(doc.user_data));
  d.Set("nonce", OptionalHex(doc.nonce));
  return d;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int RunAttestationVerify(const VerifyFlags& flags, const CommandContext& ctx) {
  std::ostream& out = *ctx.out;
  std::ostream& err = *ctx.err;
  auto usage = [&](const std::string& message) {
    return UsageError(ctx, "tssctl attestation verify", message);
  };
  att::VerifyOptions options;
  att::AttestationPolicy policy;
  if (flags.root_opt->count() > 0) {
    auto root = LoadPemCertificateDer(flags.root);
    if (!root.ok()) {
      return usage(absl::StrCat("--root: ", root.status().message()));
    }
    options.root_der = std::move(*root);
  } else {
    options.root_der = att::AwsNitroRootG1Der();
  }
  options.now_ms = NowMs();
  if (flags.at_opt->count() > 0) {
    if (flags.at_ms < 0)
      return usage("--at must be a non-negative integer (ms)");
    options.now_ms = flags.at_ms;
  }
  for (const std::string& spec : flags.pcrs) {
    const size_t eq = spec.find('=');
    int index = -1;
    if (eq == std::string::npos ||
        !absl::SimpleAtoi(spec.substr(0, eq), &index) || index < 0 ||
        index > att::kMaxPcrIndex) {
      return usage(
          absl::StrCat("--pcr '", spec, "' must be N=HEX with N in 0..31"));
    }
    auto value = DecodeHex(spec.substr(eq + 1));
    if (!value.ok() || value->size() != att::kPcrBytes) {
      return usage(
          absl::StrCat("--pcr ", index, " needs 96 hex digits (48 bytes)"));
    }
    if (policy.expected_pcrs.count(index)) {
      return usage(absl::StrCat("--pcr ", index, " given twice"));
    }
    policy.expected_pcrs[index] = std::move(*value);
  }
  policy.allow_debug = flags.allow_debug;
  const bool any_image = flags.allow_any_image;
  if (!any_image) {
    // A policy that pins no image accepts every non-debug image (issue 12,
    // finding 5a): only on explicit request.
    if (absl::Status pinned = att::CheckPolicyPinsImage(policy); !pinned.ok()) {
      return usage(absl::StrCat(pinned.message(),
                                "; give --pcr 0=HEX (or 2=/8=), or "
                                "--allow-any-image to inspect only"));
    }
  }
  if (flags.nonce_opt->count() > 0) {
    auto nonce = DecodeHex(flags.nonce);
    if (!nonce.ok()) {
      return usage(absl::StrCat("--nonce: ", nonce.status().message()));
    }
    policy.expected_nonce = std::move(*nonce);
  }
  if (flags.max_age_opt->count() > 0) {
    if (flags.max_age_ms < 0) {
      return usage("--max-age-ms must be a non-negative integer");
    }
    policy.max_age_ms = flags.max_age_ms;
  }
  auto bytes = ReadFileLimited(flags.document, kMaxDocumentFileBytes);
  if (!bytes.ok()) {
    return usage(absl::StrCat("--document: ", bytes.status().message()));
  }

  auto verified = att::VerifyAttestationDocument(*bytes, options, policy);
  Value result = Value::MakeObject();
  result.Set("verdict", Value::String(verified.ok() ? "valid" : "invalid"));
  if (verified.ok()) {
    result.Set("error", Value::Null());
    result.Set("document", DocumentJson(*verified));
  } else {
    Value error = Value::MakeObject();
    error.Set("code", Value::String(att::VerifyErrorName(
                          att::GetVerifyError(verified.status()))));
    error.Set("message",
              Value::String(std::string(verified.status().message())));
    result.Set("error", std::move(error));
    // Show what the document claims when it at least parses (unverified).
    auto parsed = att::ParseAttestationDocument(*bytes);
    result.Set("document", parsed.ok() ? DocumentJson(*parsed) : Value::Null());
  }
  Value verification = Value::MakeObject();
  verification.Set("at_ms", Value::Int(options.now_ms));
  verification.Set("at", Value::String(att::FormatUnixMs(options.now_ms)));
  uint8_t root_digest[SHA256_DIGEST_LENGTH];
  SHA256(options.root_der.data(), options.root_der.size(), root_digest);
  verification.Set("root_sha256",
                   Value::String(EncodeHex(std::vector<uint8_t>(
                       root_digest, root_digest + sizeof(root_digest)))));
  verification.Set("allow_debug", Value::Bool(policy.allow_debug));
  Value pinned = Value::MakeArray();
  for (const auto& [index, value] : policy.expected_pcrs) {
    pinned.Append(Value::Int(index));
  }
  verification.Set("pinned_pcrs", std::move(pinned));
  verification.Set("any_image", Value::Bool(any_image));
  verification.Set("nonce_checked",
                   Value::Bool(policy.expected_nonce.has_value()));
  result.Set("verification", std::move(verification));
  cli::PrintResult(result, *ctx.output, out);
  if (!verified.ok()) {
    err << "tssctl: " << verified.status().message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void AddAttestationCommands(CLI::App& tssctl, const CommandContext& ctx) {
  CLI::App* group = tssctl.add_subcommand(
      "attestation", "Verify and inspect Nitro attestation documents");
  group->require_subcommand(1);
  group->footer("Run 'tssctl attestation <command> --help' for its flags.");

  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = group->add_subcommand(
      "verify", "Verify a Nitro attestation document and print it as JSON");
  verify->footer(absl::StrCat(kVerifyDescription,
                              "\n\nExit codes: 0 valid, 1 invalid, 2 usage "
                              "error."));
  cli::AddValue(*verify, "--document", &flags->document, "FILE",
                "attestation document (raw CBOR)")
      ->required();
  flags->root_opt =
      cli::AddValue(*verify, "--root", &flags->root, "PEM",
                    "pinned root certificate (default: built-in AWS Nitro "
                    "Enclaves Root G1)");
  flags->at_opt =
      cli::AddValue(*verify, "--at", &flags->at_ms, "UNIX_MS",
                    "verification time in ms since the epoch (default: now)");
  cli::AddValue(*verify, "--pcr", &flags->pcrs, "N=HEX",
                "expected value of PCR N (repeatable); at least one of "
                "PCR0, PCR2 or PCR8 (pins the image) unless "
                "--allow-any-image")
      ->take_all();
  cli::AddSwitch(*verify, "--allow-any-image", &flags->allow_any_image,
                 "verify without pinning an image (inspection only: any "
                 "non-debug image is then 'valid')");
  cli::AddSwitch(*verify, "--allow-debug", &flags->allow_debug,
                 "accept debug-mode enclaves (all-zero PCR0)");
  flags->nonce_opt =
      cli::AddValue(*verify, "--nonce", &flags->nonce, "HEX", "expected nonce");
  flags->max_age_opt =
      cli::AddValue(*verify, "--max-age-ms", &flags->max_age_ms, "MS",
                    "reject documents older than MS at the verification "
                    "time");
  verify->callback(
      [flags, ctx] { *ctx.exit_code = RunAttestationVerify(*flags, ctx); });

  AddAttestationDevCommands(*group, ctx);
}

}  // namespace nitro_tss::tssctl
