// tss-enclave: the node's enclave process (see node/enclave/README.md and
// process.h for its flags and exit codes).
#include "node/enclave/process.h"

int main(int argc, char** argv) {
  return nitro_tss::enclave::RunEnclaveProcess(argc, argv);
}
