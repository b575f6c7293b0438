// Early-return helpers for absl::Status / absl::StatusOr, the project's one
// error model (see docs/ARCHITECTURE.md).
//
//   RETURN_IF_ERROR(expr);
//     `expr` yields an absl::Status (or anything with .ok() that converts to
//     one, e.g. an absl::StatusOr<T> whose value is not needed). If it is not
//     OK, the enclosing function returns it.
//
//   ASSIGN_OR_RETURN(lhs, expr);
//     `expr` yields an absl::StatusOr<T>. If it is not OK, the enclosing
//     function returns its status; otherwise its value is moved into `lhs`,
//     which may be a declaration (`ASSIGN_OR_RETURN(auto x, F());`,
//     `ASSIGN_OR_RETURN((std::pair<int, int> p), F());` when the type has a
//     top-level comma) or an existing lvalue (`ASSIGN_OR_RETURN(x_, F());`).
//
// Both evaluate `expr` exactly once. The temporaries are named with __LINE__
// (so several uses in one scope do not collide) and never escape the macro;
// both macros are single statements that need a trailing semicolon. The
// enclosing function must return absl::Status or an absl::StatusOr<U> (an
// error status converts to either). ASSIGN_OR_RETURN cannot be used as the
// body of an unbraced if/else.
#ifndef NITRO_TSS_COMMON_STATUS_MACROS_H_
#define NITRO_TSS_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nitro_tss::status_internal {

// The status of an absl::Status or absl::StatusOr<T>.
inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace nitro_tss::status_internal

#define NITRO_TSS_STATUS_CONCAT_INNER_(a, b) a##b
#define NITRO_TSS_STATUS_CONCAT_(a, b) NITRO_TSS_STATUS_CONCAT_INNER_(a, b)

// Removes one pair of parentheses, if any, from `lhs` (for declarations whose
// type contains a comma).
#define NITRO_TSS_STATUS_STRIP_(x) \
  NITRO_TSS_STATUS_STRIP_IMPL_(NITRO_TSS_STATUS_PAREN_PROBE_ x)
#define NITRO_TSS_STATUS_PAREN_PROBE_(...) NITRO_TSS_STATUS_PAREN_PROBE_ __VA_ARGS__
#define NITRO_TSS_STATUS_STRIP_IMPL_(...) NITRO_TSS_STATUS_STRIP_IMPL2_(__VA_ARGS__)
#define NITRO_TSS_STATUS_STRIP_IMPL2_(...) NITRO_TSS_STATUS_DROP_##__VA_ARGS__
#define NITRO_TSS_STATUS_DROP_NITRO_TSS_STATUS_PAREN_PROBE_

#define RETURN_IF_ERROR(expr)                                                \
  do {                                                                       \
    if (const auto& NITRO_TSS_STATUS_CONCAT_(nitro_tss_status_, __LINE__) = \
            (expr);                                                          \
        !NITRO_TSS_STATUS_CONCAT_(nitro_tss_status_, __LINE__).ok()) {       \
      return ::nitro_tss::status_internal::GetStatus(                        \
          NITRO_TSS_STATUS_CONCAT_(nitro_tss_status_, __LINE__));            \
    }                                                                        \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr)                                           \
  NITRO_TSS_ASSIGN_OR_RETURN_IMPL_(                                           \
      NITRO_TSS_STATUS_CONCAT_(nitro_tss_statusor_, __LINE__), lhs, expr)

#define NITRO_TSS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return std::move(tmp).status();        \
  NITRO_TSS_STATUS_STRIP_(lhs) = *std::move(tmp)

#endif  // NITRO_TSS_COMMON_STATUS_MACROS_H_
