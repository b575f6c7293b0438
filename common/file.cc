#include "common/file.h"

#include <fstream>

#include "absl/strings/str_cat.h"

namespace nitro_tss::file {

absl::StatusOr<std::string> ReadConfiguredFile(const std::string& path,
                                               size_t max_bytes,
                                               absl::string_view field) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": cannot read ", path));
  }
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", path, " is larger than ", max_bytes, " bytes"));
  }
  return text;
}

}  // namespace nitro_tss::file
