// Reading small files a service is configured with (certificates, keys,
// roots): bounded, with errors that name the configuration field.
#ifndef NITRO_TSS_COMMON_FILE_H_
#define NITRO_TSS_COMMON_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::file {

// The contents of `path`, at most `max_bytes`. INVALID_ARGUMENT
// "<field>: ..." when the path is empty ("required"), the file cannot be
// read, or it is larger than `max_bytes`.
absl::StatusOr<std::string> ReadConfiguredFile(const std::string& path,
                                               size_t max_bytes,
                                               absl::string_view field);

}  // namespace nitro_tss::file

#endif  // NITRO_TSS_COMMON_FILE_H_
