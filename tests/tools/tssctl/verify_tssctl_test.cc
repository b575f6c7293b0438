// `tssctl verify` as a real process: verdicts and exit codes, signatures
// from independent signers (python `cryptography`, the openssl command
// line) and our signatures checked by those independent verifiers, the
// Keccak-256 / recovery / Ethereum address path, and every usage error.
//
// python3 with `cryptography` and the openssl command line are installed
// by scripts/install-deps.sh; the tests fail, not skip, without them.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ethereum.h"
#include "common/keccak.h"
#include "tests/tools/tssctl/test_keys.h"
#include "tests/tools/tssctl/tssctl_runner.h"

namespace nitro_tss::testing {
namespace {

constexpr char kInterop[] = "tests/tools/tssctl/secp256k1_interop.py";

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::string AddressOf(const TestKey& key) {
  return ethereum::ChecksumAddress(
      *ethereum::AddressFromUncompressedKey(key.uncompressed));
}

// Exit code and error.code of a run.
void ExpectInvalid(const RunResult& run, const std::string& code) {
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  json::Value v = OutJson(run);
  EXPECT_EQ(JsonString(v, "verdict"), "invalid");
  EXPECT_EQ(JsonString(v, "error.code"), code) << run.out;
}

void ExpectValid(const RunResult& run) {
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(JsonString(OutJson(run), "verdict"), "valid");
}

TEST(TssctlVerifyTest, PythonSignsTssctlVerifies) {
  const std::string message = "transfer 5 ETH to 0xabc";
  RunResult py = RunProgram({"python3", kInterop, "sign", Hex(Bytes(message))});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  json::Value sig = OutJson(py);
  ScratchDir dir;
  WriteFile(dir.File("pub.pem"), JsonString(sig, "public_key_pem"));
  WriteFile(dir.File("msg"), message);
  WriteFile(dir.File("low.der"), FromHex(JsonString(sig, "low_s_der")));
  // Every key form, the message as a file, hex or text, the signature as a
  // file or hex.
  for (const std::vector<std::string>& key :
       {std::vector<std::string>{"--public-key-file", dir.File("pub.pem")},
        std::vector<std::string>{"--public-key",
                                 JsonString(sig, "public_key_compressed")},
        std::vector<std::string>{"--public-key",
                                 JsonString(sig, "public_key_uncompressed")}}) {
    for (const std::vector<std::string>& msg :
         {std::vector<std::string>{"--message-file", dir.File("msg")},
          std::vector<std::string>{"--message", message},
          std::vector<std::string>{"--message-hex", Hex(Bytes(message))}}) {
      std::vector<std::string> args = {"verify", key[0],   key[1],  msg[0],
                                       msg[1],   "--hash", "sha256"};
      std::vector<std::string> a = args;
      a.insert(a.end(), {"--signature-file", dir.File("low.der")});
      RunResult run = Tssctl(a);
      ExpectValid(run);
      json::Value v = OutJson(run);
      EXPECT_EQ(JsonString(v, "public_key.uncompressed"),
                JsonString(sig, "public_key_uncompressed"));
      EXPECT_EQ(JsonString(v, "signature.format"), "der");
      a = args;
      a.insert(a.end(), {"--signature", JsonString(sig, "low_s_der")});
      ExpectValid(Tssctl(a));
    }
  }
  const std::vector<std::string> base = {"verify",
                                         "--public-key-file",
                                         dir.File("pub.pem"),
                                         "--message",
                                         message,
                                         "--hash",
                                         "sha256"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return Tssctl(a);
  };
  // The high-S twin: refused, unless --allow-high-s.
  ExpectInvalid(with({"--signature", JsonString(sig, "high_s_der")}), "HIGH_S");
  RunResult high =
      with({"--signature", JsonString(sig, "high_s_der"), "--allow-high-s"});
  ExpectValid(high);
  EXPECT_EQ(JsonString(OutJson(high), "policy.high_s"), "accepted");
  // Wrong hash function, another message, a tampered signature.
  ExpectInvalid(Tssctl({"verify", "--public-key-file", dir.File("pub.pem"),
                        "--message", message, "--hash", "keccak256",
                        "--signature", JsonString(sig, "low_s_der")}),
                "BAD_SIGNATURE");
  ExpectInvalid(Tssctl({"verify", "--public-key-file", dir.File("pub.pem"),
                        "--message", message + ".", "--hash", "sha256",
                        "--signature", JsonString(sig, "low_s_der")}),
                "BAD_SIGNATURE");
  std::vector<uint8_t> tampered = FromHex(JsonString(sig, "low_s_der"));
  tampered[tampered.size() - 1] ^= 0x01;
  ExpectInvalid(with({"--signature", Hex(tampered)}), "BAD_SIGNATURE");
}

TEST(TssctlVerifyTest, OpensslSignsTssctlVerifies) {
  ScratchDir dir;
  ASSERT_EQ(RunProgram({"openssl", "ecparam", "-name", "secp256k1", "-genkey",
                        "-noout", "-out", dir.File("key.pem")})
                .exit_code,
            0);
  ASSERT_EQ(RunProgram({"openssl", "ec", "-in", dir.File("key.pem"), "-pubout",
                        "-out", dir.File("pub.pem")})
                .exit_code,
            0);
  WriteFile(dir.File("msg"), std::string(1000, 'x'));
  ASSERT_EQ(
      RunProgram({"openssl", "dgst", "-sha256", "-sign", dir.File("key.pem"),
                  "-out", dir.File("sig.der"), dir.File("msg")})
          .exit_code,
      0);
  // OpenSSL does not normalize S: accepted with --allow-high-s always, and
  // without it exactly when S is low.
  RunResult lenient =
      Tssctl({"verify", "--public-key-file", dir.File("pub.pem"),
              "--message-file", dir.File("msg"), "--hash", "sha256",
              "--signature-file", dir.File("sig.der"), "--allow-high-s"});
  ExpectValid(lenient);
  const json::Value* low = OutJson(lenient).Find("signature")->Find("low_s");
  ASSERT_NE(low, nullptr);
  RunResult strict =
      Tssctl({"verify", "--public-key-file", dir.File("pub.pem"),
              "--message-file", dir.File("msg"), "--hash", "sha256",
              "--signature-file", dir.File("sig.der")});
  if (low->AsBool()) {
    ExpectValid(strict);
  } else {
    ExpectInvalid(strict, "HIGH_S");
  }
  WriteFile(dir.File("msg"), std::string(1000, 'y'));
  ExpectInvalid(
      Tssctl({"verify", "--public-key-file", dir.File("pub.pem"),
              "--message-file", dir.File("msg"), "--hash", "sha256",
              "--signature-file", dir.File("sig.der"), "--allow-high-s"}),
      "BAD_SIGNATURE");
}

TEST(TssctlVerifyTest, IndependentVerifiersAcceptOurSignatures) {
  // A libsecp256k1 signature (what the cluster's combiner produces: low S,
  // recovery id) verified by python, by `openssl dgst -verify` and by
  // tssctl; all three refuse it for another message.
  const TestKey key = MakeTestKey(20);
  ScratchDir dir;
  WriteFile(dir.File("pub.pem"), key.spki_pem);
  for (const std::string message : {"first message", "second message"}) {
    const TestSignature sig = SignDigest(key, Sha256Of(Bytes(message)));
    WriteFile(dir.File("sig.der"), sig.der);
    WriteFile(dir.File("msg"), message);
    WriteFile(dir.File("other"), message + "!");
    RunResult py =
        RunProgram({"python3", kInterop, "verify", Hex(key.uncompressed),
                    Hex(Bytes(message)), Hex(sig.der)});
    EXPECT_EQ(py.out, "valid\n") << py.err;
    py = RunProgram({"python3", kInterop, "verify", Hex(key.uncompressed),
                     Hex(Bytes(message + "!")), Hex(sig.der)});
    EXPECT_EQ(py.out, "invalid\n") << py.err;
    RunResult ossl = RunProgram({"openssl", "dgst", "-sha256", "-verify",
                                 dir.File("pub.pem"), "-signature",
                                 dir.File("sig.der"), dir.File("msg")});
    EXPECT_EQ(ossl.exit_code, 0) << ossl.out << ossl.err;
    EXPECT_TRUE(absl::StrContains(ossl.out, "Verified OK")) << ossl.out;
    ossl = RunProgram({"openssl", "dgst", "-sha256", "-verify",
                       dir.File("pub.pem"), "-signature", dir.File("sig.der"),
                       dir.File("other")});
    EXPECT_NE(ossl.exit_code, 0);
    ExpectValid(Tssctl({"verify", "--public-key-file", dir.File("pub.pem"),
                        "--message-file", dir.File("msg"), "--hash", "sha256",
                        "--signature", Hex(sig.Recoverable(27))}));
    ExpectInvalid(Tssctl({"verify", "--public-key-file", dir.File("pub.pem"),
                          "--message-file", dir.File("other"), "--hash",
                          "sha256", "--signature", Hex(sig.der)}),
                  "BAD_SIGNATURE");
  }
}

TEST(TssctlVerifyTest, KeccakRecoveryAndAddress) {
  const TestKey key = MakeTestKey(21);
  const TestKey other = MakeTestKey(22);
  const std::string message = "ethereum message";
  const TestSignature sig = SignDigest(key, keccak::Keccak256(Bytes(message)));
  const std::string address = AddressOf(key);
  const std::string rsv = Hex(sig.Recoverable(27));
  // By address (recovery), with v = 27 + id and v = id.
  for (const std::string& s : {rsv, Hex(sig.Recoverable(0))}) {
    RunResult run = Tssctl({"verify", "--address", address, "--message",
                            message, "--hash", "keccak256", "--signature", s});
    ExpectValid(run);
    json::Value v = OutJson(run);
    EXPECT_EQ(JsonString(v, "ethereum_address"), address);
    EXPECT_EQ(JsonString(v, "recovered.ethereum_address"), address);
    EXPECT_EQ(JsonString(v, "public_key.compressed"), Hex(key.compressed));
    EXPECT_EQ(JsonString(v, "hash_function"), "keccak256");
    const auto digest = keccak::Keccak256(Bytes(message));
    EXPECT_EQ(JsonString(v, "digest"),
              Hex(std::vector<uint8_t>(digest.begin(), digest.end())));
  }
  // Lower-case address (no checksum) is accepted; a broken checksum is not.
  std::string lower = address;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  ExpectValid(Tssctl({"verify", "--address", lower, "--message", message,
                      "--hash", "keccak256", "--signature", rsv}));
  std::string broken = address;
  for (size_t i = 2; i < broken.size(); ++i) {
    if (std::isalpha(static_cast<unsigned char>(broken[i]))) {
      broken[i] ^= 0x20;
      break;
    }
  }
  EXPECT_EQ(Tssctl({"verify", "--address", broken, "--message", message,
                    "--hash", "keccak256", "--signature", rsv})
                .exit_code,
            2);
  // Another address; SHA-256 instead of Keccak-256 (recovers another key).
  ExpectInvalid(Tssctl({"verify", "--address", AddressOf(other), "--message",
                        message, "--hash", "keccak256", "--signature", rsv}),
                "ADDRESS_MISMATCH");
  ExpectInvalid(Tssctl({"verify", "--address", address, "--message", message,
                        "--hash", "sha256", "--signature", rsv}),
                "ADDRESS_MISMATCH");
  // By public key: the recovery id must recover that key.
  ExpectValid(
      Tssctl({"verify", "--public-key", Hex(key.uncompressed), "--message",
              message, "--hash", "keccak256", "--signature", rsv}));
  std::vector<uint8_t> wrong_v = sig.Recoverable(27);
  wrong_v[64] = static_cast<uint8_t>(27 + (sig.recovery_id ^ 1));
  ExpectInvalid(
      Tssctl({"verify", "--public-key", Hex(key.uncompressed), "--message",
              message, "--hash", "keccak256", "--signature", Hex(wrong_v)}),
      "RECOVERY_MISMATCH");
  ExpectInvalid(
      Tssctl({"verify", "--public-key", Hex(key.compressed), "--message",
              message, "--hash", "keccak256", "--signature", Hex(sig.der),
              "--recovery-id", absl::StrCat(sig.recovery_id ^ 1)}),
      "RECOVERY_MISMATCH");
  ExpectValid(
      Tssctl({"verify", "--public-key", Hex(key.compressed), "--message",
              message, "--hash", "keccak256", "--signature", Hex(sig.der),
              "--recovery-id", absl::StrCat(sig.recovery_id)}));
  ExpectInvalid(
      Tssctl({"verify", "--public-key", Hex(other.compressed), "--message",
              message, "--hash", "keccak256", "--signature", rsv}),
      "BAD_SIGNATURE");
  // The digest given directly.
  const auto digest = keccak::Keccak256(Bytes(message));
  ExpectValid(Tssctl({"verify", "--public-key", Hex(key.compressed), "--digest",
                      Hex(std::vector<uint8_t>(digest.begin(), digest.end())),
                      "--signature", Hex(sig.compact)}));
  // v out of range: a malformed signature.
  std::vector<uint8_t> bad_v = sig.Recoverable(0);
  bad_v[64] = 35;
  ExpectInvalid(Tssctl({"verify", "--address", address, "--message", message,
                        "--hash", "keccak256", "--signature", Hex(bad_v)}),
                "MALFORMED_SIGNATURE");
}

TEST(TssctlVerifyTest, MalformedSignaturesExitOne) {
  const TestKey key = MakeTestKey(23);
  const TestSignature sig = SignDigest(key, Sha256Of(Bytes("m")));
  std::vector<uint8_t> trailing = sig.der;
  trailing.push_back(0);
  std::vector<uint8_t> zero_r = sig.compact;
  std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
  for (const std::vector<uint8_t>& s :
       {trailing, zero_r, std::vector<uint8_t>(63, 1),
        std::vector<uint8_t>(73, 0x30), std::vector<uint8_t>{0x30}}) {
    ExpectInvalid(
        Tssctl({"verify", "--public-key", Hex(key.compressed), "--message", "m",
                "--hash", "sha256", "--signature", Hex(s)}),
        "MALFORMED_SIGNATURE");
  }
  // A 64-byte compact signature read as DER.
  ExpectInvalid(Tssctl({"verify", "--public-key", Hex(key.compressed),
                        "--message", "m", "--hash", "sha256", "--signature",
                        Hex(sig.compact), "--signature-format", "der"}),
                "MALFORMED_SIGNATURE");
}

TEST(TssctlVerifyTest, UsageErrorsExitTwo) {
  const TestKey key = MakeTestKey(24);
  const TestSignature sig = SignDigest(key, Sha256Of(Bytes("m")));
  ScratchDir dir;
  WriteFile(dir.File("big.sig"), std::vector<uint8_t>(1025, 0x30));
  WriteFile(dir.File("big.pem"), std::string(4097, 'a'));
  WriteFile(dir.File("not.pem"), "hello");
  const std::string pk = Hex(key.compressed);
  const std::string s = Hex(sig.der);
  struct Case {
    std::vector<std::string> args;
    std::string names;  // what stderr must mention
  };
  const std::vector<Case> cases = {
      {{"--message", "m", "--hash", "sha256", "--signature", s},
       "--public-key"},
      {{"--public-key", pk, "--address",
        "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", "--message", "m",
        "--hash", "sha256", "--signature", s},
       "--address"},
      {{"--public-key", "02zz", "--message", "m", "--hash", "sha256",
        "--signature", s},
       "--public-key"},
      {{"--public-key", pk + "0", "--message", "m", "--hash", "sha256",
        "--signature", s},
       "--public-key"},
      {{"--public-key", pk.substr(0, 64), "--message", "m", "--hash", "sha256",
        "--signature", s},
       "--public-key"},
      {{"--public-key", "02" + std::string(64, '0'), "--message", "m", "--hash",
        "sha256", "--signature", s},
       "--public-key"},
      {{"--public-key-file", dir.File("missing.pem"), "--message", "m",
        "--hash", "sha256", "--signature", s},
       "--public-key-file"},
      {{"--public-key-file", dir.File("big.pem"), "--message", "m", "--hash",
        "sha256", "--signature", s},
       "limit"},
      {{"--public-key-file", dir.File("not.pem"), "--message", "m", "--hash",
        "sha256", "--signature", s},
       "--public-key-file"},
      {{"--public-key", pk, "--hash", "sha256", "--signature", s}, "--digest"},
      {{"--public-key", pk, "--message", "m", "--signature", s}, "--hash"},
      {{"--public-key", pk, "--message", "m", "--hash", "sha3", "--signature",
        s},
       "--hash"},
      {{"--public-key", pk, "--message", "m", "--message-hex", "00", "--hash",
        "sha256", "--signature", s},
       "--message"},
      {{"--public-key", pk, "--message-hex", "0", "--hash", "sha256",
        "--signature", s},
       "--message-hex"},
      {{"--public-key", pk, "--digest", std::string(62, '0'), "--signature", s},
       "--digest"},
      {{"--public-key", pk, "--digest", std::string(64, '0'), "--hash",
        "sha256", "--signature", s},
       "--hash"},
      {{"--public-key", pk, "--message", "m", "--hash", "sha256"},
       "--signature"},
      {{"--public-key", pk, "--message", "m", "--hash", "sha256", "--signature",
        s + "x"},
       "--signature"},
      {{"--public-key", pk, "--message", "m", "--hash", "sha256", "--signature",
        s, "--signature-file", dir.File("big.sig")},
       "--signature"},
      {{"--public-key", pk, "--message", "m", "--hash", "sha256",
        "--signature-file", dir.File("big.sig")},
       "limit"},
      {{"--public-key", pk, "--message", "m", "--hash", "sha256", "--signature",
        s, "--recovery-id", "4"},
       "--recovery-id"},
      {{"--public-key", pk, "--message", "m", "--hash", "sha256", "--signature",
        Hex(sig.Recoverable(27)), "--recovery-id", "0"},
       "--recovery-id"},
      {{"--address", "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", "--message",
        "m", "--hash", "sha256", "--signature", s},
       "recovery id"},
      {{"--public-key", pk, "--message", "m", "--hash", "sha256", "--signature",
        s, "--signature-format", "ber"},
       "--signature-format"},
      {{"--public-key", pk, "--message", "m", "--hash", "sha256", "--signature",
        s, "--allow-high-s=yes"},
       "allow-high-s"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"verify"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    RunResult run = Tssctl(args);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(args, " ") << "\n" << run.out;
    EXPECT_TRUE(absl::StrContains(run.err, c.names))
        << absl::StrJoin(args, " ") << "\nstderr: " << run.err;
    EXPECT_EQ(run.out, "") << absl::StrJoin(args, " ");
  }
}

TEST(TssctlVerifyTest, HelpAndTextOutput) {
  RunResult help = Tssctl({"verify", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(help.out, "Low S")) << help.out;
  EXPECT_TRUE(absl::StrContains(help.out, "--allow-high-s"));
  const TestKey key = MakeTestKey(25);
  const TestSignature sig = SignDigest(key, Sha256Of(Bytes("m")));
  RunResult text = Tssctl({"verify", "--public-key", Hex(key.compressed),
                           "--message", "m", "--hash", "sha256", "--signature",
                           Hex(sig.der), "--output", "text"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "verdict: valid\n")) << text.out;
  EXPECT_TRUE(absl::StrContains(
      text.out, absl::StrCat("ethereum_address: ", AddressOf(key), "\n")))
      << text.out;
}

}  // namespace
}  // namespace nitro_tss::testing
