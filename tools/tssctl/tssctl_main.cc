// tssctl entry point: registers the command groups and dispatches.
#include <iostream>
#include <string>
#include <vector>

#include "node/eif/eif_command.h"
#include "tools/tssctl/attestation_command.h"
#include "tools/tssctl/cli.h"

int main(int argc, char** argv) {
  using namespace nitro_tss::tssctl;
  const std::vector<CommandGroup> groups = {
      AttestationCommandGroup(),
      {"eif", "Inspect and build enclave image files (PCRs)",
       nitro_tss::eif::RunEifCommand},
      // Other groups (eif, kms, ...) are added here.
  };
  std::vector<std::string> args(argv + 1, argv + argc);
  return RunTssctl(groups, args, std::cout, std::cerr);
}
