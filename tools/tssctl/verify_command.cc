#include "tools/tssctl/verify_command.h"

#include <openssl/sha.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/ethereum.h"
#include "common/json.h"
#include "common/keccak.h"
#include "tools/tssctl/secp256k1_verify.h"

namespace nitro_tss::tssctl {
namespace {

using json::Value;

constexpr char kCommand[] = "tssctl verify";

constexpr char kDescription[] =
    "Checks an ECDSA secp256k1 signature against a public key (or an Ethereum\n"
    "address, via public-key recovery) without any server.\n"
    "\n"
    "Key: --public-key HEX (SEC1, 33 or 65 bytes), --public-key-file FILE\n"
    "(PEM or DER SubjectPublicKeyInfo on secp256k1) or --address 0x...\n"
    "(EIP-55; needs a recovery id). Message: --message TEXT, --message-hex\n"
    "HEX or --message-file FILE, hashed with --hash sha256|keccak256\n"
    "(Keccak-256 as Ethereum uses it, not SHA3-256); or --digest HEX (32\n"
    "bytes, signed as is). Signature: --signature HEX or --signature-file\n"
    "FILE (binary): strict DER, 64-byte r||s, or 65-byte r||s||v with v the\n"
    "recovery id (0..3) or 27 + recovery id; with a recovery id the key\n"
    "recovered from the signature must also be the given key.\n"
    "\n"
    "Low S: a signature with s > n/2 is refused (HIGH_S) unless\n"
    "--allow-high-s: Bitcoin and Ethereum accept only low S (malleability),\n"
    "and nitro-tss always produces low S. OpenSSL and python's cryptography\n"
    "do not normalize S; --allow-high-s accepts their signatures as ECDSA.";

struct VerifyFlags {
  std::string public_key;
  std::string public_key_file;
  std::string address;
  std::string message;
  std::string message_hex;
  std::string message_file;
  std::string hash;
  std::string digest;
  std::string signature;
  std::string signature_file;
  std::string signature_format = "auto";
  int recovery_id = -1;
  bool allow_high_s = false;
  CLI::Option* public_key_opt = nullptr;
  CLI::Option* public_key_file_opt = nullptr;
  CLI::Option* address_opt = nullptr;
  CLI::Option* message_opt = nullptr;
  CLI::Option* message_hex_opt = nullptr;
  CLI::Option* message_file_opt = nullptr;
  CLI::Option* hash_opt = nullptr;
  CLI::Option* digest_opt = nullptr;
  CLI::Option* signature_opt = nullptr;
  CLI::Option* signature_file_opt = nullptr;
  CLI::Option* recovery_id_opt = nullptr;
};

int Given(std::initializer_list<const CLI::Option*> options) {
  int n = 0;
  for (const CLI::Option* o : options) n += o->count() > 0 ? 1 : 0;
  return n;
}

Value KeyJson(const PublicKey& key) {
  Value k = Value::MakeObject();
  k.Set("compressed", Value::String(EncodeHex(std::vector<uint8_t>(
                          key.compressed.begin(), key.compressed.end()))));
  k.Set("uncompressed",
        Value::String(EncodeHex(std::vector<uint8_t>(key.uncompressed.begin(),
                                                     key.uncompressed.end()))));
  return k;
}

std::vector<uint8_t> ToVector(const std::array<uint8_t, 32>& a) {
  return std::vector<uint8_t>(a.begin(), a.end());
}

int RunVerify(const VerifyFlags& flags, const CommandContext& ctx) {
  auto usage = [&](const std::string& message) {
    return UsageError(ctx, kCommand, message);
  };
  // ---- the key ----
  if (Given({flags.public_key_opt, flags.public_key_file_opt,
             flags.address_opt}) != 1) {
    return usage(
        "give exactly one of --public-key, --public-key-file and --address");
  }
  VerifyRequest request;
  if (flags.public_key_opt->count() > 0) {
    auto bytes = DecodeHex(flags.public_key);
    if (!bytes.ok()) {
      return usage(absl::StrCat("--public-key: ", bytes.status().message()));
    }
    auto key = ParsePublicKey(*bytes);
    if (!key.ok()) {
      return usage(absl::StrCat("--public-key: ", key.status().message()));
    }
    request.public_key = std::move(*key);
  } else if (flags.public_key_file_opt->count() > 0) {
    auto bytes = ReadFileLimited(flags.public_key_file, kMaxPublicKeyFileBytes);
    if (!bytes.ok()) {
      return usage(
          absl::StrCat("--public-key-file: ", bytes.status().message()));
    }
    auto key = ParsePublicKeySpki(*bytes);
    if (!key.ok()) {
      return usage(absl::StrCat("--public-key-file: ", key.status().message()));
    }
    request.public_key = std::move(*key);
  } else {
    auto address = ethereum::ParseAddress(
        flags.address, ethereum::ChecksumPolicy::kAllowUnchecksummed);
    if (!address.ok()) {
      return usage(absl::StrCat("--address: ", address.status().message()));
    }
    request.address = *address;
  }
  // ---- the digest ----
  const int messages =
      Given({flags.message_opt, flags.message_hex_opt, flags.message_file_opt});
  if (messages + Given({flags.digest_opt}) != 1) {
    return usage(
        "give exactly one of --message, --message-hex, --message-file and "
        "--digest");
  }
  std::string hash_name = "none";
  if (flags.digest_opt->count() > 0) {
    if (flags.hash_opt->count() > 0) {
      return usage(
          "--hash applies to a message; a --digest is verified as given");
    }
    auto digest = DecodeHex(flags.digest);
    if (!digest.ok()) {
      return usage(absl::StrCat("--digest: ", digest.status().message()));
    }
    if (digest->size() != kDigestBytes) {
      return usage(absl::StrCat("--digest must be ", kDigestBytes,
                                " bytes (64 hex digits), got ",
                                digest->size()));
    }
    std::copy(digest->begin(), digest->end(), request.digest.begin());
  } else {
    if (flags.hash_opt->count() == 0) {
      return usage("--hash sha256|keccak256 is required with a message");
    }
    std::vector<uint8_t> message;
    if (flags.message_opt->count() > 0) {
      message.assign(flags.message.begin(), flags.message.end());
    } else if (flags.message_hex_opt->count() > 0) {
      auto bytes = DecodeHex(flags.message_hex);
      if (!bytes.ok()) {
        return usage(absl::StrCat("--message-hex: ", bytes.status().message()));
      }
      message = std::move(*bytes);
    } else {
      auto bytes = ReadFileLimited(flags.message_file, kMaxMessageFileBytes);
      if (!bytes.ok()) {
        return usage(
            absl::StrCat("--message-file: ", bytes.status().message()));
      }
      message = std::move(*bytes);
    }
    hash_name = flags.hash;
    if (flags.hash == "sha256") {
      SHA256(message.data(), message.size(), request.digest.data());
    } else {
      request.digest = keccak::Keccak256(message);
    }
  }
  // ---- the signature ----
  if (Given({flags.signature_opt, flags.signature_file_opt}) != 1) {
    return usage("give exactly one of --signature and --signature-file");
  }
  std::vector<uint8_t> signature_bytes;
  if (flags.signature_opt->count() > 0) {
    auto bytes = DecodeHex(flags.signature);
    if (!bytes.ok()) {
      return usage(absl::StrCat("--signature: ", bytes.status().message()));
    }
    signature_bytes = std::move(*bytes);
  } else {
    auto bytes = ReadFileLimited(flags.signature_file, kMaxSignatureFileBytes);
    if (!bytes.ok()) {
      return usage(
          absl::StrCat("--signature-file: ", bytes.status().message()));
    }
    signature_bytes = std::move(*bytes);
  }
  const SignatureEncoding encoding =
      flags.signature_format == "der"       ? SignatureEncoding::kDer
      : flags.signature_format == "compact" ? SignatureEncoding::kCompact
                                            : SignatureEncoding::kAuto;
  if (flags.recovery_id_opt->count() > 0) {
    request.recovery_id = flags.recovery_id;
  }
  request.allow_high_s = flags.allow_high_s;

  Value result = Value::MakeObject();
  result.Set("verdict", Value::String("invalid"));
  result.Set("error", Value::Null());
  result.Set("public_key", request.public_key.has_value()
                               ? KeyJson(*request.public_key)
                               : Value::Null());
  result.Set("ethereum_address",
             Value::String(ethereum::ChecksumAddress(
                 request.public_key.has_value() ? AddressOf(*request.public_key)
                                                : *request.address)));
  result.Set("hash_function", Value::String(hash_name));
  result.Set("digest", Value::String(EncodeHex(ToVector(request.digest))));
  result.Set("signature", Value::Null());
  result.Set("recovered", Value::Null());
  Value policy = Value::MakeObject();
  policy.Set("high_s",
             Value::String(flags.allow_high_s ? "accepted" : "refused"));
  result.Set("policy", std::move(policy));
  auto fail = [&](const std::string& code, const std::string& message) {
    Value error = Value::MakeObject();
    error.Set("code", Value::String(code));
    error.Set("message", Value::String(message));
    result.Set("error", std::move(error));
    cli::PrintResult(result, *ctx.output, *ctx.out);
    *ctx.err << "tssctl: " << message << "\n";
    return kExitFailure;
  };

  auto parsed = ParseSignature(signature_bytes, encoding);
  if (!parsed.ok()) {
    return fail("MALFORMED_SIGNATURE", std::string(parsed.status().message()));
  }
  if (request.recovery_id.has_value() && parsed->recovery_id.has_value()) {
    return usage(
        "--recovery-id: the 65-byte signature already carries one (its v)");
  }
  Value sig = Value::MakeObject();
  sig.Set("format", Value::String(SignatureFormatName(parsed->format)));
  sig.Set("r", Value::String(EncodeHex(ToVector(parsed->r.bytes()))));
  sig.Set("s", Value::String(EncodeHex(ToVector(parsed->s.bytes()))));
  sig.Set("der", Value::String(EncodeHex(SignatureDer(parsed->r, parsed->s))));
  sig.Set("low_s", Value::Bool(mpc::IsLowS(parsed->s)));
  sig.Set("v", parsed->v.has_value() ? Value::Int(*parsed->v) : Value::Null());
  request.signature = std::move(*parsed);

  auto verified = VerifySignature(request);
  if (!verified.ok()) return usage(std::string(verified.status().message()));
  sig.Set("recovery_id", verified->recovery_id.has_value()
                             ? Value::Int(*verified->recovery_id)
                             : Value::Null());
  result.Set("signature", std::move(sig));
  if (verified->recovered_key.has_value()) {
    Value recovered = Value::MakeObject();
    recovered.Set("public_key", KeyJson(*verified->recovered_key));
    recovered.Set("ethereum_address",
                  Value::String(ethereum::ChecksumAddress(
                      AddressOf(*verified->recovered_key))));
    result.Set("recovered", std::move(recovered));
  }
  if (!request.public_key.has_value() && verified->key.has_value()) {
    // Checked against an address: the key is the recovered one.
    result.Set("public_key", KeyJson(*verified->key));
  }
  if (verified->code != VerifyCode::kOk) {
    return fail(VerifyCodeName(verified->code), verified->message);
  }
  result.Set("verdict", Value::String("valid"));
  cli::PrintResult(result, *ctx.output, *ctx.out);
  return kExitOk;
}

}  // namespace

void AddVerifyCommand(CLI::App& tssctl, const CommandContext& ctx) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = tssctl.add_subcommand(
      "verify", "Verify an ECDSA secp256k1 signature offline (no server)");
  verify->footer(absl::StrCat(kDescription,
                              "\n\nExit codes: 0 valid, 1 invalid, 2 usage "
                              "error."));
  flags->public_key_opt =
      cli::AddValue(*verify, "--public-key", &flags->public_key, "HEX",
                    "SEC1 public key: 33 bytes compressed or 65 uncompressed");
  flags->public_key_file_opt = cli::AddValue(
      *verify, "--public-key-file", &flags->public_key_file, "FILE",
      "PEM or DER SubjectPublicKeyInfo of a secp256k1 key");
  flags->address_opt =
      cli::AddValue(*verify, "--address", &flags->address, "0x...",
                    "Ethereum address (EIP-55 checksummed, or all one case): "
                    "the key recovered from the signature must have it");
  flags->message_opt = cli::AddValue(*verify, "--message", &flags->message,
                                     "TEXT", "message as text (its bytes)");
  flags->message_hex_opt = cli::AddValue(*verify, "--message-hex",
                                         &flags->message_hex, "HEX", "message");
  flags->message_file_opt =
      cli::AddValue(*verify, "--message-file", &flags->message_file, "FILE",
                    absl::StrCat("message file (at most ",
                                 kMaxMessageFileBytes >> 20, " MiB)"));
  flags->hash_opt =
      cli::AddValue(*verify, "--hash", &flags->hash, "sha256|keccak256",
                    "hash function applied to the message")
          ->check(CLI::IsMember({"sha256", "keccak256"}));
  flags->digest_opt =
      cli::AddValue(*verify, "--digest", &flags->digest, "HEX",
                    "the 32-byte digest that was signed (instead of a "
                    "message)");
  flags->signature_opt =
      cli::AddValue(*verify, "--signature", &flags->signature, "HEX",
                    "signature: DER, r||s (64 bytes) or r||s||v (65 bytes)");
  flags->signature_file_opt =
      cli::AddValue(*verify, "--signature-file", &flags->signature_file, "FILE",
                    "signature file (binary, same formats)");
  cli::AddValue(*verify, "--signature-format", &flags->signature_format,
                "auto|der|compact",
                "auto (default): 64/65 bytes are compact, others DER")
      ->check(CLI::IsMember({"auto", "der", "compact"}));
  flags->recovery_id_opt =
      cli::AddValue(*verify, "--recovery-id", &flags->recovery_id, "0..3",
                    "recovery id of a DER or 64-byte signature: the key "
                    "recovered with it must be the given key")
          ->check(CLI::Range(0, 3));
  cli::AddSwitch(*verify, "--allow-high-s", &flags->allow_high_s,
                 "accept s > n/2 (refused by default, see below)");
  verify->callback([flags, ctx] { *ctx.exit_code = RunVerify(*flags, ctx); });
}

}  // namespace nitro_tss::tssctl
