#include "tools/tssctl/approve_command.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/json.h"
#include "tools/tssctl/approval_signer.h"

namespace nitro_tss::tssctl {
namespace {

using json::Value;

constexpr char kCommand[] = "tssctl approve";
constexpr size_t kNonceBytes = 32;
// --expires-in at most this (the enclave's default maximum validity).
constexpr int64_t kMaxExpiresInSeconds =
    static_cast<int64_t>(approval::kDefaultMaxValidityMs / 1000);

constexpr char kDescription[] =
    "Signs the canonical approval of one request (node/approval: key id,\n"
    "operation, hash function, digest, derivation path, expiry, nonce) with\n"
    "an approver's key file, an unencrypted PKCS#8 PEM Ed25519 or ECDSA\n"
    "P-256 key (`openssl genpkey -algorithm ed25519 -out KEY`), and writes\n"
    "an ApprovalBundle (approval/v1) for the sign request.\n"
    "\n"
    "The first approver gives --expiry-unix-ms or --expires-in (and\n"
    "optionally --nonce; a random one otherwise); each further approver\n"
    "passes the previous bundle as --bundle-in and so signs the same expiry\n"
    "and nonce. Enclaves refuse approvals that expire more than 24 h ahead\n"
    "(their default maximum validity).\n"
    "\n"
    "PKCS#11 tokens (YubiKey PIV, HSMs) are not used directly: sign the\n"
    "approval message printed here with the token's tool (node/approval/\n"
    "policy.h lists the commands).";

struct ApproveFlags {
  std::string key_file;
  std::string key_id;
  std::string digest;
  std::string hash;
  std::string operation = "sign";
  std::string derivation_path = "m";
  int64_t expiry_unix_ms = 0;
  int64_t expires_in = 0;
  std::string nonce;
  std::string bundle_in;
  std::string out;
  std::string format = "binary";
  CLI::Option* expiry_opt = nullptr;
  CLI::Option* expires_in_opt = nullptr;
  CLI::Option* nonce_opt = nullptr;
  CLI::Option* bundle_in_opt = nullptr;
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

BundleFormat FormatOf(const std::string& name) {
  return name == "text"   ? BundleFormat::kText
         : name == "json" ? BundleFormat::kJson
                          : BundleFormat::kBinary;
}

template <size_t N>
absl::StatusOr<std::array<uint8_t, N>> Fixed(const std::string& hex) {
  auto bytes = DecodeHex(hex);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != N) {
    return absl::InvalidArgumentError(absl::StrCat(
        "must be ", N, " bytes (", 2 * N, " hex digits), got ", bytes->size()));
  }
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

template <size_t N>
std::string HexOf(const std::array<uint8_t, N>& a) {
  return EncodeHex(std::vector<uint8_t>(a.begin(), a.end()));
}

int RunApprove(const ApproveFlags& flags, const CommandContext& ctx) {
  auto usage = [&](const std::string& message) {
    return UsageError(ctx, kCommand, message);
  };
  approval::ApprovalRequest request;
  {
    auto key_id = Fixed<approval::kKeyIdBytes>(flags.key_id);
    if (!key_id.ok()) {
      return usage(absl::StrCat("--key-id: ", key_id.status().message()));
    }
    request.key_id = *key_id;
    auto digest = Fixed<approval::kMessageDigestBytes>(flags.digest);
    if (!digest.ok()) {
      return usage(absl::StrCat("--digest: ", digest.status().message()));
    }
    request.message_digest = *digest;
  }
  auto hash = ParseHashFunction(flags.hash);
  if (!hash.ok())
    return usage(absl::StrCat("--hash: ", hash.status().message()));
  request.hash_function = *hash;
  auto operation = ParseOperation(flags.operation);
  if (!operation.ok()) {
    return usage(absl::StrCat("--operation: ", operation.status().message()));
  }
  request.operation = *operation;
  auto path = ParseDerivationPath(flags.derivation_path);
  if (!path.ok()) {
    return usage(absl::StrCat("--derivation-path: ", path.status().message()));
  }
  request.derivation_path = std::move(*path);
  const BundleFormat format = FormatOf(flags.format);

  // Expiry and nonce: from --bundle-in, or from the flags.
  approval::ApprovalBundle bundle;
  const int64_t now = NowMs();
  if (flags.bundle_in_opt->count() > 0) {
    if (flags.expiry_opt->count() + flags.expires_in_opt->count() +
            flags.nonce_opt->count() >
        0) {
      return usage(
          "--bundle-in: the expiry and nonce come from the bundle; do not "
          "give --expiry-unix-ms, --expires-in or --nonce");
    }
    const size_t limit = format == BundleFormat::kBinary
                             ? approval::kMaxBundleMessageBytes
                             : kMaxBundleTextBytes;
    auto bytes = ReadFileLimited(flags.bundle_in, limit);
    if (!bytes.ok()) {
      return usage(absl::StrCat("--bundle-in: ", bytes.status().message()));
    }
    auto parsed = ParseBundle(
        absl::string_view(reinterpret_cast<const char*>(bytes->data()),
                          bytes->size()),
        format);
    if (!parsed.ok()) {
      return usage(absl::StrCat("--bundle-in: ", parsed.status().message(),
                                " (--format ", flags.format, ")"));
    }
    bundle = std::move(*parsed);
  } else {
    if (flags.expiry_opt->count() + flags.expires_in_opt->count() != 1) {
      return usage(
          "give exactly one of --expiry-unix-ms, --expires-in and "
          "--bundle-in");
    }
    if (flags.expires_in_opt->count() > 0) {
      if (flags.expires_in <= 0 || flags.expires_in > kMaxExpiresInSeconds) {
        return usage(absl::StrCat("--expires-in must be 1..",
                                  kMaxExpiresInSeconds, " seconds"));
      }
      bundle.expiry_unix_ms =
          static_cast<uint64_t>(now + flags.expires_in * 1000);
    } else {
      if (flags.expiry_unix_ms <= 0) {
        return usage("--expiry-unix-ms must be a positive integer");
      }
      bundle.expiry_unix_ms = static_cast<uint64_t>(flags.expiry_unix_ms);
    }
    if (flags.nonce_opt->count() > 0) {
      auto nonce = DecodeHex(flags.nonce);
      if (!nonce.ok()) {
        return usage(absl::StrCat("--nonce: ", nonce.status().message()));
      }
      if (nonce->size() < approval::kMinNonceBytes ||
          nonce->size() > approval::kMaxNonceBytes) {
        return usage(absl::StrCat("--nonce must be ", approval::kMinNonceBytes,
                                  "..", approval::kMaxNonceBytes,
                                  " bytes, got ", nonce->size()));
      }
      bundle.nonce = std::move(*nonce);
    } else {
      bundle.nonce.resize(kNonceBytes);
      if (RAND_bytes(bundle.nonce.data(), static_cast<int>(kNonceBytes)) != 1) {
        *ctx.err << "tssctl: cannot draw a random nonce\n";
        return kExitFailure;
      }
    }
  }
  if (bundle.expiry_unix_ms <= static_cast<uint64_t>(now)) {
    return usage(absl::StrCat("the request expired at ", bundle.expiry_unix_ms,
                              " ms (now ", now, " ms): nothing to approve"));
  }
  if (bundle.expiry_unix_ms >
      static_cast<uint64_t>(now) + approval::kDefaultMaxValidityMs) {
    *ctx.err << "tssctl: warning: the request expires more than 24 h from "
                "now; enclaves with the default maximum validity refuse it\n";
  }
  request.expiry_unix_ms = bundle.expiry_unix_ms;
  request.nonce = bundle.nonce;
  if (absl::Status valid = approval::ValidateRequest(request); !valid.ok()) {
    return usage(std::string(valid.message()));
  }

  // The key.
  struct stat st {};
  if (::stat(flags.key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    *ctx.err << "tssctl: warning: --key-file '" << flags.key_file
             << "' is readable by other users (chmod 600 it)\n";
  }
  auto pem = ReadFileLimited(flags.key_file, kMaxKeyFileBytes);
  if (!pem.ok()) {
    return usage(absl::StrCat("--key-file: ", pem.status().message()));
  }
  auto key = ApproverSigningKey::FromPem(*pem);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key.ok()) {
    return usage(absl::StrCat("--key-file: ", key.status().message()));
  }
  for (const approval::Approval& existing : bundle.approvals) {
    if (existing.approver_id == key->public_key().id()) {
      return usage(
          absl::StrCat("--bundle-in already holds an approval by "
                       "this approver (id ",
                       HexOf(key->public_key().id()), ")"));
    }
  }
  if (bundle.approvals.size() >= approval::kMaxApprovalsPerRequest) {
    return usage(absl::StrCat("--bundle-in already holds ",
                              approval::kMaxApprovalsPerRequest, " approvals"));
  }

  auto approval = key->Approve(request);
  if (!approval.ok()) {
    *ctx.err << "tssctl: " << approval.status().message() << "\n";
    return kExitFailure;
  }
  bundle.approvals.push_back(*approval);
  const std::string encoded = FormatBundle(bundle, format);
  {
    std::ofstream out(flags.out, std::ios::binary | std::ios::trunc);
    out << encoded;
    out.close();
    if (!out) {
      return usage(absl::StrCat("--out: cannot write '", flags.out, "'"));
    }
  }

  auto message = approval::ApprovalMessage(request);
  Value result = Value::MakeObject();
  Value approver = Value::MakeObject();
  approver.Set("id", Value::String(HexOf(key->public_key().id())));
  approver.Set("algorithm",
               Value::String(approval::AlgorithmName(key->algorithm())));
  approver.Set("public_key",
               Value::String(EncodeHex(key->public_key().public_key())));
  result.Set("approver", std::move(approver));
  Value req = Value::MakeObject();
  req.Set("key_id", Value::String(HexOf(request.key_id)));
  req.Set("operation",
          Value::String(approval::OperationName(request.operation)));
  req.Set("hash_function",
          Value::String(approval::HashFunctionName(request.hash_function)));
  req.Set("message_digest", Value::String(HexOf(request.message_digest)));
  req.Set("derivation_path",
          Value::String(FormatDerivationPath(request.derivation_path)));
  req.Set("expiry_unix_ms",
          Value::Int(static_cast<int64_t>(request.expiry_unix_ms)));
  req.Set("nonce", Value::String(EncodeHex(request.nonce)));
  result.Set("request", std::move(req));
  result.Set("approval_message",
             Value::String(message.ok() ? EncodeHex(*message) : ""));
  result.Set("signature", Value::String(EncodeHex(approval->signature)));
  Value b = Value::MakeObject();
  b.Set("path", Value::String(flags.out));
  b.Set("format", Value::String(flags.format));
  b.Set("approvals", Value::Int(static_cast<int64_t>(bundle.approvals.size())));
  result.Set("bundle", std::move(b));
  cli::PrintResult(result, *ctx.output, *ctx.out);
  return kExitOk;
}

}  // namespace

void AddApproveCommand(CLI::App& tssctl, const CommandContext& ctx) {
  auto flags = std::make_shared<ApproveFlags>();
  CLI::App* approve = tssctl.add_subcommand(
      "approve",
      "Sign a request's approval with an approver key file (offline)");
  approve->footer(absl::StrCat(kDescription,
                               "\n\nExit codes: 0 written, 1 signing "
                               "failed, 2 usage error."));
  cli::AddValue(*approve, "--key-file", &flags->key_file, "PEM",
                "approver private key: unencrypted PKCS#8 PEM, Ed25519 or "
                "ECDSA P-256")
      ->required();
  cli::AddValue(*approve, "--key-id", &flags->key_id, "HEX",
                "id of the threshold key (32 bytes)")
      ->required();
  cli::AddValue(*approve, "--digest", &flags->digest, "HEX",
                "the 32-byte digest to be signed")
      ->required();
  cli::AddValue(*approve, "--hash", &flags->hash, "sha256|keccak256",
                "how the digest was computed from the message")
      ->required()
      ->check(CLI::IsMember({"sha256", "keccak256"}));
  cli::AddValue(*approve, "--operation", &flags->operation,
                "sign|refresh|reshare|export", "operation (default sign)")
      ->check(CLI::IsMember({"sign", "refresh", "reshare", "export"}));
  cli::AddValue(*approve, "--derivation-path", &flags->derivation_path, "PATH",
                "derivation path, m/i/j (i' or ih: hardened); default m");
  flags->expiry_opt =
      cli::AddValue(*approve, "--expiry-unix-ms", &flags->expiry_unix_ms, "MS",
                    "the request is valid until this time (ms since epoch)");
  flags->expires_in_opt =
      cli::AddValue(*approve, "--expires-in", &flags->expires_in, "SECONDS",
                    absl::StrCat("valid for this many seconds from now (1..",
                                 kMaxExpiresInSeconds, ")"));
  flags->nonce_opt =
      cli::AddValue(*approve, "--nonce", &flags->nonce, "HEX",
                    "request nonce, 16..32 bytes (default: 32 random bytes)");
  flags->bundle_in_opt = cli::AddValue(
      *approve, "--bundle-in", &flags->bundle_in, "FILE",
      "an earlier approver's bundle: add this approval to it (same expiry "
      "and nonce)");
  cli::AddValue(*approve, "--out", &flags->out, "FILE",
                "where to write the ApprovalBundle")
      ->required();
  cli::AddValue(*approve, "--format", &flags->format, "binary|text|json",
                "bundle file format, for --out and --bundle-in (default "
                "binary: the protobuf encoding)")
      ->check(CLI::IsMember({"binary", "text", "json"}));
  approve->callback([flags, ctx] { *ctx.exit_code = RunApprove(*flags, ctx); });
}

}  // namespace nitro_tss::tssctl
