// tssctl entry point: registers the command groups and dispatches.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "node/eif/eif_command.h"
#include "tools/tssctl/api_commands.h"
#include "tools/tssctl/approve_command.h"
#include "tools/tssctl/attestation_command.h"
#include "tools/tssctl/cli.h"
#include "tools/tssctl/dev_certs_command.h"
#include "tools/tssctl/verify_command.h"

namespace {

// `tssctl eif pcrs|build`: the commands live in node/eif (eif_command.h).
void AddEifGroup(CLI::App& tssctl,
                 const nitro_tss::tssctl::CommandContext& ctx) {
  CLI::App* eif = tssctl.add_subcommand(
      "eif", "Inspect and build enclave image files (PCRs)");
  nitro_tss::eif::AddEifCommands(*eif, ctx);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace nitro_tss::tssctl;
  // Other groups (kms, ...) are added to this list.
  const std::vector<GroupRegistrar> groups = {
      AddAttestationCommands,  // attestation verify|dev-ca|simulate
      AddEifGroup,             // eif pcrs|build
      AddVerifyCommand,        // verify (offline ECDSA secp256k1)
      AddApproveCommand,       // approve (offline approval signing)
      AddDevCertsCommand,      // dev-certs (local cluster TLS)
      AddApiCommands,          // keys, sign, nodes, operations (the API)
  };
  std::vector<std::string> args(argv + 1, argv + argc);
  // Text for people at a terminal, JSON for scripts and pipes.
  const auto output = ::isatty(STDOUT_FILENO) ? nitro_tss::cli::Output::kText
                                              : nitro_tss::cli::Output::kJson;
  return RunTssctl(groups, args, std::cout, std::cerr, output);
}
