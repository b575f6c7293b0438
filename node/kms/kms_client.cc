#include "node/kms/kms_client.h"

#include <curl/curl.h>
#include <linux/vm_sockets.h>
#include <openssl/crypto.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_payload.h"
#include "node/aws/curl_options.h"
#include "node/kms/cms.h"

namespace nitro_tss::kms {
namespace {

constexpr absl::string_view kService = "kms";
constexpr absl::string_view kContentType = "application/x-amz-json-1.1";
constexpr absl::string_view kKeyEncryptionAlgorithm = "RSAES_OAEP_SHA_256";
constexpr size_t kMaxAttestationDocBytes = 16 * 1024;

void EnsureCurlInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void Wipe(std::string* s) {
  OPENSSL_cleanse(s->data(), s->size());
  s->clear();
}

// Wipes a string member held inside a parsed JSON document (the response
// owns it; we wipe our own copy of the secret's base64).
void WipeJsonString(const json::Value* v) {
  if (v != nullptr && v->is_string()) {
    std::string& s = const_cast<std::string&>(v->AsString());
    OPENSSL_cleanse(s.data(), s.size());
  }
}

std::string B64(absl::Span<const uint8_t> b) {
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

json::Value ContextJson(const EncryptionContext& ctx) {
  json::Value obj = json::Value::MakeObject();
  for (const auto& [k, v] : ctx) obj.Set(k, json::Value::String(v));
  return obj;
}

void AddRecipient(const std::optional<Recipient>& r, json::Value* body) {
  if (!r) return;
  json::Value rec = json::Value::MakeObject();
  rec.Set("AttestationDocument",
          json::Value::String(B64(r->attestation_document)));
  rec.Set("KeyEncryptionAlgorithm",
          json::Value::String(std::string(kKeyEncryptionAlgorithm)));
  body->Set("Recipient", std::move(rec));
}

absl::Status RecipientArgCheck(const std::optional<Recipient>& r) {
  if (r && (r->attestation_document.empty() ||
            r->attestation_document.size() > kMaxAttestationDocBytes)) {
    return absl::InvalidArgumentError(
        "kms: Recipient attestation document must be 1..16384 bytes");
  }
  return absl::OkStatus();
}

// Optional string field: absent -> "", wrong type -> InvalidArgument.
absl::StatusOr<std::string> OptString(const json::Value& obj,
                                      absl::string_view key) {
  const json::Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kms: response field '", key, "' must be a string"));
  }
  return v->AsString();
}

// Optional base64 field decoded with bounds; absent -> empty.
absl::StatusOr<std::vector<uint8_t>> OptBlob(const json::Value& obj,
                                             absl::string_view key,
                                             size_t max_size) {
  const json::Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::vector<uint8_t>();
  if (!v->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kms: response field '", key, "' must be a string"));
  }
  return StrictBase64Decode(v->AsString(), key, 1, max_size);
}

// Required base64 field decoded with bounds; absent or empty is an error
// naming the operation.
absl::StatusOr<std::vector<uint8_t>> RequiredBlob(const json::Value& obj,
                                                  absl::string_view key,
                                                  size_t max_size,
                                                  absl::string_view operation) {
  absl::StatusOr<std::vector<uint8_t>> blob = OptBlob(obj, key, max_size);
  if (!blob.ok()) return blob.status();
  if (blob->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kms: ", operation, " response lacks ", key));
  }
  return blob;
}

absl::StatusOr<SecureBytes> OptSecret(const json::Value& obj,
                                      absl::string_view key, size_t max_size) {
  absl::StatusOr<std::vector<uint8_t>> raw = OptBlob(obj, key, max_size);
  WipeJsonString(obj.Find(key));
  if (!raw.ok()) return raw.status();
  SecureBytes out(*raw);
  OPENSSL_cleanse(raw->data(), raw->size());
  return out;
}

// The Plaintext / CiphertextForRecipient pair of Decrypt, GenerateDataKey
// and GenerateRandom responses: recipient responses carry
// CiphertextForRecipient and no Plaintext; plain responses the opposite.
absl::Status ParseRecipientPlaintext(const json::Value& doc, bool had_recipient,
                                     size_t max_plaintext_bytes,
                                     absl::string_view op, SecureBytes* plain,
                                     std::vector<uint8_t>* for_recipient) {
  absl::StatusOr<SecureBytes> p =
      OptSecret(doc, "Plaintext", max_plaintext_bytes);
  if (!p.ok()) return p.status();
  *plain = *std::move(p);
  absl::StatusOr<std::vector<uint8_t>> cfr =
      OptBlob(doc, "CiphertextForRecipient", kMaxCmsBytes);
  if (!cfr.ok()) return cfr.status();
  *for_recipient = *std::move(cfr);
  if (had_recipient && for_recipient->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kms: ", op, " response lacks CiphertextForRecipient"));
  }
  if (had_recipient && !plain->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kms: ", op, " response carries Plaintext despite a Recipient"));
  }
  if (!had_recipient && plain->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kms: ", op, " response lacks Plaintext"));
  }
  return absl::OkStatus();
}

struct ParsedUrl {
  bool https = true;
  std::string host;
  int port = 0;  // 0 = default
};

absl::StatusOr<ParsedUrl> ParseEndpoint(absl::string_view url) {
  ParsedUrl out;
  if (absl::ConsumePrefix(&url, "https://")) {
    out.https = true;
  } else if (absl::ConsumePrefix(&url, "http://")) {
    out.https = false;
  } else {
    return absl::InvalidArgumentError(
        "kms: endpoint must start with http:// or https://");
  }
  absl::ConsumeSuffix(&url, "/");
  size_t colon = url.rfind(':');
  absl::string_view host = url.substr(0, colon);
  if (colon != absl::string_view::npos) {
    int port = 0;
    if (!absl::SimpleAtoi(url.substr(colon + 1), &port) || port <= 0 ||
        port > 65535) {
      return absl::InvalidArgumentError("kms: endpoint has an invalid port");
    }
    out.port = port;
  }
  if (host.empty() || host.size() > 253) {
    return absl::InvalidArgumentError("kms: endpoint host is empty");
  }
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-') {
      return absl::InvalidArgumentError(
          "kms: endpoint host may only contain letters, digits, '.', '-' "
          "(no path, no user info)");
    }
  }
  out.host = std::string(host);
  return out;
}

size_t WriteCallback(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* out = static_cast<std::string*>(userdata);
  const size_t n = size * nmemb;
  if (out->size() + n > kMaxKmsResponseBytes) return 0;  // abort transfer
  out->append(ptr, n);
  return n;
}

}  // namespace

absl::StatusOr<KmsErrorBody> ParseKmsErrorBody(absl::string_view body) {
  auto bad = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("kms: error answer: ", why));
  };
  json::ParseLimits limits;
  limits.max_input_bytes = kMaxKmsErrorBodyBytes;
  limits.max_depth = 4;
  absl::StatusOr<json::Value> doc = json::Parse(body, limits);
  if (!doc.ok()) return bad(doc.status().message());
  if (!doc->is_object()) return bad("not a JSON object");
  const json::Value* t = doc->Find("__type");
  if (t == nullptr) return bad("no __type");
  if (!t->is_string()) return bad("__type is not a string");
  absl::string_view type = t->AsString();
  if (type.empty() || type.size() > kMaxKmsErrorTypeBytes) {
    return bad("__type is empty or too long");
  }
  // [namespace#]Name[:suffix]
  if (const size_t colon = type.find(':'); colon != absl::string_view::npos) {
    for (char c : type.substr(colon + 1)) {
      if (c < 0x21 || c > 0x7e) return bad("__type suffix is not printable");
    }
    type = type.substr(0, colon);
  }
  if (const size_t hash = type.find('#'); hash != absl::string_view::npos) {
    for (char c : type.substr(0, hash)) {
      if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
        return bad("__type namespace has an invalid character");
      }
    }
    type = type.substr(hash + 1);
  }
  if (type.empty() || type.size() > 128 || !absl::ascii_isalpha(type[0])) {
    return bad("__type name must start with a letter, 1..128 characters");
  }
  for (char c : type) {
    if (!absl::ascii_isalnum(c)) return bad("__type name is not alphanumeric");
  }
  KmsErrorBody out;
  out.type = std::string(type);
  const json::Value* lower = doc->Find("message");
  const json::Value* upper = doc->Find("Message");
  if (lower != nullptr && upper != nullptr) {
    return bad("both message and Message");
  }
  if (const json::Value* m = lower != nullptr ? lower : upper; m != nullptr) {
    if (!m->is_string()) return bad("message is not a string");
    out.message = m->AsString().substr(0, kMaxKmsErrorMessageBytes);
    // Keep the AWS message readable but free of control characters.
    for (char& c : out.message) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
  }
  return out;
}

absl::Status MapKmsError(long http_status, absl::string_view body) {
  absl::StatusOr<KmsErrorBody> parsed = ParseKmsErrorBody(body);
  if (!parsed.ok()) {
    const std::string text = absl::StrCat(
        "kms: error (HTTP ", http_status, ") without a ",
        "well-formed error body (", parsed.status().message(), ")");
    if (http_status == 429) return absl::ResourceExhaustedError(text);
    if (http_status >= 500) return absl::UnavailableError(text);
    return absl::UnknownError(text);
  }
  const std::string text =
      absl::StrCat("kms: ", parsed->type, " (HTTP ", http_status, ")",
                   parsed->message.empty() ? "" : ": ", parsed->message);
  static const struct {
    const char* type;
    absl::StatusCode code;
  } kTable[] = {
      {"AccessDeniedException", absl::StatusCode::kPermissionDenied},
      {"NotFoundException", absl::StatusCode::kNotFound},
      {"AlreadyExistsException", absl::StatusCode::kAlreadyExists},
      {"InvalidCiphertextException", absl::StatusCode::kDataLoss},
      {"IncorrectKeyException", absl::StatusCode::kDataLoss},
      {"ValidationException", absl::StatusCode::kInvalidArgument},
      {"InvalidKeyUsageException", absl::StatusCode::kInvalidArgument},
      {"SerializationException", absl::StatusCode::kInvalidArgument},
      {"InvalidGrantTokenException", absl::StatusCode::kInvalidArgument},
      {"UnsupportedOperationException", absl::StatusCode::kInvalidArgument},
      {"InvalidArnException", absl::StatusCode::kInvalidArgument},
      {"MalformedPolicyDocumentException", absl::StatusCode::kInvalidArgument},
      {"UnknownOperationException", absl::StatusCode::kUnimplemented},
      {"DisabledException", absl::StatusCode::kFailedPrecondition},
      {"KMSInvalidStateException", absl::StatusCode::kFailedPrecondition},
      {"ThrottlingException", absl::StatusCode::kResourceExhausted},
      {"LimitExceededException", absl::StatusCode::kResourceExhausted},
      {"UnrecognizedClientException", absl::StatusCode::kUnauthenticated},
      {"InvalidSignatureException", absl::StatusCode::kUnauthenticated},
      {"IncompleteSignatureException", absl::StatusCode::kUnauthenticated},
      {"MissingAuthenticationTokenException",
       absl::StatusCode::kUnauthenticated},
      {"ExpiredTokenException", absl::StatusCode::kUnauthenticated},
      {"KMSInternalException", absl::StatusCode::kUnavailable},
      {"DependencyTimeoutException", absl::StatusCode::kUnavailable},
      {"KeyUnavailableException", absl::StatusCode::kUnavailable},
  };
  absl::StatusCode code = absl::StatusCode::kUnknown;
  if (http_status == 429) code = absl::StatusCode::kResourceExhausted;
  if (http_status >= 500) code = absl::StatusCode::kUnavailable;
  for (const auto& e : kTable) {
    if (parsed->type == e.type) {
      code = e.code;
      break;
    }
  }
  return kAwsErrorTypePayload.Make(code, text, parsed->type);
}

absl::StatusOr<std::vector<uint8_t>> StrictBase64Decode(absl::string_view in,
                                                        absl::string_view field,
                                                        size_t min_size,
                                                        size_t max_size) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("kms: field '", field, "': ", why));
  };
  if (in.size() % 4 != 0) return bad("base64 length is not a multiple of 4");
  if (in.size() / 4 * 3 > max_size + 2) return bad("too large");
  size_t pad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '=') {
      if (i + 2 < in.size()) return bad("misplaced base64 padding");
      ++pad;
      continue;
    }
    if (pad != 0) return bad("data after base64 padding");
    if (!absl::ascii_isalnum(c) && c != '+' && c != '/') {
      return bad("invalid base64 character");
    }
  }
  std::string decoded;
  if (!absl::Base64Unescape(in, &decoded)) return bad("invalid base64");
  // Reject non-canonical encodings (non-zero bits in the last symbol).
  if (absl::Base64Escape(decoded) != in) {
    Wipe(&decoded);
    return bad("non-canonical base64");
  }
  if (decoded.size() < min_size || decoded.size() > max_size) {
    const size_t n = decoded.size();
    Wipe(&decoded);
    return bad(absl::StrCat("decoded size ", n, " outside [", min_size, ", ",
                            max_size, "]"));
  }
  std::vector<uint8_t> out(decoded.begin(), decoded.end());
  Wipe(&decoded);
  return out;
}

int ConnectVsock(uint32_t cid, uint32_t port) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_vm addr{};
  addr.svm_family = AF_VSOCK;
  addr.svm_cid = cid;
  addr.svm_port = port;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

absl::StatusOr<std::unique_ptr<KmsClient>> KmsClient::Create(
    KmsClientConfig config, AwsCredentials credentials) {
  if (config.region.empty()) {
    return absl::InvalidArgumentError("kms: region is required");
  }
  if (config.retry.max_attempts < 1) {
    return absl::InvalidArgumentError("kms: retry.max_attempts must be >= 1");
  }
  if (!config.unix_socket_path.empty() && config.connect_hook) {
    return absl::InvalidArgumentError(
        "kms: unix_socket_path and connect_hook are exclusive");
  }
  std::string endpoint =
      config.endpoint.empty()
          ? absl::StrCat("https://kms.", config.region, ".amazonaws.com")
          : config.endpoint;
  absl::StatusOr<ParsedUrl> url = ParseEndpoint(endpoint);
  if (!url.ok()) return url.status();
  std::string host = url->host;
  if (url->port != 0 && url->port != (url->https ? 443 : 80)) {
    absl::StrAppend(&host, ":", url->port);
  }
  std::string full =
      absl::StrCat(url->https ? "https://" : "http://", host, "/");
  if (!config.clock) config.clock = [] { return absl::Now(); };
  if (!config.sleep) config.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  EnsureCurlInit();
  std::unique_ptr<SocketBridge> bridge;
  if (config.connect_hook) {
    absl::StatusOr<std::unique_ptr<SocketBridge>> b =
        SocketBridge::Start(config.connect_hook);
    if (!b.ok()) return b.status();
    bridge = *std::move(b);
  }
  return std::unique_ptr<KmsClient>(
      new KmsClient(std::move(config), std::move(credentials), std::move(full),
                    host, std::move(bridge)));
}

KmsClient::KmsClient(KmsClientConfig config, AwsCredentials credentials,
                     std::string url, std::string host,
                     std::unique_ptr<SocketBridge> bridge)
    : config_(std::move(config)),
      url_(std::move(url)),
      host_(std::move(host)),
      bridge_(std::move(bridge)),
      credentials_(std::move(credentials)) {}

KmsClient::~KmsClient() = default;

void KmsClient::SetCredentials(AwsCredentials credentials) {
  absl::MutexLock lock(&mu_);
  credentials_ = std::move(credentials);
}

int KmsClient::attempts() const {
  absl::MutexLock lock(&mu_);
  return attempts_;
}

absl::Status KmsClient::PostOnce(absl::string_view operation,
                                 const std::string& body, long* http_status,
                                 std::string* response) {
  HttpRequest req{std::string("POST"),
                  std::string("/"),
                  std::string(),
                  {{"Host", host_},
                   {"Content-Type", std::string(kContentType)},
                   {"X-Amz-Target", absl::StrCat("TrentService.", operation)}},
                  body};
  SigningParams params;
  {
    absl::MutexLock lock(&mu_);
    params.credentials = credentials_;
    ++attempts_;
  }
  params.region = config_.region;
  params.service = std::string(kService);
  params.time = config_.clock();
  absl::StatusOr<SignatureParts> signed_parts = SignRequest(params, &req);
  Wipe(&req.body);
  if (!signed_parts.ok()) return signed_parts.status();

  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("kms: curl_easy_init failed");
  curl_slist* headers = nullptr;
  for (const HttpHeader& h : req.headers) {
    headers =
        curl_slist_append(headers, absl::StrCat(h.name, ": ", h.value).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteCallback);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
  aws::SetAwsTransferOptions(curl, errbuf, config_.request_timeout,
                             config_.ca_file);
  if (!config_.unix_socket_path.empty()) {
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH,
                     config_.unix_socket_path.c_str());
  }
  if (bridge_ != nullptr) {
    curl_easy_setopt(curl, CURLOPT_ABSTRACT_UNIX_SOCKET,
                     bridge_->abstract_name().c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  *http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, http_status);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    Wipe(response);
    if (rc == CURLE_WRITE_ERROR) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kms: response exceeds ", kMaxKmsResponseBytes, " bytes"));
    }
    return absl::UnavailableError(
        absl::StrCat("kms: transport error talking to ", url_, ": ",
                     errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

absl::StatusOr<json::Value> KmsClient::Call(absl::string_view operation,
                                            const json::Value& body) {
  std::string payload = json::Serialize(body);
  absl::BitGen rng;
  absl::Status last;
  for (int attempt = 0; attempt < config_.retry.max_attempts; ++attempt) {
    if (attempt > 0) {
      config_.sleep(aws::BackoffBeforeAttempt(config_.retry, attempt, rng));
    }
    long http_status = 0;
    std::string response;
    absl::Status sent = PostOnce(operation, payload, &http_status, &response);
    if (!sent.ok()) {
      last = sent;
      if (IsRetryableKmsError(sent)) continue;
      break;
    }
    if (http_status == 200) {
      Wipe(&payload);
      json::ParseLimits limits;
      limits.max_input_bytes = kMaxKmsResponseBytes;
      limits.max_depth = 8;
      absl::StatusOr<json::Value> doc = json::Parse(response, limits);
      Wipe(&response);
      if (!doc.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "kms: ", operation, " response: ", doc.status().message()));
      }
      if (!doc->is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat("kms: ", operation, " response is not a JSON object"));
      }
      return doc;
    }
    if (http_status >= 300 && http_status < 400) {
      // Never followed (curl_options.h): the client talks to its configured
      // endpoint only, whatever a server or a relay answers.
      Wipe(&response);
      last = absl::FailedPreconditionError(
          absl::StrCat("kms: HTTP ", http_status, " redirect from ", url_,
                       " refused (redirects are never followed)"));
      break;
    }
    last = MapKmsError(http_status, response);
    Wipe(&response);
    if (!IsRetryableKmsError(last)) break;
  }
  Wipe(&payload);
  // Keep the AWS error type (and any other payload) of the last attempt.
  absl::Status out(last.code(), absl::StrCat(operation, ": ", last.message()));
  CopyStatusPayloads(last, &out);
  return out;
}

absl::StatusOr<EncryptResponse> ParseEncryptResponse(
    const json::Value& response, const EncryptRequest& r) {
  (void)r;
  const json::Value* doc = &response;
  EncryptResponse out;
  absl::StatusOr<std::string> key_id = OptString(*doc, "KeyId");
  if (!key_id.ok()) return key_id.status();
  out.key_id = *key_id;
  absl::StatusOr<std::vector<uint8_t>> blob =
      RequiredBlob(*doc, "CiphertextBlob", kMaxCiphertextBlobBytes, "Encrypt");
  if (!blob.ok()) return blob.status();
  out.ciphertext_blob = *std::move(blob);
  return out;
}

absl::StatusOr<DecryptResponse> ParseDecryptResponse(
    const json::Value& response, const DecryptRequest& r) {
  const json::Value* doc = &response;
  DecryptResponse out;
  absl::StatusOr<std::string> key_id = OptString(*doc, "KeyId");
  if (!key_id.ok()) return key_id.status();
  out.key_id = *key_id;
  if (absl::Status s = ParseRecipientPlaintext(
          *doc, r.recipient.has_value(), kMaxKmsPlaintextBytes, "Decrypt",
          &out.plaintext, &out.ciphertext_for_recipient);
      !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<GenerateDataKeyResponse> ParseGenerateDataKeyResponse(
    const json::Value& response, const GenerateDataKeyRequest& r) {
  const json::Value* doc = &response;
  GenerateDataKeyResponse out;
  absl::StatusOr<std::string> key_id = OptString(*doc, "KeyId");
  if (!key_id.ok()) return key_id.status();
  out.key_id = *key_id;
  absl::StatusOr<std::vector<uint8_t>> blob = RequiredBlob(
      *doc, "CiphertextBlob", kMaxCiphertextBlobBytes, "GenerateDataKey");
  if (!blob.ok()) return blob.status();
  out.ciphertext_blob = *std::move(blob);
  if (absl::Status s = ParseRecipientPlaintext(
          *doc, r.recipient.has_value(), 1024, "GenerateDataKey",
          &out.plaintext, &out.ciphertext_for_recipient);
      !s.ok()) {
    return s;
  }
  if (!r.recipient) {
    const size_t want = r.number_of_bytes != 0
                            ? static_cast<size_t>(r.number_of_bytes)
                            : (r.key_spec == "AES_256" ? 32u : 16u);
    if (out.plaintext.size() != want) {
      return absl::InvalidArgumentError(
          absl::StrCat("kms: GenerateDataKey returned ", out.plaintext.size(),
                       " bytes, expected ", want));
    }
  }
  return out;
}

absl::StatusOr<GenerateRandomResponse> ParseGenerateRandomResponse(
    const json::Value& response, const GenerateRandomRequest& r) {
  const json::Value* doc = &response;
  GenerateRandomResponse out;
  if (absl::Status s = ParseRecipientPlaintext(
          *doc, r.recipient.has_value(), 1024, "GenerateRandom", &out.plaintext,
          &out.ciphertext_for_recipient);
      !s.ok()) {
    return s;
  }
  if (!r.recipient &&
      out.plaintext.size() != static_cast<size_t>(r.number_of_bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("kms: GenerateRandom returned ", out.plaintext.size(),
                     " bytes, expected ", r.number_of_bytes));
  }
  return out;
}

absl::StatusOr<DescribeKeyResponse> ParseDescribeKeyResponse(
    const json::Value& response, const DescribeKeyRequest& r) {
  (void)r;
  const json::Value* doc = &response;
  const json::Value* meta = doc->Find("KeyMetadata");
  if (meta == nullptr || !meta->is_object()) {
    return absl::InvalidArgumentError(
        "kms: DescribeKey response lacks KeyMetadata object");
  }
  DescribeKeyResponse out;
  absl::StatusOr<std::string> key_id = meta->StringField("KeyId");
  if (!key_id.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kms: DescribeKey: ", key_id.status().message()));
  }
  out.key_id = *key_id;
  for (auto [name, dest] :
       {std::pair<const char*, std::string*>{"Arn", &out.arn},
        {"KeyState", &out.key_state},
        {"KeyUsage", &out.key_usage},
        {"KeySpec", &out.key_spec}}) {
    absl::StatusOr<std::string> v = OptString(*meta, name);
    if (!v.ok()) return v.status();
    *dest = *v;
  }
  const json::Value* enabled = meta->Find("Enabled");
  if (enabled != nullptr) {
    if (!enabled->is_bool()) {
      return absl::InvalidArgumentError(
          "kms: DescribeKey KeyMetadata.Enabled must be a boolean");
    }
    out.enabled = enabled->AsBool();
  }
  return out;
}

absl::StatusOr<EncryptResponse> KmsClient::Encrypt(const EncryptRequest& r) {
  if (r.key_id.empty() || r.plaintext.empty() ||
      r.plaintext.size() > kMaxKmsPlaintextBytes) {
    return absl::InvalidArgumentError(
        "kms: Encrypt needs a key id and 1..4096 bytes of plaintext");
  }
  json::Value body = json::Value::MakeObject();
  body.Set("KeyId", json::Value::String(r.key_id));
  std::string b64 = B64(r.plaintext);
  body.Set("Plaintext", json::Value::String(b64));
  Wipe(&b64);
  if (!r.encryption_context.empty()) {
    body.Set("EncryptionContext", ContextJson(r.encryption_context));
  }
  absl::StatusOr<json::Value> doc = Call("Encrypt", body);
  WipeJsonString(body.Find("Plaintext"));
  if (!doc.ok()) return doc.status();
  return ParseEncryptResponse(*doc, r);
}

absl::StatusOr<DecryptResponse> KmsClient::Decrypt(const DecryptRequest& r) {
  if (r.ciphertext_blob.empty() ||
      r.ciphertext_blob.size() > kMaxCiphertextBlobBytes) {
    return absl::InvalidArgumentError(
        "kms: Decrypt needs a CiphertextBlob of 1..6144 bytes");
  }
  if (absl::Status s = RecipientArgCheck(r.recipient); !s.ok()) return s;
  json::Value body = json::Value::MakeObject();
  body.Set("CiphertextBlob", json::Value::String(B64(r.ciphertext_blob)));
  if (!r.key_id.empty()) body.Set("KeyId", json::Value::String(r.key_id));
  if (!r.encryption_context.empty()) {
    body.Set("EncryptionContext", ContextJson(r.encryption_context));
  }
  AddRecipient(r.recipient, &body);
  absl::StatusOr<json::Value> doc = Call("Decrypt", body);
  if (!doc.ok()) return doc.status();
  return ParseDecryptResponse(*doc, r);
}

absl::StatusOr<GenerateDataKeyResponse> KmsClient::GenerateDataKey(
    const GenerateDataKeyRequest& r) {
  const bool has_spec = !r.key_spec.empty();
  const bool has_n = r.number_of_bytes != 0;
  if (r.key_id.empty() || has_spec == has_n ||
      (has_n && (r.number_of_bytes < 1 || r.number_of_bytes > 1024)) ||
      (has_spec && r.key_spec != "AES_256" && r.key_spec != "AES_128")) {
    return absl::InvalidArgumentError(
        "kms: GenerateDataKey needs a key id and exactly one of KeySpec "
        "(AES_256/AES_128) or NumberOfBytes (1..1024)");
  }
  if (absl::Status s = RecipientArgCheck(r.recipient); !s.ok()) return s;
  json::Value body = json::Value::MakeObject();
  body.Set("KeyId", json::Value::String(r.key_id));
  if (has_spec) {
    body.Set("KeySpec", json::Value::String(r.key_spec));
  } else {
    body.Set("NumberOfBytes", json::Value::Int(r.number_of_bytes));
  }
  if (!r.encryption_context.empty()) {
    body.Set("EncryptionContext", ContextJson(r.encryption_context));
  }
  AddRecipient(r.recipient, &body);
  absl::StatusOr<json::Value> doc = Call("GenerateDataKey", body);
  if (!doc.ok()) return doc.status();
  return ParseGenerateDataKeyResponse(*doc, r);
}

absl::StatusOr<GenerateRandomResponse> KmsClient::GenerateRandom(
    const GenerateRandomRequest& r) {
  if (r.number_of_bytes < 1 || r.number_of_bytes > 1024) {
    return absl::InvalidArgumentError(
        "kms: GenerateRandom NumberOfBytes must be 1..1024");
  }
  if (absl::Status s = RecipientArgCheck(r.recipient); !s.ok()) return s;
  json::Value body = json::Value::MakeObject();
  body.Set("NumberOfBytes", json::Value::Int(r.number_of_bytes));
  AddRecipient(r.recipient, &body);
  absl::StatusOr<json::Value> doc = Call("GenerateRandom", body);
  if (!doc.ok()) return doc.status();
  return ParseGenerateRandomResponse(*doc, r);
}

absl::StatusOr<DescribeKeyResponse> KmsClient::DescribeKey(
    const DescribeKeyRequest& r) {
  if (r.key_id.empty()) {
    return absl::InvalidArgumentError("kms: DescribeKey needs a key id");
  }
  json::Value body = json::Value::MakeObject();
  body.Set("KeyId", json::Value::String(r.key_id));
  absl::StatusOr<json::Value> doc = Call("DescribeKey", body);
  if (!doc.ok()) return doc.status();
  return ParseDescribeKeyResponse(*doc, r);
}

}  // namespace nitro_tss::kms
