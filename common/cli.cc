#include "common/cli.h"

#include "absl/strings/str_cat.h"

#ifndef NITRO_TSS_VERSION
#define NITRO_TSS_VERSION "unknown"
#endif

namespace nitro_tss::cli {
namespace {

constexpr char kHint[] = "Run with --help for more information.\n";

void PrintText(const json::Value& v, const std::string& path,
               std::ostream& out) {
  const std::string prefix = path.empty() ? "" : path + ": ";
  switch (v.type()) {
    case json::Type::kNull:
      out << prefix << "null\n";
      return;
    case json::Type::kBool:
      out << prefix << (v.AsBool() ? "true" : "false") << "\n";
      return;
    case json::Type::kNumber:
      out << prefix << v.AsNumber().text << "\n";
      return;
    case json::Type::kString:
      out << prefix << v.AsString() << "\n";
      return;
    case json::Type::kArray: {
      if (v.AsArray().empty()) out << prefix << "[]\n";
      size_t i = 0;
      for (const json::Value& item : v.AsArray()) {
        PrintText(item, absl::StrCat(path, "[", i++, "]"), out);
      }
      return;
    }
    case json::Type::kObject:
      if (v.AsObject().empty()) out << prefix << "{}\n";
      for (const auto& [key, member] : v.AsObject()) {
        PrintText(member, path.empty() ? key : absl::StrCat(path, ".", key),
                  out);
      }
      return;
  }
}

}  // namespace

const char* Version() { return NITRO_TSS_VERSION; }

CLI::Option* AddOutputOption(CLI::App& app, Output* output,
                             const std::string& description) {
  return app
      .add_option_function<std::string>(
          "--output",
          [output](const std::string& v) {
            *output = v == "text" ? Output::kText : Output::kJson;
          },
          description)
      ->check(CLI::IsMember({"json", "text"}))
      ->option_text("text|json");
}

void AddVersionFlag(CLI::App& app) {
  app.set_version_flag("--version",
                       absl::StrCat(app.get_name(), " ", Version()),
                       "print the version and exit");
}

CLI::Option* AddSwitch(CLI::App& app, const std::string& name, bool* value,
                       const std::string& description) {
  return app.add_flag(name, *value, description)->disable_flag_override();
}

std::optional<int> Parse(CLI::App& app, const std::vector<std::string>& args,
                         std::ostream& out, std::ostream& err) {
  // CLI11 consumes its argument vector from the back.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::RequiredError& e) {
    // "A subcommand is required" / "--x is required" also when an unknown
    // argument was given: name it.
    const std::vector<std::string> rest = app.remaining(/*recurse=*/true);
    if (!rest.empty()) {
      return UsageError(err, app.get_name(),
                        absl::StrCat("unexpected argument '", rest.front(),
                                     "' (", e.what(), ")"));
    }
    return UsageError(err, app.get_name(), e.what());
  } catch (const CLI::ParseError& e) {
    return UsageError(err, app.get_name(), e.what());
  }
  return std::nullopt;
}

int UsageError(std::ostream& err, const std::string& program,
               const std::string& message) {
  err << program << ": " << message << "\n" << kHint;
  return kExitUsage;
}

void PrintResult(const json::Value& result, Output output, std::ostream& out) {
  if (output == Output::kJson) {
    out << json::Serialize(result) << "\n";
  } else {
    PrintText(result, "", out);
  }
}

}  // namespace nitro_tss::cli
