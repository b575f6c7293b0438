// tssctl entry point: registers the command groups and dispatches.
#include <iostream>
#include <string>
#include <vector>

#include "node/eif/eif_command.h"
#include "tools/tssctl/attestation_command.h"
#include "tools/tssctl/cli.h"

namespace {

// `tssctl eif ...` keeps node/eif's own argument handling (RunEifCommand):
// CLI11 hands it every argument after "eif", --help included.
void AddEifCommands(CLI::App& tssctl,
                    const nitro_tss::tssctl::CommandContext& ctx) {
  CLI::App* eif = tssctl.add_subcommand(
      "eif", "Inspect and build enclave image files (PCRs)");
  eif->set_help_flag();
  eif->fallthrough(false);
  eif->prefix_command();
  eif->allow_extras();
  eif->callback([eif, ctx] {
    *ctx.exit_code =
        nitro_tss::eif::RunEifCommand(eif->remaining(), *ctx.out, *ctx.err);
  });
}

}  // namespace

int main(int argc, char** argv) {
  using namespace nitro_tss::tssctl;
  const std::vector<GroupRegistrar> groups = {
      AddAttestationCommands, AddEifCommands,
      // Other groups (kms, ...) are added here.
  };
  std::vector<std::string> args(argv + 1, argv + argc);
  return RunTssctl(groups, args, std::cout, std::cerr);
}
