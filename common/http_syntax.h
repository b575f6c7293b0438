// Character classes of HTTP/1.1 syntax (RFC 9110 §5.6.2), shared by the
// SigV4 signer/verifier and the tss-kms-local request parser.
#ifndef NITRO_TSS_COMMON_HTTP_SYNTAX_H_
#define NITRO_TSS_COMMON_HTTP_SYNTAX_H_

#include "absl/strings/ascii.h"

namespace nitro_tss::common {

// True for the characters allowed in an HTTP `token` (method, header name):
// ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
// "^" / "_" / "`" / "|" / "~".
inline bool IsHttpTokenChar(unsigned char c) {
  if (absl::ascii_isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace nitro_tss::common

#endif  // NITRO_TSS_COMMON_HTTP_SYNTAX_H_
