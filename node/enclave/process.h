// The tss-enclave process as a function: flags, configuration, locked
// memory, startup, serving over vsock (a unix socket locally) and graceful
// shutdown. tss_enclave_main.cc is only `main` around it, so that the
// test-only cheating enclave (tests/node/cheating_enclave) runs the very
// same process with other session factories (core.h, SessionFactories).
#ifndef NITRO_TSS_NODE_ENCLAVE_PROCESS_H_
#define NITRO_TSS_NODE_ENCLAVE_PROCESS_H_

#include "node/enclave/core.h"

namespace nitro_tss::enclave {

// tss-enclave --config FILE [--ready-file FILE] [--output json|text]
// tss-enclave --check-config --config FILE
//
// Returns the exit code (common/cli.h): 0 clean shutdown on SIGTERM/SIGINT
// (or a valid config with --check-config), 1 startup failure, 2 usage or
// configuration error (the message names the field). `sessions`: empty for
// tss-enclave (the production constructors).
int RunEnclaveProcess(int argc, char** argv, SessionFactories sessions = {});

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_PROCESS_H_
