#include "node/host/s3_blob_store.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "node/store/share_store.h"

namespace nitro_tss::host {
namespace {

absl::Status Loss(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("blob store: ", what));
}

absl::StatusOr<uint64_t> ParseCanonicalU64(absl::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) {
    return Loss("epoch metadata is not a canonical decimal number");
  }
  uint64_t v = 0;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) {
      return Loss("epoch metadata is not a canonical decimal number");
    }
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return Loss("epoch metadata overflows");
    v = v * 10 + d;
  }
  return v;
}

absl::Status ValidatePrefix(absl::string_view p) {
  if (p.empty()) return absl::OkStatus();
  bool ok = p.size() <= 256 && p.back() == '/' && p.front() != '/' &&
            !absl::StrContains(p, "//");
  for (char c : p) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-' &&
        c != '/') {
      ok = false;
    }
  }
  const std::string wrapped = absl::StrCat("/", p);
  if (absl::StrContains(wrapped, "/./") || absl::StrContains(wrapped, "/../")) {
    ok = false;
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "blob store (s3): prefix must be empty or up to 256 characters of "
        "[A-Za-z0-9._-/] ending in '/', without a leading '/', '//', '.' or "
        "'..' segments");
  }
  return absl::OkStatus();
}

}  // namespace

S3BlobObject EncodeS3BlobObject(uint64_t epoch,
                                absl::Span<const uint8_t> blob) {
  const std::vector<uint8_t> record = store::EncodeRecord(epoch, blob);
  S3BlobObject out;
  out.body.assign(record.begin(), record.end());
  out.headers = {{std::string(kS3EpochHeader), absl::StrCat(epoch)}};
  return out;
}

absl::StatusOr<DecodedS3Blob> DecodeS3BlobObject(
    const std::vector<aws::HttpHeader>& headers, absl::string_view body,
    size_t max_blob_bytes) {
  if (body.size() > store::kRecordHeaderBytes + max_blob_bytes) {
    return Loss(absl::StrCat("object is ", body.size(),
                             " bytes, more than a record of ", max_blob_bytes,
                             " bytes"));
  }
  absl::StatusOr<store::StoredShare> record =
      store::DecodeRecord(absl::Span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  if (!record.ok()) {
    return Loss(absl::StrCat("object is not a blob record: ",
                             record.status().message()));
  }
  if (record->bytes.empty() || record->bytes.size() > max_blob_bytes) {
    return Loss(absl::StrCat("blob is ", record->bytes.size(),
                             " bytes, outside 1..", max_blob_bytes));
  }
  absl::StatusOr<const std::string*> header =
      aws::UniqueHeader(headers, kS3EpochHeader);
  if (!header.ok()) return Loss(header.status().message());
  if (*header == nullptr) {
    return Loss(absl::StrCat("object lacks the ", kS3EpochHeader,
                             " metadata (not written by a nitro-tss host)"));
  }
  ASSIGN_OR_RETURN(const uint64_t stated, ParseCanonicalU64(**header));
  if (stated != record->epoch) {
    return Loss(absl::StrCat("metadata says epoch ", stated,
                             " but the record holds epoch ", record->epoch));
  }
  DecodedS3Blob out;
  out.epoch = record->epoch;
  out.bytes = std::move(record->bytes);
  out.digest = DigestOf(out.bytes);
  return out;
}

absl::StatusOr<std::unique_ptr<S3BlobStore>> S3BlobStore::Create(
    S3BlobStoreConfig config,
    std::shared_ptr<aws::CredentialSource> credentials) {
  RETURN_IF_ERROR(ValidatePrefix(config.prefix));
  if (config.max_blob_bytes == 0 || config.max_blob_bytes > kMaxBlobBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "blob store (s3): max_blob_bytes must be 1..", kMaxBlobBytes));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<aws::S3Client> client,
                   aws::S3Client::Create(config.s3, std::move(credentials)));
  return std::unique_ptr<S3BlobStore>(
      new S3BlobStore(std::move(config), std::move(client)));
}

std::string S3BlobStore::Describe() const {
  return absl::StrCat("s3://", client_->bucket(), "/", config_.prefix);
}

std::string S3BlobStore::ObjectKey(const BlobKey& key) const {
  return absl::StrCat(config_.prefix, key.key_id, "/party-", key.party_id,
                      ".blob");
}

absl::StatusOr<S3BlobStore::Current> S3BlobStore::ReadCurrent(
    const BlobKey& key) {
  const std::string object = ObjectKey(key);
  const size_t max_object = store::kRecordHeaderBytes + config_.max_blob_bytes;
  absl::StatusOr<aws::S3Object> obj = client_->GetObject(object, max_object);
  if (!obj.ok()) {
    if (absl::IsNotFound(obj.status())) {
      return absl::NotFoundError(absl::StrCat("blob store: no blob at ",
                                              client_->Describe(object), " (",
                                              obj.status().message(), ")"));
    }
    if (absl::IsOutOfRange(obj.status())) {
      return Loss(absl::StrCat(client_->Describe(object), " is larger than a ",
                               config_.max_blob_bytes, "-byte blob record"));
    }
    return obj.status();
  }
  absl::StatusOr<DecodedS3Blob> blob =
      DecodeS3BlobObject(obj->headers, obj->body, config_.max_blob_bytes);
  if (!blob.ok()) {
    return absl::DataLossError(
        absl::StrCat(client_->Describe(object), ": ", blob.status().message()));
  }
  Current out;
  out.blob = *std::move(blob);
  out.etag = std::move(obj->etag);
  out.version_id = std::move(obj->version_id);
  return out;
}

absl::Status S3BlobStore::Put(const BlobKey& key, uint64_t epoch,
                              absl::Span<const uint8_t> bytes) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  if (bytes.empty() || bytes.size() > config_.max_blob_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("blob store: a blob must be 1..", config_.max_blob_bytes,
                     " bytes, not ", bytes.size()));
  }
  const std::string object = ObjectKey(key);
  const std::string where = client_->Describe(object);
  const BlobDigest digest = DigestOf(bytes);
  absl::MutexLock lock(&put_mu_);
  absl::StatusOr<Current> current = ReadCurrent(key);
  aws::PutObjectOptions options;
  if (current.ok()) {
    if (current->blob.epoch > epoch) {
      return absl::FailedPreconditionError(absl::StrCat(
          "blob store: ", where, " holds epoch ", current->blob.epoch,
          ", refusing to store the older epoch ", epoch, " (stale writer)"));
    }
    if (current->blob.epoch == epoch) {
      if (current->blob.digest != digest) {
        return absl::FailedPreconditionError(absl::StrCat(
            "blob store: ", where, " already holds other bytes for epoch ",
            epoch, " (conflict)"));
      }
      marks_.Record(key, epoch, digest);
      return absl::OkStatus();  // idempotent repeat
    }
    options.if_match = current->etag;
  } else if (absl::IsNotFound(current.status())) {
    options.if_none_match_any = true;
  } else if (absl::IsDataLoss(current.status())) {
    return absl::DataLossError(
        absl::StrCat(current.status().message(),
                     "; refusing to overwrite an object it cannot read"));
  } else {
    return current.status();
  }
  if (config_.before_conditional_write) config_.before_conditional_write(key);
  S3BlobObject encoded = EncodeS3BlobObject(epoch, bytes);
  options.headers = std::move(encoded.headers);
  absl::StatusOr<aws::PutObjectResult> put =
      client_->PutObject(object, encoded.body, options);
  if (!put.ok()) {
    if (!absl::IsFailedPrecondition(put.status()) &&
        !absl::IsNotFound(put.status())) {
      return put.status();
    }
    // The condition failed: someone else wrote (or deleted) the object
    // since we read it, or a retried request of ours already succeeded.
    absl::StatusOr<Current> now = ReadCurrent(key);
    if (now.ok() && now->blob.epoch == epoch && now->blob.digest == digest) {
      marks_.Record(key, epoch, digest);
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "blob store: ", where,
        " changed between read and conditional write (concurrent writer); "
        "not overwritten: ",
        put.status().message()));
  }
  marks_.Record(key, epoch, digest);
  if (config_.require_versioning &&
      (put->version_id.empty() || put->version_id == "null")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "blob store: bucket ", client_->bucket(),
        " is not versioned (the PUT of ", where,
        " returned no version id): enable versioning so that an overwrite or "
        "delete of a sealed share can be undone"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Blob> S3BlobStore::Get(const BlobKey& key, uint64_t min_epoch) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  const std::string where = client_->Describe(ObjectKey(key));
  ASSIGN_OR_RETURN(Current current, ReadCurrent(key));
  RETURN_IF_ERROR(CheckMinEpoch(current.blob.epoch, min_epoch, where));
  RETURN_IF_ERROR(
      marks_.Check(key, current.blob.epoch, current.blob.digest, where));
  marks_.Record(key, current.blob.epoch, current.blob.digest);
  Blob out;
  out.epoch = current.blob.epoch;
  out.bytes = std::move(current.blob.bytes);
  out.version = std::move(current.version_id);
  return out;
}

}  // namespace nitro_tss::host
